from django.core.management.base import BaseCommand

from kpis import rollups


class Command(BaseCommand):
    help = "Compare the rollups with a fresh recompute from the answers; fix and record the differences."

    def add_arguments(self, parser):
        parser.add_argument("--no-fix", action="store_true", help="Only report.")

    def handle(self, *args, no_fix=False, **options):
        records = rollups.reconcile_rollups(fix=not no_fix)
        total = sum(r.differences for r in records)
        for r in records:
            if r.differences:
                self.stdout.write(f"organization {r.organization_id}: {r.differences} differences, {r.fixed} fixed")
        self.stdout.write(f"{len(records)} organizations checked, {total} differences")
