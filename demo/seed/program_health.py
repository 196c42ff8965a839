"""Demo seed: the program health part (see demo/seed/program.py).

The CX manager owns the program and sits in a steering group with the two executives; a deterministic share of the
monthly report e-mails already sent (if any) were opened by their recipient; then the health of the last twelve
months is stored the way the daily task does it, each month assessed as of its last day from the data seeded before.
No figure is made up: the profile climbs because the demo's history does (cases and actions start later than the
surveys, the value model exists only from today).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from program.health.services import health_snapshots_refresh
from program.models import HealthSnapshot, ProgramSettings
from reports.models import ReportDelivery

if TYPE_CHECKING:
    from demo.seed import SeedContext

OWNER = "cx"
STEERING_GROUP = ["exec", "anders.falk", "cx"]
READ_SHARE = 0.7  # of the report e-mails sent, those opened


def seed(sc: SeedContext) -> None:
    org = sc.organization
    owner = sc.users[OWNER]
    row, _ = ProgramSettings.objects.update_or_create(
        organization=org,
        defaults={"owner": owner, "steering_cadence": "Monthly, first Tuesday", "updated_by": owner},
    )
    row.steering_group.set([sc.users[name] for name in STEERING_GROUP if name in sc.users])
    _mark_reports_read(sc)
    HealthSnapshot.objects.for_org(org).delete()  # a re-seed backfills from scratch
    months = health_snapshots_refresh(organization=org, today=sc.today)
    stages = dict(HealthSnapshot.objects.for_org(org).values_list("month", "stage"))
    sc.log(
        f"  program health: {len(months)} months, from {stages.get(months[0]) or 'all reached'} "
        f"to {stages.get(months[-1]) or 'all reached'}"
    )


def _mark_reports_read(sc: SeedContext) -> None:
    sent = list(
        ReportDelivery.objects.for_org(sc.organization)
        .filter(state=ReportDelivery.State.SENT, sent_at__isnull=False)
        .order_by("pk")
    )
    now = timezone.now()
    for delivery in sent:
        if sc.rng.random() < READ_SHARE:
            delivery.read_at = min(delivery.sent_at + dt.timedelta(hours=sc.rng.randint(1, 72)), now)
    ReportDelivery.objects.bulk_update([d for d in sent if d.read_at], ["read_at"])
