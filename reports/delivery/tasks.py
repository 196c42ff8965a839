"""Celery tasks of report delivery: thin, named, ids only (registered through reports.receivers, see apps.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.delivery.report_ready")
def process_ready_report(report_id: int) -> list[int]:
    """Store the report's PDF; for a scheduled report create the subscribers' deliveries and queue their sends."""
    from reports.delivery.services import report_ready_process

    return report_ready_process(report_id=report_id)


@shared_task(name="reports.delivery.send")
def send_report_delivery(delivery_id: int) -> bool:
    """Send one subscriber's e-mail (claimed first: a repeat of this task sends nothing more)."""
    from reports.delivery.services import delivery_send

    return delivery_send(delivery_id=delivery_id)


@shared_task(name="reports.delivery.sweep")
def sweep_report_deliveries() -> dict[str, int]:
    """Reopen sends whose worker died, finish recent reports' PDFs and deliveries, queue what is pending."""
    from reports.delivery.services import deliveries_sweep

    return deliveries_sweep()
