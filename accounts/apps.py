from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organizations and access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import mark_activity

        user_logged_in.connect(mark_activity, dispatch_uid="accounts.mark_activity")
