"""Session idle timeout (SESSION_IDLE_TIMEOUT_MINUTES): a session unused for that long is signed out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:team_list")


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def sign_in(client, membership):
    response = client.post(reverse("accounts:login"), {"username": membership.user.username, "password": "password"})
    assert response.status_code == 302
    return client


def test_a_session_unused_for_the_timeout_is_signed_out_with_a_message(client, cast_a, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 60
    sign_in(client, cast_a.cx_manager)
    clock.shift(dt.timedelta(minutes=59))
    assert client.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=61))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={PAGE}"
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"]).content.decode()
    assert "Signed out after 60 minutes without activity." in login_page


def test_activity_keeps_the_session_alive(client, cast_a, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    sign_in(client, cast_a.executive)
    for _ in range(5):  # 5 x 25 minutes, never 30 in a row without a page
        clock.shift(dt.timedelta(minutes=25))
        assert client.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    assert client.get(PAGE).status_code == 302


def test_zero_turns_the_timeout_off(client, cast_a, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 0
    sign_in(client, cast_a.executive)
    clock.shift(dt.timedelta(days=3))
    assert client.get(PAGE).status_code == 200


def test_an_expired_session_gets_no_api_data_and_htmx_is_sent_to_the_login_page(client, cast_a, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 10
    sign_in(client, cast_a.cx_manager)
    assert client.get("/api/v1/customers/").status_code == 200
    clock.shift(dt.timedelta(minutes=11))
    assert client.get("/api/v1/customers/").status_code in (401, 403)
    sign_in(client, cast_a.cx_manager)
    clock.shift(dt.timedelta(minutes=11))
    response = client.get(PAGE, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("accounts:login")


def test_the_last_activity_is_written_at_most_once_a_minute(client, cast_a, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 60
    sign_in(client, cast_a.executive)
    client.get(PAGE)
    before = client.session["last_activity"]
    clock.shift(dt.timedelta(seconds=30))
    client.get(PAGE)
    assert client.session["last_activity"] == before
    clock.shift(dt.timedelta(seconds=31))
    client.get(PAGE)
    assert client.session["last_activity"] == before + 61
