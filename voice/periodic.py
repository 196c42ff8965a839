"""Schedule of the voice app, upserted into django-celery-beat by `manage.py setup_periodic_tasks`."""

PERIODIC_TASKS = [
    {
        "name": "voice.sweep",
        "task": "voice.sweep",
        "every_seconds": 60,
        # A sweep nobody picked up before the next one is due is dropped: the next one does the same work (and two
        # that overlap claim disjoint rows).
        "expire_seconds": 55,
        "description": "Comments: analyse those whose after-commit task was lost, recompute theme statistics left "
        "dirty, queue again re-tagging and discovery runs whose task was lost.",
    },
]
