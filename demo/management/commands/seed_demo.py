"""Seed the demo: a Nordic broadband provider with journeys, customers and (through later steps) feedback.

    python manage.py seed_demo [--customers N] [--months M] [--seed S] [--if-empty] [--reset]

Demo logins (all with the password `demo-password-1`): admin, cx, frontline, exec
(one per role: admin, cx_manager, frontline, executive). `cx` is also CX manager of Fjord Energi AS.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from demo.seed import data
from demo.seed.base import DemoUserConflict
from demo.services import DEFAULT_SEED, demo_create, demo_delete, demo_exists


class Command(BaseCommand):
    help = (
        "Create the demo organizations (Nordlys Bredband AB, Fjord Energi AS). "
        f"Logins: admin, cx, frontline, exec; password {data.DEMO_PASSWORD}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=3000, help="customers in the main organization")
        parser.add_argument("--months", type=int, default=14, help="months of history, ending today")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same data)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the demo already exists")
        parser.add_argument("--reset", action="store_true", help="delete the demo organizations and users first")

    def handle(self, *args, customers: int, months: int, seed: int, if_empty: bool, reset: bool, **options) -> None:
        self.verbosity = options["verbosity"]
        if customers < 1 or months < 1:
            raise CommandError("--customers and --months must be at least 1.")
        if demo_exists() and not reset:
            if if_empty:
                self.stdout.write(f"The demo organization {data.ORG_NAME} already exists: nothing to do.")
                self._credentials()
                return
            raise CommandError("The demo already exists: use --reset to rebuild it (or --if-empty to skip).")
        started = time.monotonic()
        try:
            with transaction.atomic():
                if reset:
                    self.stdout.write("Deleting the demo organizations and users...")
                    demo_delete()
                demo_create(customers=customers, months=months, seed=seed, log=self._log)
        except DemoUserConflict as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Demo seeded in {time.monotonic() - started:.1f} s."))
        self._credentials()

    def _log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def _credentials(self) -> None:
        url = settings.SITE_URL.rstrip("/") + "/"
        rows = [("role", "username", "password")] + [
            (role, username, data.DEMO_PASSWORD) for role, username, *_ in data.ROLE_USERS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(f"Open {url} and log in as one of:")
        for n, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
        self.stdout.write(
            f"'cx' also manages {data.SECOND_ORG_NAME} (switch organization in the top bar). "
            "Team leads and agents (e.g. maria.holm, per.sandberg) use the same password."
        )
