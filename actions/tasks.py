"""Celery tasks of the closed loop: thin, named, ids only."""

from __future__ import annotations

from cxplatform.celery import app


@app.task(name="actions.notify_case_opened")
def notify_case_opened(case_id: int) -> None:
    """E-mail the team and (if the rule says so) the customer about a new case; each e-mail is sent once."""
    from actions.services.notifications import case_notify_team, case_reply_customer

    case_notify_team(case_id=case_id)
    case_reply_customer(case_id=case_id)


@app.task(name="actions.escalate_cases")
def escalate_cases() -> dict[int, int]:
    """Remind team leads of cases nearing their SLA and alert CX managers about overdue ones (beat, every 5 min)."""
    from actions.services.escalation import cases_escalate

    return cases_escalate()
