from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organizations and access")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts.middleware import language_changed, load_saved_language, mark_activity
        from accounts.models import UserPreference

        user_logged_in.connect(mark_activity, dispatch_uid="accounts.mark_activity")
        user_logged_in.connect(load_saved_language, dispatch_uid="accounts.load_saved_language")
        # However a language is saved (My settings, the menu's switch, the admin), every session of the user follows.
        post_save.connect(language_changed, sender=UserPreference, dispatch_uid="accounts.language_saved")
        post_delete.connect(language_changed, sender=UserPreference, dispatch_uid="accounts.language_deleted")
