"""Schedule of the outbox, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "outbox.sweep",
        "task": "outbox.sweep",
        "every_seconds": 60,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work (and two
        # that overlap claim disjoint rows).
        "expire_seconds": 55,
        "description": "Send the outbox's due e-mails (new-case notifications, customer replies, escalations) that "
        "their after-commit task missed or that are due for a retry, and those whose worker died while sending.",
    },
]
