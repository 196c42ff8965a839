"""Schedule of the imports app, upserted into django-celery-beat by `manage.py setup_periodic_tasks` (and migrate)."""

PERIODIC_TASKS = [
    {
        "name": "imports.requeue",
        "task": "imports.requeue",
        "every_seconds": 60,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work.
        "expire_seconds": 55,
        "description": "Queue again the started imports (customers, revenue, KPI values, responses) whose task was "
        "lost: broker down, a crash between commit and publish, a worker that died.",
    },
]
