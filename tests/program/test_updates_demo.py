"""The demo's "you said, we did": the measured win told its customers through the service, on SQLite (the demo's
database) and on PostgreSQL, e-mailing nobody while seeding, with later answers that show a recovery."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from outbox.models import OutboxMessage
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.selectors import customer_update_recovery
from program.updates.services import KIND
from tests.sqlite_demo import run_on_fresh_sqlite

SMALL = {"customers": 300, "months": 4}


@pytest.mark.django_db
def test_the_demo_tells_the_customers_of_its_measured_win_and_shows_their_recovery():
    call_command("seed_demo", stdout=StringIO(), **SMALL)
    org = Organization.objects.get(name="Nordlys Bredband AB")
    update = CustomerUpdate.objects.for_org(org).get()
    assert update.action.is_success and update.resurvey_after_days == 7
    recipients = CustomerUpdateRecipient.objects.filter(update=update)
    assert recipients.count() >= 5
    assert not recipients.filter(sent_at__isnull=True).exists()  # as the outbox would have, back then
    assert not OutboxMessage.objects.filter(kind=KIND).exclude(status="sent").exists()  # nothing left to e-mail
    assert set(recipients.values_list("language", flat=True)) <= set(update.messages)
    report = customer_update_recovery(ctx=OrgContext(organization=org, role=Role.CX_MANAGER), action=update.action)
    assert report.recovery is not None and report.recovery.n >= 5
    assert report.recovery.mean_change > 0


def test_the_demo_step_runs_on_sqlite(tmp_path):
    script = (
        "import json; from io import StringIO; from django.core.management import call_command; "
        "from program.models import CustomerUpdate, CustomerUpdateRecipient; "
        f"call_command('seed_demo', stdout=StringIO(), customers={SMALL['customers']}, months={SMALL['months']}); "
        "u = CustomerUpdate.objects.get(action__organization__name='Nordlys Bredband AB'); "
        "r = CustomerUpdateRecipient.objects.filter(update=u); "
        "print(json.dumps({'recipients': r.count(), 'unsent': r.filter(sent_at__isnull=True).count(), "
        "'invited': r.exclude(invitation=None).count()}))"
    )
    found = run_on_fresh_sqlite(tmp_path, script)
    assert found["recipients"] >= 5 and found["unsent"] == 0
