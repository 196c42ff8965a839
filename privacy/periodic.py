"""Schedules of the privacy app, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "privacy.run_retention",
        "task": "privacy.run_retention",
        # Nightly, before the monthly report (03:30) and after the day's imports: a second run the same night finds
        # nothing left to do.
        "crontab": {"minute": 15, "hour": 2},
        "timezone": "UTC",
        "expire_seconds": 6 * 60 * 60,
        "description": "Apply each organization's retention policy (erase inactive customers, mask old comments, "
        "delete old import files and audit entries) and store a report of the run.",
    },
    {
        "name": "privacy.sweep_retention_runs",
        "task": "privacy.sweep_retention_runs",
        "every_seconds": 300,
        "expire_seconds": 280,
        "description": "Queue again the retention runs asked for on the privacy page whose task was lost (broker "
        "down), and mark as failed the runs whose worker stopped.",
    },
]
