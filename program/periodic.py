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
    {
        "name": "program.resurveys_due",
        "task": "program.resurveys_due",
        "every_seconds": 15 * 60,
        # A run nobody picked up before the next one is due is dropped: the next run does the same work.
        "expire_seconds": 14 * 60,
        "description": "Decide the due re-surveys of customers told 'you said, we did', each once, under the contact "
        "rules of that day.",
    },
]
