"""Schedules of the KPI engine, upserted into django-celery-beat by core.periodic_tasks (migrate, setup_periodic_tasks).

The names are those the data migration 0002_periodic_tasks stored, so deployed databases keep one row each.
"""

PERIODIC_TASKS = [
    {
        "name": "kpis.aggregate_dirty (every minute)",
        "task": "kpis.aggregate_dirty",
        # Catches keys whose on-commit run was lost (broker down, worker killed); cheap when none are dirty.
        "every_seconds": 60,
        "description": "Recompute dirty (touchpoint or journey, day) rollups from the answers.",
    },
    {
        "name": "kpis.reconcile_rollups (nightly)",
        "task": "kpis.reconcile_rollups",
        # 03:30 local time: after the day's imports and the 02:30 value model, before anyone reads the dashboards.
        "crontab": {"minute": 30, "hour": 3},
        "description": "Compare the rollups with a fresh recompute; fix and record differences.",
    },
]
