from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from accounts.signals import metric_texts_requested
        from surveys import receivers

        metric_texts_requested.connect(receivers.on_metric_texts_requested, dispatch_uid="surveys.metric_texts")
