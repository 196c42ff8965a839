from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy (GDPR export and erasure, retention, consent)"

    def ready(self) -> None:
        from customers.signals import consent_changed
        from privacy.services import consent_changes_record

        consent_changed.connect(consent_changes_record, dispatch_uid="privacy.consent_changes_record")
