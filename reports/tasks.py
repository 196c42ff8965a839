"""Celery tasks of the monthly report: thin, named, ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.generate_report")
def generate_report(report_id: int) -> str:
    """Fill a PENDING report version (figures, page); a version already filled, or being filled, is left as it is."""
    from reports.services import report_fill

    return report_fill(report_id=report_id).status


@shared_task(name="reports.generate_monthly_reports")
def generate_monthly_reports() -> list[int]:
    """Daily (beat): last month's report for every organization whose local date is its first working day."""
    from reports.services import reports_monthly_run

    return reports_monthly_run()


@shared_task(name="reports.requeue_pending", ignore_result=True)
def requeue_pending_reports() -> list[int]:
    """Every minute (beat): queue again the report versions whose generation task was lost."""
    from reports.services import reports_requeue_pending

    return reports_requeue_pending()
