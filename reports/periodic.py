"""Schedules of the reports app, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "reports.generate_monthly_reports",
        "task": "reports.generate_monthly_reports",
        # Daily, early in the morning (UTC, so also in every Nordic time zone): each organization decides on its own
        # local date whether today is its first working day of the month. A second run the same day creates nothing.
        "crontab": {"minute": 30, "hour": 3},
        "timezone": "UTC",
        "expire_seconds": 6 * 60 * 60,
        "description": "On each organization's first working day (Mon-Fri, its time zone) of the month, generate "
        "last month's executive report (one scheduled version per month).",
    },
    {
        "name": "reports.requeue_pending",
        "task": "reports.requeue_pending",
        "every_seconds": 60,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work.
        "expire_seconds": 55,
        "description": "Queue again the report versions still waiting for generation whose task was lost (broker "
        "down, a crash after the request); a version being generated is left alone.",
    },
]
