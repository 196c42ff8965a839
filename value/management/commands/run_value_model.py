"""Run the value model now, in this process: `manage.py run_value_model [--org SLUG ...]` (default: every org)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from core.scales import unit_label
from value.selectors import snapshot_metric
from value.services import value_model_run


class Command(BaseCommand):
    help = "Compute the value model (revenue, churn, value per touchpoint, key drivers) and store a snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", action="append", default=[], help="organization slug (repeatable)")

    def handle(self, *args, org: list[str], **options) -> None:
        orgs = Organization.objects.order_by("pk")
        if org:
            orgs = orgs.filter(slug__in=org)
            missing = set(org) - set(orgs.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"Unknown organization(s): {', '.join(sorted(missing))}")
        for organization in orgs:
            snapshot = value_model_run(organization=organization)
            results = snapshot.results or {}
            supported = sum(1 for row in results.get("touchpoints", []) if row.get("supported"))
            self.stdout.write(
                f"{organization.slug}: {snapshot.status}; {len(results.get('touchpoints', []))} touchpoints, "
                f"{supported} with a supported value per {unit_label(*snapshot_metric(snapshot))}"
                + (f"; {snapshot.message}" if snapshot.message else "")
            )
