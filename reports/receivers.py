"""Receivers of the reports app, connected in ReportsConfig.ready()."""

from __future__ import annotations

from core.tasks import enqueue_coalesced

# Imported here so that every process that sets Django up (web, worker) registers the delivery tasks.
from reports.delivery import tasks as delivery_tasks


def deliver_ready_report(sender, report_id: int, trigger: str | None = None, **kwargs) -> None:
    """reports.signals.report_ready: queue the PDF and the subscribers' e-mails (idempotent; sent after commit)."""
    # Broker down: the sweep finishes recent reports.
    enqueue_coalesced(delivery_tasks.process_ready_report, args=(report_id,), after_commit=False)
