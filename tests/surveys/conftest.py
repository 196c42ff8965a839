import pytest
from django.core.cache import cache

from tests.factories import CustomerFactory, TouchpointFactory
from tests.surveys.factories import make_survey


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate-limit counters live in the cache; each test starts with a clean allowance.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tp_a(cast_a):
    return TouchpointFactory(stage__journey__organization=cast_a.org, name="Technician visit", priority=90)


@pytest.fixture
def survey_a(cast_a, tp_a):
    return make_survey(cast_a.org, touchpoints=[tp_a])


@pytest.fixture
def customer_a(cast_a):
    return CustomerFactory(organization=cast_a.org, language="nb", name="Kari Nordmann")


@pytest.fixture
def tp_b(cast_b):
    return TouchpointFactory(stage__journey__organization=cast_b.org, name="Beta visit")


@pytest.fixture
def survey_b(cast_b, tp_b):
    return make_survey(cast_b.org, touchpoints=[tp_b], name="Beta survey")


@pytest.fixture
def browser_page(settings, chromium):
    """A phone-sized Chromium page (375x740), for tests marked `browser`."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="sv-SE",
    )
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
