"""Schedule of the program app, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "program.health_snapshots",
        "task": "program.health_snapshots",
        # Daily, after the night's value model and retention runs (UTC, so early morning in every Nordic time
        # zone): each organization's month so far, and last month once more if its last day was missed.
        "crontab": {"minute": 45, "hour": 4},
        "timezone": "UTC",
        "expire_seconds": 6 * 60 * 60,
        "description": "Store each organization's program health (four stages) for the current month; the first "
        "run backfills the last 12 months.",
    },
]
