from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organizations and access")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import load_saved_language, mark_activity

        user_logged_in.connect(mark_activity, dispatch_uid="accounts.mark_activity")
        user_logged_in.connect(load_saved_language, dispatch_uid="accounts.load_saved_language")
