"""Schedule of report delivery, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "reports.delivery.sweep",
        "task": "reports.delivery.sweep",
        "every_seconds": 300,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work.
        "expire_seconds": 280,
        "description": "Monthly report e-mails: reopen sends whose worker died, store missing PDFs, create and queue "
        "the deliveries of recent scheduled reports (each subscriber gets one e-mail per report).",
    },
]
