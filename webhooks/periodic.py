"""Schedule of webhook sending, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "webhooks.sweep",
        "task": "webhooks.sweep",
        "every_seconds": 60,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work.
        "expire_seconds": 55,
        "description": "Webhooks: send the retries that are due, re-open sends whose worker died, purge the "
        "delivery log past its retention.",
    },
]
