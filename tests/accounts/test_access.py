import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import ApiKey, Membership, Role
from accounts.scoping import SESSION_KEY
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("accounts:member_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_login_with_password_lands_on_home(client, cast_a):
    response = client.post(
        reverse("accounts:login"), {"username": cast_a.cx_manager.user.username, "password": "password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_user_without_membership_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("loner", password="pw")
    client.force_login(user)
    response = client.get(reverse("home"), follow=True)
    assert "No organization yet" in response.content.decode()


def test_password_reset_sends_an_email_with_a_working_link(client, cast_a):
    user = cast_a.cx_manager.user
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1].strip()
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "A-much-longer-pass-77", "new_password2": "A-much-longer-pass-77"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("A-much-longer-pass-77")


def test_user_can_switch_between_their_organizations(client_for, cast_a, cast_b):
    MembershipFactory(organization=cast_b.org, user=cast_a.cx_manager.user, role=Role.EXECUTIVE)
    c = client_for(cast_a.cx_manager)
    c.get(reverse("home"))
    assert c.session[SESSION_KEY] == cast_a.org.pk
    c.post(reverse("accounts:switch_organization"), {"organization": cast_b.org.pk})
    assert c.session[SESSION_KEY] == cast_b.org.pk
    page = c.get(reverse("accounts:team_list")).content.decode()
    assert "Beta Broadband support" in page
    assert "Alpha Telecom support" not in page


def test_user_cannot_switch_into_an_organization_they_do_not_belong_to(client_for, cast_a, cast_b):
    c = client_for(cast_a.cx_manager)
    c.get(reverse("home"))
    c.post(reverse("accounts:switch_organization"), {"organization": cast_b.org.pk})
    assert c.session[SESSION_KEY] == cast_a.org.pk


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_only_admins_manage_members_and_keys(client_for, cast_a, role):
    c = client_for(cast_a.member(role))
    assert c.get(reverse("accounts:member_list")).status_code == 403
    assert c.post(reverse("accounts:api_key_list"), {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_admin_adds_a_member_with_role_and_team(client_for, cast_a):
    c = client_for(cast_a.admin)
    response = c.post(
        reverse("accounts:member_list"), {"email": "new@example.com", "role": Role.FRONTLINE, "teams": [cast_a.team.pk]}
    )
    assert response.status_code == 302
    m = Membership.objects.get(user__email="new@example.com")
    assert m.organization == cast_a.org and m.role == Role.FRONTLINE
    assert list(m.teams.all()) == [cast_a.team]


def test_admin_cannot_attach_another_organizations_team(client_for, cast_a, cast_b):
    c = client_for(cast_a.admin)
    response = c.post(
        reverse("accounts:member_list"), {"email": "new@example.com", "role": Role.FRONTLINE, "teams": [cast_b.team.pk]}
    )
    assert response.status_code == 200  # form error, nothing saved
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_last_admin_cannot_be_removed(client_for, cast_a):
    c = client_for(cast_a.admin)
    c.post(reverse("accounts:member_remove", args=[cast_a.admin.pk]))
    assert Membership.objects.filter(pk=cast_a.admin.pk).exists()


def test_last_admin_cannot_be_demoted_but_one_of_two_can(client_for, cast_a):
    """Regression (issue 12, defect 8): member_edit lacked the guard member_remove has."""
    c = client_for(cast_a.admin)
    url = reverse("accounts:member_edit", args=[cast_a.admin.pk])
    page = c.post(url, {"role": Role.EXECUTIVE})
    assert page.status_code == 200
    assert "at least one administrator" in page.content.decode()
    cast_a.admin.refresh_from_db()
    assert cast_a.admin.role == Role.ADMIN

    # With a second admin, the first may step down; then the second is the last and stays.
    c.post(reverse("accounts:member_edit", args=[cast_a.cx_manager.pk]), {"role": Role.ADMIN})
    assert c.post(url, {"role": Role.EXECUTIVE}).status_code == 302
    cast_a.admin.refresh_from_db()
    assert cast_a.admin.role == Role.EXECUTIVE
    second = client_for(cast_a.cx_manager)
    second.post(reverse("accounts:member_edit", args=[cast_a.cx_manager.pk]), {"role": Role.FRONTLINE})
    assert Membership.objects.get(pk=cast_a.cx_manager.pk).role == Role.ADMIN


def test_api_key_is_shown_once_and_stored_hashed(client_for, cast_a):
    c = client_for(cast_a.admin)
    page = c.post(reverse("accounts:api_key_list"), {"name": "CRM sync"}).content.decode()
    key = ApiKey.objects.get()
    raw = page.split('data-testid="new-api-key" class="user-select-all">', 1)[1].split("<", 1)[0]
    assert raw.startswith("cxk_") and raw not in key.hashed_key
    assert raw not in c.get(reverse("accounts:api_key_list")).content.decode()
    c.post(reverse("accounts:api_key_revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None
