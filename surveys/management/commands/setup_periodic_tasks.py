"""Upsert the periodic tasks every app declares into django-celery-beat (DatabaseScheduler).

A project app declares `PERIODIC_TASKS` in a `periodic` module: `<app>/periodic.py` or `<app>/<package>/periodic.py`.
Each entry is a dict with `name`, `task`, either `every_seconds` or `crontab` ({minute, hour, day_of_week,
day_of_month, month_of_year}, in CELERY_TIMEZONE unless `timezone` is given), and optionally `kwargs`,
`expire_seconds`, `queue`, `description`, `enabled`. Running the command again changes nothing; a task removed from
the code is disabled with `--disable-missing` (only tasks whose name starts with an app's label are touched).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


def declared_tasks() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    base = str(settings.BASE_DIR)
    for config in apps.get_app_configs():
        if not str(config.path).startswith(base) or "site-packages" in str(config.path):
            continue  # third-party apps declare nothing here (and their subpackages may need extras)
        candidates = [f"{config.name}.periodic"]
        package_path = getattr(config.module, "__path__", None)
        if package_path:
            candidates += [
                f"{config.name}.{info.name}.periodic" for info in pkgutil.iter_modules(package_path) if info.ispkg
            ]
        for module_name in candidates:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            for entry in getattr(module, "PERIODIC_TASKS", []):
                found.append({**entry, "_module": module_name, "_app": config.label})
    names = [entry["name"] for entry in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise CommandError(f"Periodic tasks declared twice: {', '.join(sorted(duplicates))}")
    return found


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
        from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

        entries = declared_tasks()
        with transaction.atomic():
            for entry in entries:
                if "every_seconds" in entry:
                    schedule = {"interval": self._interval(IntervalSchedule, entry["every_seconds"], dry_run)}
                    schedule["crontab"] = None
                    when = f"every {entry['every_seconds']}s"
                elif "crontab" in entry:
                    schedule = {"crontab": self._crontab(CrontabSchedule, entry, dry_run), "interval": None}
                    when = f"crontab {entry['crontab']}"
                else:
                    raise CommandError(f"{entry['name']}: give every_seconds or crontab ({entry['_module']})")
                defaults = {
                    **schedule,
                    "task": entry["task"],
                    "kwargs": json.dumps(entry.get("kwargs", {})),
                    "expire_seconds": entry.get("expire_seconds"),
                    "queue": entry.get("queue"),
                    "description": entry.get("description", ""),
                    "enabled": entry.get("enabled", True),
                }
                if dry_run:
                    self.stdout.write(f"would set {entry['name']}: {entry['task']} {when}")
                    continue
                _task, created = PeriodicTask.objects.update_or_create(name=entry["name"], defaults=defaults)
                self.stdout.write(f"{'created' if created else 'updated'} {entry['name']}: {entry['task']} {when}")
            if disable_missing:
                labels = {entry["_app"] for entry in entries}
                declared = {entry["name"] for entry in entries}
                for task in PeriodicTask.objects.filter(enabled=True).exclude(name__in=declared):
                    if task.name.split(".", 1)[0] in labels:
                        self.stdout.write(f"{'would disable' if dry_run else 'disabled'} {task.name}")
                        if not dry_run:
                            task.enabled = False
                            task.save(update_fields=["enabled"])
            if dry_run:
                transaction.set_rollback(True)

    @staticmethod
    def _interval(model, seconds: int, dry_run: bool):
        if dry_run:
            return None
        interval, _ = model.objects.get_or_create(every=int(seconds), period=model.SECONDS)
        return interval

    @staticmethod
    def _crontab(model, entry: dict[str, Any], dry_run: bool):
        if dry_run:
            return None
        spec = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
        spec.update({k: str(v) for k, v in entry["crontab"].items()})
        crontab, _ = model.objects.get_or_create(timezone=entry.get("timezone", settings.CELERY_TIMEZONE), **spec)
        return crontab
