from django.apps import AppConfig
from django.db.models.signals import post_delete, pre_delete


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log (who saw, exported or changed what)"

    def ready(self) -> None:
        from accounts.models import Organization
        from accounts.signals import access_event
        from audit.receivers import allow_purge_with_organization, end_purge_with_organization, record_access_event

        pre_delete.connect(allow_purge_with_organization, sender=Organization, dispatch_uid="audit.org_purge")
        post_delete.connect(end_purge_with_organization, sender=Organization, dispatch_uid="audit.org_purge_end")
        access_event.connect(record_access_event, dispatch_uid="audit.access_event")
