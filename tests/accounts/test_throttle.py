"""Brute-force limits (issue 12, defect 5): 60 wrong passwords used to be answered 200 and then the right one
worked; 22 reset mails went to one address in seconds."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_counters():
    cache.clear()  # the counters live in the (per-test-process) local memory cache
    yield
    cache.clear()


def sign_in(client, username: str, password: str, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(client, cast_a, settings):
    user = cast_a.cx_manager.user
    codes = [sign_in(client, user.username, f"wrong-{i}").status_code for i in range(5)]
    assert codes == [200] * 5  # the form again, "please enter a correct username and password"
    locked = sign_in(client, user.username, "password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by these five.
    other = sign_in(client, cast_a.executive.user.username, "password")
    assert other.status_code == 302

    settings.ACCOUNTS_LOGIN_WINDOW_SECONDS = 1  # a new window (the old counters belong to the old one)
    import time

    time.sleep(1.1)
    assert sign_in(client, user.username, "password").status_code == 302


def test_one_address_trying_many_accounts_is_locked(client, cast_a, settings):
    settings.ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP = 10
    for i in range(10):
        sign_in(client, f"guess-{i}", "x", REMOTE_ADDR="192.0.2.9")
    assert sign_in(client, cast_a.admin.user.username, "password", REMOTE_ADDR="192.0.2.9").status_code == 429
    assert sign_in(client, cast_a.admin.user.username, "password", REMOTE_ADDR="192.0.2.10").status_code == 302


def test_password_reset_mails_are_limited_per_address_without_telling(client, cast_a):
    user = cast_a.executive.user
    responses = [client.post(reverse("accounts:password_reset"), {"email": user.email}) for _ in range(22)]
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {reverse("accounts:password_reset_done")}
    assert len(mail.outbox) == 3


def test_the_django_admin_signs_in_through_our_limited_sign_in_page(client, django_user_model):
    django_user_model.objects.create_superuser("root-admin", "root@example.com", "right-password-1")
    url = reverse("admin:login")
    ours = f"{reverse('accounts:login')}?next=/admin/"
    assert client.get(url, {"next": "/admin/"})["Location"] == ours
    # No password is checked on the admin's own page any more.
    response = client.post(url, {"username": "root-admin", "password": "right-password-1"})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    codes = [sign_in(client, "root-admin", f"no-{i}").status_code for i in range(5)]
    assert codes == [200] * 5
    assert sign_in(client, "root-admin", "right-password-1").status_code == 429
    assert "_auth_user_id" not in client.session
    cache.clear()
    response = client.post(
        reverse("accounts:login"), {"username": "root-admin", "password": "right-password-1", "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
