from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks (signed event deliveries to subscribers' endpoints)"

    def ready(self) -> None:
        from actions.signals import case_closed, case_opened, impact_measured
        from reports.signals import report_ready
        from surveys.signals import responses_processed
        from webhooks import receivers
        from webhooks import tasks as _tasks  # noqa: F401 (registers the tasks in every process)

        responses_processed.connect(receivers.on_responses_processed, dispatch_uid="webhooks.responses_processed")
        case_opened.connect(receivers.on_case_opened, dispatch_uid="webhooks.case_opened")
        case_closed.connect(receivers.on_case_closed, dispatch_uid="webhooks.case_closed")
        impact_measured.connect(receivers.on_impact_measured, dispatch_uid="webhooks.impact_measured")
        report_ready.connect(receivers.on_report_ready, dispatch_uid="webhooks.report_ready")
