"""Monthly report subscriptions: executives are in by default and can leave, anyone can join, admins manage their
own organization's members only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from reports.delivery import selectors
from reports.models import ReportSubscription

pytestmark = pytest.mark.django_db


def receives(cast, role) -> bool:
    user = cast.member(role).user
    return user in selectors.subscribers(organization=cast.org)


def test_defaults_executives_receive_the_report_other_roles_do_not(cast_a, client_for):
    assert receives(cast_a, Role.EXECUTIVE)
    for role in (Role.ADMIN, Role.CX_MANAGER, Role.FRONTLINE):
        assert not receives(cast_a, role)
    page = client_for(cast_a.executive).get(reverse("reports:subscription"))
    assert page.status_code == 200
    assert b'data-subscribed="1"' in page.content
    page = client_for(cast_a.cx_manager).get(reverse("reports:subscription"))
    assert b'data-subscribed="0"' in page.content


def test_an_executive_unsubscribes_and_subscribes_again(cast_a, client_for):
    client = client_for(cast_a.executive)
    response = client.post(reverse("reports:subscription"), {"subscribed": "0"})
    assert response.status_code == 302
    assert not receives(cast_a, Role.EXECUTIVE)
    assert b'data-subscribed="0"' in client.get(reverse("reports:subscription")).content
    client.post(reverse("reports:subscription"), {"subscribed": "1"})
    assert receives(cast_a, Role.EXECUTIVE)
    assert ReportSubscription.objects.filter(organization=cast_a.org).count() == 1


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.CX_MANAGER, Role.ADMIN])
def test_any_member_can_subscribe_themself(cast_a, client_for, role):
    client_for(cast_a.member(role)).post(reverse("reports:subscription"), {"subscribed": "1"})
    assert receives(cast_a, role)


def test_a_choice_in_one_organization_does_not_touch_another(cast_a, cast_b, client_for):
    from tests.factories import MembershipFactory

    # A consultant who is an executive in both organizations unsubscribes in A only.
    MembershipFactory(organization=cast_b.org, user=cast_a.executive.user, role=Role.EXECUTIVE)
    client = client_for(cast_a.executive)
    client.post(reverse("reports:subscription"), {"subscribed": "0"})
    assert not receives(cast_a, Role.EXECUTIVE)
    assert cast_a.executive.user in selectors.subscribers(organization=cast_b.org)


def test_a_bad_choice_is_refused(cast_a, client_for):
    response = client_for(cast_a.executive).post(reverse("reports:subscription"), {"subscribed": "maybe"})
    assert response.status_code == 400
    assert not ReportSubscription.objects.exists()


def test_admins_see_and_change_every_members_subscription(cast_a, client_for):
    client = client_for(cast_a.admin)
    page = client.get(reverse("reports:subscription_manage"))
    assert page.status_code == 200
    for role in Role.values:
        member = cast_a.member(role)
        expected = b"1" if role == Role.EXECUTIVE else b"0"
        assert f'id="member-{member.pk}" data-subscribed="'.encode() + expected in page.content
    client.post(reverse("reports:subscription_member", args=[cast_a.executive.pk]), {"subscribed": "0"})
    client.post(reverse("reports:subscription_member", args=[cast_a.frontline.pk]), {"subscribed": "1"})
    assert not receives(cast_a, Role.EXECUTIVE)
    assert receives(cast_a, Role.FRONTLINE)


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.EXECUTIVE, Role.FRONTLINE])
def test_only_admins_manage_other_members(cast_a, client_for, role):
    client = client_for(cast_a.member(role))
    assert client.get(reverse("reports:subscription_manage")).status_code == 403
    url = reverse("reports:subscription_member", args=[cast_a.executive.pk])
    assert client.post(url, {"subscribed": "0"}).status_code == 403
    assert receives(cast_a, Role.EXECUTIVE)


def test_an_admin_of_another_organization_cannot_touch_these_members(cast_a, cast_b, client_for):
    client = client_for(cast_b.admin)
    response = client.post(reverse("reports:subscription_member", args=[cast_a.executive.pk]), {"subscribed": "0"})
    assert response.status_code == 404
    assert receives(cast_a, Role.EXECUTIVE)
    assert not ReportSubscription.objects.filter(organization=cast_a.org).exists()
    page = client.get(reverse("reports:subscription_manage"))
    assert cast_a.org.name.encode() not in page.content
    assert cast_a.executive.user.email.encode() not in page.content


def test_anonymous_users_are_sent_to_the_login_page(client):
    for url in (reverse("reports:subscription"), reverse("reports:subscription_manage")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_member_chooses_the_language_of_their_report_email(cast_a, cast_b, client_for):
    from tests.factories import MembershipFactory

    org = cast_a.org
    executive = cast_a.executive.user
    assert selectors.user_language(user=executive, organization=org) == org.default_language
    MembershipFactory(organization=cast_b.org, user=executive, role=Role.EXECUTIVE)
    client = client_for(cast_a.executive)
    page = client.get(reverse("reports:subscription"))
    assert b'name="language"' in page.content

    assert client.post(reverse("reports:subscription"), {"language": "da"}).status_code == 302
    assert selectors.user_language(user=executive, organization=org) == "da"
    assert selectors.user_language(user=executive, organization=cast_b.org) == cast_b.org.default_language
    assert receives(cast_a, Role.EXECUTIVE)  # choosing a language subscribes or unsubscribes nobody
    assert b'<option value="da" selected>' in client.get(reverse("reports:subscription")).content

    # A CX manager (not subscribed by default) who only picks a language stays unsubscribed.
    client_for(cast_a.cx_manager).post(reverse("reports:subscription"), {"language": "nb"})
    assert not receives(cast_a, Role.CX_MANAGER)

    assert client.post(reverse("reports:subscription"), {"language": "xx"}).status_code == 400
    assert selectors.user_language(user=executive, organization=org) == "da"
    client.post(reverse("reports:subscription"), {"language": ""})
    assert selectors.user_language(user=executive, organization=org) == org.default_language
