"""The one declaration of periodic tasks, and the one function that puts them into django-celery-beat.

An app declares `PERIODIC_TASKS` in a `periodic` module: `<app>/periodic.py` or `<app>/<package>/periodic.py`.
Each entry is a dict with `name`, `task`, either `every_seconds` or `crontab` ({minute, hour, day_of_week,
day_of_month, month_of_year}, in CELERY_TIMEZONE unless `timezone` is given), and optionally `kwargs`,
`expire_seconds`, `queue`, `description`, `enabled`.

`periodic_tasks_sync` upserts them (DatabaseScheduler): after every `migrate` (post_migrate, so a fresh database
gets every schedule) and as `manage.py setup_periodic_tasks`. Syncing again changes nothing; a task removed from
the code is disabled with `disable_missing` (only stored tasks whose name starts with an app's label are touched).
Apps are found through the app registry, so core imports none of them.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, transaction


def declared_tasks() -> list[dict[str, Any]]:
    """Every project app's PERIODIC_TASKS entries, each with its `_module` and `_app` label."""
    found: list[dict[str, Any]] = []
    for config in _project_apps():
        for module_name in _periodic_modules(config):
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
        raise ImproperlyConfigured(f"Periodic tasks declared twice: {', '.join(sorted(duplicates))}")
    return found


def _project_apps() -> list:
    base = str(settings.BASE_DIR)
    # Third-party apps declare nothing here (and their subpackages may need extras).
    return [
        c for c in global_apps.get_app_configs() if str(c.path).startswith(base) and "site-packages" not in str(c.path)
    ]


def _periodic_modules(config) -> list[str]:
    package_path = getattr(config.module, "__path__", None) or []
    packages = [info.name for info in pkgutil.iter_modules(package_path) if info.ispkg]
    return [f"{config.name}.periodic", *(f"{config.name}.{name}.periodic" for name in packages)]


def periodic_tasks_sync(
    *, dry_run: bool = False, disable_missing: bool = False, using: str = DEFAULT_DB_ALIAS
) -> list[str]:
    """Create or update the stored schedule of every declared task; return one line per task touched."""
    entries = declared_tasks()
    with transaction.atomic(using=using):
        lines = [_upsert(entry, dry_run=dry_run, using=using) for entry in entries]
        if disable_missing:
            lines += _disable_missing(entries, dry_run=dry_run, using=using)
        if dry_run:
            transaction.set_rollback(True, using=using)
    return lines


def _upsert(entry: dict[str, Any], *, dry_run: bool, using: str) -> str:
    from django_celery_beat.models import PeriodicTask

    if "every_seconds" in entry:
        when = f"every {entry['every_seconds']}s"
    elif "crontab" in entry:
        when = f"crontab {entry['crontab']}"
    else:
        raise ImproperlyConfigured(f"{entry['name']}: give every_seconds or crontab ({entry['_module']})")
    if dry_run:
        return f"would set {entry['name']}: {entry['task']} {when}"
    defaults = {
        **_schedule(entry, using=using),
        "task": entry["task"],
        "kwargs": json.dumps(entry.get("kwargs", {})),
        "expire_seconds": entry.get("expire_seconds"),
        "queue": entry.get("queue"),
        "description": entry.get("description", ""),
        "enabled": entry.get("enabled", True),
    }
    _task, created = PeriodicTask.objects.using(using).update_or_create(name=entry["name"], defaults=defaults)
    return f"{'created' if created else 'updated'} {entry['name']}: {entry['task']} {when}"


def _schedule(entry: dict[str, Any], *, using: str) -> dict[str, Any]:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule

    if "every_seconds" in entry:
        interval, _ = IntervalSchedule.objects.using(using).get_or_create(
            every=int(entry["every_seconds"]), period=IntervalSchedule.SECONDS
        )
        return {"interval": interval, "crontab": None}
    spec = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
    spec.update({k: str(v) for k, v in entry["crontab"].items()})
    timezone = entry.get("timezone", settings.CELERY_TIMEZONE)
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(timezone=timezone, **spec)
    return {"crontab": crontab, "interval": None}


def _disable_missing(entries: list[dict[str, Any]], *, dry_run: bool, using: str) -> list[str]:
    from django_celery_beat.models import PeriodicTask

    labels = {entry["_app"] for entry in entries}
    declared = {entry["name"] for entry in entries}
    lines = []
    for task in PeriodicTask.objects.using(using).filter(enabled=True).exclude(name__in=declared):
        if task.name.split(".", 1)[0] in labels:
            lines.append(f"{'would disable' if dry_run else 'disabled'} {task.name}")
            if not dry_run:
                task.enabled = False
                task.save(update_fields=["enabled"], using=using)
    return lines


def sync_after_migrate(sender, *, verbosity: int = 1, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """post_migrate receiver (connected in CoreConfig.ready): a migrated database has every declared schedule."""
    try:
        apps.get_model("django_celery_beat", "PeriodicTask")
    except LookupError:
        return  # django-celery-beat's tables are not there (migrated back to zero)
    lines = periodic_tasks_sync(using=using)
    if verbosity >= 2:
        stdout = kwargs.get("stdout") or sys.stdout
        stdout.writelines(f"  {line}\n" for line in lines)
