"""Changes to who may do what are written to the audit log, with old and new values."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Membership, Role
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def events(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_adding_changing_and_removing_a_member_is_audited(client_for, cast_a):
    c = client_for(cast_a.admin)
    c.post(reverse("accounts:member_list"), {"email": "new@example.com", "role": Role.FRONTLINE})
    membership = Membership.objects.get(user__email="new@example.com")
    (added,) = events("member.add")
    assert (added.organization_id, added.actor_id, added.target_id) == (
        cast_a.org.pk,
        cast_a.admin.user_id,
        str(membership.pk),
    )
    assert added.detail == {"role": "frontline"} and added.ip == "127.0.0.1"

    edit = reverse("accounts:member_edit", args=[membership.pk])
    c.post(edit, {"role": Role.FRONTLINE, "teams": [cast_a.team.pk]})  # teams only: no role change
    assert events("member.role_change") == []
    c.post(edit, {"role": Role.CX_MANAGER})
    (changed,) = events("member.role_change")
    assert changed.detail == {"role": {"old": "frontline", "new": "cx_manager"}}

    # Inviting an existing member again with another role is a role change, not a second "add".
    c.post(reverse("accounts:member_list"), {"email": "new@example.com", "role": Role.EXECUTIVE})
    assert len(events("member.add")) == 1
    assert events("member.role_change")[-1].detail == {"role": {"old": "cx_manager", "new": "executive"}}

    c.post(reverse("accounts:member_remove", args=[membership.pk]))
    (removed,) = events("member.remove")
    assert removed.detail == {"role": "executive", "user": "new@example.com"}
    assert removed.target_label and removed.organization_id == cast_a.org.pk


def test_a_refused_change_records_nothing(client_for, cast_a):
    c = client_for(cast_a.admin)
    c.post(reverse("accounts:member_remove", args=[cast_a.admin.pk]))  # the last admin stays
    c.post(reverse("accounts:member_edit", args=[cast_a.admin.pk]), {"role": Role.EXECUTIVE})
    assert not AuditEvent.objects.filter(action__startswith="member.").exists()


def test_failed_sign_ins_and_the_lock_are_audited_once_per_lock(client, cast_a):
    cache.clear()
    username = cast_a.executive.user.username
    for i in range(7):
        client.post(reverse("accounts:login"), {"username": username, "password": f"wrong-{i}"})
    failed = events("login.failed")
    assert len(failed) == 5 and {e.target_label for e in failed} == {username}
    assert failed[0].organization_id is None and failed[0].actor_id is None
    assert len(events("login.locked")) == 1
    cache.clear()
