from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports (monthly executive report, owner scorecards)"

    def ready(self) -> None:
        from reports.receivers import deliver_ready_report
        from reports.signals import report_ready

        report_ready.connect(deliver_ready_report, dispatch_uid="reports.deliver_ready_report")
