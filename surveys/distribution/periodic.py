"""Schedules of surveys.distribution, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "surveys.send_due_invitations",
        "task": "surveys.send_due_invitations",
        "every_seconds": 5 * 60,
        "expire_seconds": 4 * 60,
        "description": "Send held survey invitations whose hold (priority window) is over, and any lost send.",
    },
    {
        "name": "surveys.send_reminders",
        "task": "surveys.send_reminders",
        "every_seconds": 60 * 60,
        # Claims are conditional UPDATEs, so an overlapping or repeated run never sends a reminder twice.
        "expire_seconds": 55 * 60,
        "description": "Remind invitees who have not answered (survey reminder count and delay).",
    },
]
