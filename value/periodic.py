"""Schedule of the value model, upserted into django-celery-beat by core.periodic_tasks (migrate, setup_periodic_tasks).

The name is the one the data migration 0002_nightly_value_model stored, so deployed databases keep one row.
"""

PERIODIC_TASKS = [
    {
        "name": "value.run_model (nightly)",
        "task": "value.run_model",
        # 02:30 local time: after the day's responses, before anyone reads the dashboards.
        "crontab": {"minute": 30, "hour": 2},
        "description": "Compute the value model (revenue, churn, value per touchpoint) for every organization.",
    },
    {
        "name": "value.requeue",
        "task": "value.requeue",
        "every_seconds": 300,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work.
        "expire_seconds": 290,
        "description": "Queue again the value-model runs still waiting (nightly or on demand) whose task was lost: "
        "broker down, a nightly fan-out stopped midway.",
    },
]
