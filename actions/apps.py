from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = _("Closed loop and improvement actions")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from actions.db import register_sqlite_functions
        from actions.receivers import evaluate_alert_rules
        from surveys.signals import responses_processed

        responses_processed.connect(evaluate_alert_rules, dispatch_uid="actions.evaluate_alert_rules")
        connection_created.connect(register_sqlite_functions, dispatch_uid="actions.sqlite_functions")
