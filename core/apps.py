from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from core.periodic_tasks import sync_after_migrate

        # Once per migrate, after every app's migrations: a fresh database gets every declared schedule.
        beat = apps.get_app_config("django_celery_beat")
        post_migrate.connect(sync_after_migrate, sender=beat, dispatch_uid="core.periodic_tasks")
