"""Receivers of the reports app, connected in ReportsConfig.ready()."""

from __future__ import annotations

import logging

# Imported here so that every process that sets Django up (web, worker) registers the delivery tasks.
from reports.delivery import tasks as delivery_tasks

logger = logging.getLogger(__name__)


def deliver_ready_report(sender, report_id: int, trigger: str | None = None, **kwargs) -> None:
    """reports.signals.report_ready: queue the PDF and the subscribers' e-mails (idempotent; sent after commit)."""
    try:
        delivery_tasks.process_ready_report.delay(report_id)
    except Exception:  # broker down: the sweep finishes recent reports
        logger.warning("report %s: could not queue its delivery; the sweep will", report_id, exc_info=True)
