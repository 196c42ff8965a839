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
        "last month's executive report (one scheduled version per month); also generates on-demand versions whose "
        "task was lost.",
    },
]
