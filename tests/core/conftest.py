import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _site_language():
    """Format tests start in the site's language, whatever an earlier test's request left active in the thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
