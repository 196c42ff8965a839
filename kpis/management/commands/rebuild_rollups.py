from django.core.management.base import BaseCommand

from kpis import rollups


class Command(BaseCommand):
    help = "Recompute every rollup table from the answers (one INSERT ... SELECT ... GROUP BY per table)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", type=int, help="Only this organization's rows (id).")
        parser.add_argument(
            "--table",
            action="append",
            choices=["touchpoint", "segment", "journey", "relationship"],
            help="Only these tables.",
        )

    def handle(self, *args, organization=None, table=None, **options):
        result = rollups.rebuild_rollups(organization_id=organization, tables=table)
        for name, rows in result.rows.items():
            self.stdout.write(f"{name}: {rows} rows in {result.seconds[name]:.2f} s")
