"""Times in the organization's time zone: on every page of a signed-in member (the response explorer showed the
server's), and in e-mails rendered for the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from outbox.rendering import email_language, recipient_locale
from surveys.ingestion.services import response_submit
from tests.surveys.ingestion.conftest import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_language_afterwards():
    """Requests leave their language active in the thread (LocaleMiddleware never deactivates): later tests in this
    process must not start in Danish."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


LIST = reverse("surveys:response_list")
SUBMITTED = dt.datetime(2026, 5, 10, 12, 30, tzinfo=dt.UTC)  # 12:30 UTC; 14:30 in Stockholm (summer time)


def submit(prog):
    response, _ = response_submit(
        organization=prog.org,
        survey=prog.survey,
        version=prog.survey.current_version,
        answers={"nps": 9},
        touchpoint=prog.touchpoint,
        language="en",
        channel="web",
        submitted_at=SUBMITTED,
    )
    return response


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "2026-05-10 08:30"),
        ("Asia/Tokyo", "2026-05-10 21:30"),
        ("Europe/Stockholm", "2026-05-10 14:30"),
    ],
)
def test_the_explorer_shows_the_organizations_time(client_for, cast_a, zone, shown):
    cast_a.org.timezone = zone
    cast_a.org.save(update_fields=["timezone"])
    prog = make_program(cast_a)
    response = submit(prog)
    page = client_for(cast_a.cx_manager).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'datetime="{timezone.localtime(response.submitted_at, timezone.get_fixed_timezone(0)).date()}' in html
    assert f">{shown}</time>" in html
    # Only for that request: the server's zone is active again afterwards.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_the_response_page_shows_the_organizations_time_in_the_readers_format(client_for, cast_a):
    from accounts.models import UserPreference

    cast_a.org.timezone = "Asia/Tokyo"
    cast_a.org.save(update_fields=["timezone"])
    response = submit(make_program(cast_a))
    UserPreference.objects.create(user=cast_a.cx_manager.user, language="nb")
    html = client_for(cast_a.cx_manager).get(reverse("surveys:response_detail", args=[response.pk])).content
    assert ">10. mai 2026 21:30</time>" in html.decode()


def test_an_unknown_stored_zone_falls_back_to_the_servers(cast_a):
    cast_a.org.timezone = "Mars/Olympus"
    assert str(cast_a.org.zone) == settings.TIME_ZONE


def test_e_mails_render_in_the_recipients_language_and_the_organizations_zone():
    translation.activate("en")
    with recipient_locale(language="da", time_zone="America/New_York"):
        template = Template("{{ at|date:'SHORT_DATETIME_FORMAT' }} {{ at|date:'DATE_FORMAT' }}")
        text = template.render(Context({"at": SUBMITTED}))
        assert translation.get_language() == "da"
    assert text == "10.05.2026 08:30 10. maj 2026"
    # Afterwards the caller's language and zone are back.
    assert translation.get_language() == "en"
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
    # A language the platform does not speak falls back to the organization's, then the site's.
    assert email_language("fr", "sv") == "sv"
    assert email_language(None, "") == settings.LANGUAGE_CODE


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Asia/Tokyo", "2026-05-10T21:30:00+09:00"), ("America/New_York", "2026-05-10T08:30:00-04:00")],
)
def test_the_api_answers_in_the_api_keys_organizations_time_zone(cast_a, zone, shown):
    """An API key has no session organization: its own organization's zone is active for the request only."""
    from rest_framework.test import APIClient

    from accounts.scoping import context_for_membership
    from accounts.services import api_key_create

    cast_a.org.timezone = zone
    cast_a.org.save(update_fields=["timezone"])
    response = submit(make_program(cast_a))
    _key, raw = api_key_create(ctx=context_for_membership(cast_a.admin, user=cast_a.admin.user), name="zone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    for url in (f"/api/v1/responses/{response.pk}/", "/api/v1/responses/"):
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        data = answer.json()
        item = data["results"][0] if "results" in data else data
        assert item["id"] == response.pk and item["submitted_at"] == shown
        # Only for that request: the server's zone is active again afterwards.
        assert timezone.get_current_timezone_name() == settings.TIME_ZONE
