"""Schedules of the actions app, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "actions.escalate_cases",
        "task": "actions.escalate_cases",
        "every_seconds": 300,
        # A run nobody picked up before the next one is due is dropped: the next run does the same work.
        "expire_seconds": 280,
        "description": "Remind team leads of cases nearing their SLA (75 %) and alert CX managers about overdue ones; "
        "each level is sent once per case.",
    },
]
