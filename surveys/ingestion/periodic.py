"""Schedules of surveys.ingestion, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "surveys.sweep_unprocessed",
        "task": "surveys.sweep_unprocessed",
        "every_seconds": 60,
        # A sweep nobody picked up within the minute is dropped: the next one does the same work.
        "expire_seconds": 55,
        "description": "Process responses whose follow-up work has not run (broker outage, lost task, imports).",
    },
]
