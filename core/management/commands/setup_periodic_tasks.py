"""Upsert every app's declared periodic tasks into django-celery-beat (core.periodic_tasks; also run by migrate)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from core.periodic_tasks import periodic_tasks_sync


class Command(BaseCommand):
    help = "Create or update the django-celery-beat schedule of every app (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would be written.")
        parser.add_argument(
            "--disable-missing",
            action="store_true",
            help="Disable stored tasks of these apps that are no longer declared.",
        )

    def handle(self, *args, dry_run: bool = False, disable_missing: bool = False, **options):
        try:
            lines = periodic_tasks_sync(dry_run=dry_run, disable_missing=disable_missing)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        for line in lines:
            self.stdout.write(line)
