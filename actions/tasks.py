"""Celery tasks of the closed loop: thin, named, ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="actions.notify_case_opened")
def notify_case_opened(case_id: int) -> list[int]:
    """Queue a case's e-mails (team, customer) in the outbox unless they went out already; each recipient once.

    New cases queue them in `case_open` itself; this task serves tasks queued before the outbox, and re-queues the
    e-mails of a case that was never notified (e.g. lost with the broker before the outbox existed).
    """
    from actions.services.notifications import case_notifications_enqueue_by_id

    return case_notifications_enqueue_by_id(case_id=case_id)


@shared_task(name="actions.escalate_cases")
def escalate_cases() -> dict[int, int]:
    """Remind team leads of cases nearing their SLA and alert CX managers about overdue ones (beat, every 5 min)."""
    from actions.services.escalation import cases_escalate

    return cases_escalate()
