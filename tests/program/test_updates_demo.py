"""The demo's "you said, we did": the measured win told its customers through the service, on SQLite (the demo's
database) and on PostgreSQL, e-mailing nobody while seeding, the re-surveys decided by the task's service on their
day, with later answers that show a recovery, and the win's measurement left as the rollups say."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from core.metrics import nps_difference
from kpis.selectors import touchpoint_nps
from outbox.models import OutboxMessage
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.selectors import customer_update_recovery
from program.updates.services import KIND
from surveys.models import Invitation
from tests.sqlite_demo import run_on_fresh_sqlite

SMALL = {"customers": 300, "months": 4}


@pytest.mark.django_db
def test_the_demo_tells_the_customers_of_its_measured_win_and_shows_their_recovery():
    call_command("seed_demo", stdout=StringIO(), **SMALL)
    org = Organization.objects.get(name="Nordlys Bredband AB")
    update = CustomerUpdate.objects.for_org(org).get()
    action = update.action
    assert action.is_success and update.resurvey_after_days == 7
    recipients = CustomerUpdateRecipient.objects.filter(update=update).select_related("invitation")
    assert recipients.count() >= 5
    assert not recipients.filter(sent_at__isnull=True).exists()  # as the outbox would have, back then
    assert not OutboxMessage.objects.filter(kind=KIND).exclude(status="sent").exists()  # nothing left to e-mail
    assert set(recipients.values_list("language", flat=True)) <= set(update.messages)
    # The re-surveys were decided on their day (a week after the e-mail) by the task's service; the invitations
    # went out then, the others carry the contact rules' reason.
    for r in recipients:
        assert r.resurvey_due_at == r.sent_at + dt.timedelta(days=7) and r.resurvey_decided_at == r.resurvey_due_at
        if r.invitation_id:
            assert r.invitation.sent_at == r.resurvey_due_at and not r.resurvey_reason
        else:
            assert r.resurvey_reason
    assert not Invitation.objects.filter(organization=org, sent_at__isnull=True, send_after__isnull=False).exists()

    ctx = OrgContext(organization=org, role=Role.CX_MANAGER)
    report = customer_update_recovery(ctx=ctx, action=action)
    r = report.recovery
    pairs = [
        (row.recipient.first_score, row.next_score)
        for row in report.rows
        if row.next_score is not None and row.recipient.first_metric == r.metric
    ]
    assert r.n == len(pairs) >= 5
    assert np.mean([n - f for f, n in pairs]) > 0  # mostly happier than when they complained
    assert r.min_pairs == max(org.min_n, 5)
    if r.enough:
        assert r.mean_change == pytest.approx(np.mean([n - f for f, n in pairs]))
    else:  # the small demo may have fewer pairs than the minimum n: only n is shown
        assert r.mean_change is None

    # The win's stored measurement is still what the rollups say (its answers were planted after its windows).
    tp = action.touchpoints.get()
    before = touchpoint_nps(
        ctx=ctx, touchpoint_id=tp.pk, start=action.impact_before_start, end=action.impact_before_end
    )
    after = touchpoint_nps(ctx=ctx, touchpoint_id=tp.pk, start=action.impact_after_start, end=action.impact_after_end)
    assert (before.n, after.n) == (action.impact_before_n, action.impact_after_n)
    assert nps_difference(before, after).delta == pytest.approx(action.impact_delta)


def test_the_demo_step_runs_on_sqlite(tmp_path):
    script = (
        "import json; from io import StringIO; from django.core.management import call_command; "
        "from program.models import CustomerUpdate, CustomerUpdateRecipient; "
        f"call_command('seed_demo', stdout=StringIO(), customers={SMALL['customers']}, months={SMALL['months']}); "
        "u = CustomerUpdate.objects.get(action__organization__name='Nordlys Bredband AB'); "
        "r = CustomerUpdateRecipient.objects.filter(update=u); "
        "print(json.dumps({'recipients': r.count(), 'unsent': r.filter(sent_at__isnull=True).count(), "
        "'undecided': r.filter(resurvey_decided_at__isnull=True).count(), "
        "'invited': r.exclude(invitation=None).count(), 'success': u.action.is_success}))"
    )
    found = run_on_fresh_sqlite(tmp_path, script)
    assert found["recipients"] >= 5 and found["unsent"] == 0 and found["undecided"] == 0 and found["success"]
