"""Two-factor sign-in with an authenticator app (codes made with pyotp, as a phone would)."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import RecoveryCode, TwoFactorDevice
from accounts.scoping import AUTH_METHOD_KEY
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:team_list")


@pytest.fixture(autouse=True)
def _clean_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def codes_on(page: str) -> list[str]:
    """The recovery codes a page shows."""
    listed = page.split('data-testid="recovery-codes"', 1)[1].split("</ul>", 1)[0]
    return [item.split("</li>", 1)[0] for item in listed.split("<li>")[1:]]


def enrol(client_for, membership, clock) -> tuple[str, list[str]]:
    """Set up the authenticator through the pages; return (secret, recovery codes)."""
    c = client_for(membership)
    page = c.get(reverse("accounts:two_factor")).content.decode()
    secret = page.split('data-testid="two-factor-secret" class="user-select-all">', 1)[1].split("<", 1)[0]
    assert "<svg" in page.split('data-testid="two-factor-qr"', 1)[1][:400]
    response = c.post(reverse("accounts:two_factor"), {"code": pyotp.TOTP(secret).now()})
    codes = codes_on(response.content.decode())
    clock.shift(dt.timedelta(seconds=30))  # the next code is a new one
    return secret, codes


def password_step(client, membership, next_url: str = ""):
    data = {"username": membership.user.username, "password": "password"}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def test_enrolment_shows_a_qr_code_confirms_with_a_code_and_gives_ten_recovery_codes(client_for, cast_a, clock):
    c = client_for(cast_a.cx_manager)
    page = c.get(reverse("accounts:two_factor")).content.decode()
    secret = page.split('data-testid="two-factor-secret" class="user-select-all">', 1)[1].split("<", 1)[0]
    wrong = c.post(reverse("accounts:two_factor"), {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "1"})
    assert "That code is not right" in wrong.content.decode()
    assert not TwoFactorDevice.objects.get(user=cast_a.cx_manager.user).is_confirmed
    done = c.post(reverse("accounts:two_factor"), {"code": pyotp.TOTP(secret).now()}).content.decode()
    assert 'data-testid="two-factor-on"' in done and "10 recovery codes left" in done
    assert RecoveryCode.objects.filter(user=cast_a.cx_manager.user).count() == 10
    # Only hashes are stored.
    shown = done.split('data-testid="recovery-codes"', 1)[1]
    assert not any(rc.hashed_code in shown for rc in RecoveryCode.objects.all())
    event = AuditEvent.objects.get(action="two_factor.enroll")
    assert event.actor_id == cast_a.cx_manager.user_id and event.organization_id == cast_a.org.pk
    # Reloading the page shows no secret and no codes any more.
    again = c.get(reverse("accounts:two_factor")).content.decode()
    assert secret not in again and 'data-testid="recovery-codes"' not in again


def test_an_enrolled_user_is_not_signed_in_until_the_code_is_right(client, client_for, cast_a, clock):
    secret, _codes = enrol(client_for, cast_a.cx_manager, clock)
    response = password_step(client, cast_a.cx_manager, next_url=HOME)
    assert response["Location"] == reverse("accounts:login_two_factor")
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).status_code == 302
    wrong = client.post(reverse("accounts:login_two_factor"), {"code": "123456"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    right = client.post(reverse("accounts:login_two_factor"), {"code": pyotp.TOTP(secret).now()})
    assert right["Location"] == HOME
    assert client.session["_auth_user_id"] == str(cast_a.cx_manager.user_id)
    assert client.session[AUTH_METHOD_KEY] == "password+totp"
    assert client.get(HOME).status_code == 200


def test_a_code_works_once(client, client_for, cast_a, clock):
    secret, _codes = enrol(client_for, cast_a.cx_manager, clock)
    code = pyotp.TOTP(secret).now()
    password_step(client, cast_a.cx_manager)
    assert client.post(reverse("accounts:login_two_factor"), {"code": code}).status_code == 302
    other = type(client)()
    password_step(other, cast_a.cx_manager)
    replay = other.post(reverse("accounts:login_two_factor"), {"code": code})
    assert replay.status_code == 200 and "_auth_user_id" not in other.session


def test_a_recovery_code_signs_in_once(client, client_for, cast_a, clock):
    _secret, codes = enrol(client_for, cast_a.executive, clock)
    assert len(codes) == 10
    password_step(client, cast_a.executive)
    response = client.post(reverse("accounts:login_two_factor"), {"code": codes[3].upper()}, follow=True)
    assert "9 are left" in response.content.decode()
    other = type(client)()
    password_step(other, cast_a.executive)
    assert other.post(reverse("accounts:login_two_factor"), {"code": codes[3]}).status_code == 200
    assert "_auth_user_id" not in other.session


def test_wrong_codes_count_against_the_sign_in_limit(client, client_for, cast_a, clock):
    secret, _codes = enrol(client_for, cast_a.cx_manager, clock)
    password_step(client, cast_a.cx_manager)
    codes = [client.post(reverse("accounts:login_two_factor"), {"code": f"00000{i}"}).status_code for i in range(5)]
    assert codes == [200] * 5
    locked = client.post(reverse("accounts:login_two_factor"), {"code": pyotp.TOTP(secret).now()})
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login.failed", detail__step="two_factor").count() == 5
    assert AuditEvent.objects.filter(action="login.locked").count() == 1


def test_the_code_must_come_within_five_minutes_of_the_password(client, client_for, cast_a, clock):
    secret, _codes = enrol(client_for, cast_a.cx_manager, clock)
    password_step(client, cast_a.cx_manager)
    clock.shift(dt.timedelta(minutes=6))
    response = client.post(reverse("accounts:login_two_factor"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_turning_it_off_needs_a_code_and_is_audited(client_for, cast_a, clock):
    secret, _codes = enrol(client_for, cast_a.cx_manager, clock)
    c = client_for(cast_a.cx_manager)
    c.post(reverse("accounts:two_factor_disable"), {"code": "111111"})
    assert TwoFactorDevice.objects.filter(user=cast_a.cx_manager.user).exists()
    c.post(reverse("accounts:two_factor_disable"), {"code": pyotp.TOTP(secret).now()})
    assert not TwoFactorDevice.objects.filter(user=cast_a.cx_manager.user).exists()
    assert not RecoveryCode.objects.filter(user=cast_a.cx_manager.user).exists()
    assert AuditEvent.objects.filter(action="two_factor.disable").count() == 1


def test_an_admin_resets_a_members_two_factor_and_another_organizations_admin_cannot(client_for, cast_a, cast_b, clock):
    enrol(client_for, cast_a.frontline, clock)
    url = reverse("accounts:member_two_factor_reset", args=[cast_a.frontline.pk])
    assert client_for(cast_b.admin).post(url).status_code == 404
    assert client_for(cast_a.cx_manager).post(url).status_code == 403
    assert TwoFactorDevice.objects.filter(user=cast_a.frontline.user).exists()
    page = client_for(cast_a.admin).get(reverse("accounts:member_edit", args=[cast_a.frontline.pk])).content.decode()
    assert "Reset (lost phone)" in page
    client_for(cast_a.admin).post(url)
    assert not TwoFactorDevice.objects.filter(user=cast_a.frontline.user).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor_id == cast_a.admin.user_id and event.target_id == str(cast_a.frontline.user_id)


def test_an_organization_can_require_two_factor_of_its_admins(client, client_for, cast_a, clock):
    settings_url = reverse("accounts:organization_settings")
    admin = client_for(cast_a.admin)
    form = admin.get(settings_url).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data["languages"] = list(data.get("languages") or ["sv", "en"])
    data["require_two_factor_for_admins"] = "on"
    assert admin.post(settings_url, data).status_code == 302
    cast_a.org.refresh_from_db()
    assert cast_a.org.require_two_factor_for_admins
    policy = AuditEvent.objects.get(action="organization.two_factor_policy")
    assert policy.detail == {"require_two_factor_for_admins": {"old": False, "new": True}}

    # An admin without an authenticator may only set one up; other roles are not concerned.
    password_step(client, cast_a.admin)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:two_factor")
    assert client.get(reverse("accounts:member_list")).status_code == 302
    assert client.get("/api/v1/customers/").status_code == 403
    assert client_for(cast_a.cx_manager).get(HOME).status_code == 200
    page = client.get(reverse("accounts:two_factor")).content.decode()
    secret = page.split('data-testid="two-factor-secret" class="user-select-all">', 1)[1].split("<", 1)[0]
    client.post(reverse("accounts:two_factor"), {"code": pyotp.TOTP(secret).now()})
    assert client.get(HOME).status_code == 200


def test_new_recovery_codes_replace_the_old_ones(client_for, cast_a, clock):
    secret, old_codes = enrol(client_for, cast_a.cx_manager, clock)
    c = client_for(cast_a.cx_manager)
    refused = c.post(reverse("accounts:two_factor_recovery_codes"), {"code": "999999"})
    assert refused.status_code == 302
    page = c.post(reverse("accounts:two_factor_recovery_codes"), {"code": pyotp.TOTP(secret).now()}).content.decode()
    new_codes = codes_on(page)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert all(len(code) == 23 for code in new_codes)  # 20 hex digits in groups of five
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes").count() == 1
    from accounts import two_factor

    assert two_factor.verify(user=cast_a.cx_manager.user, code=old_codes[0]) is None
    assert two_factor.verify(user=cast_a.cx_manager.user, code=new_codes[0]) == "recovery"
