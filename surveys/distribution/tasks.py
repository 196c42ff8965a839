"""Celery tasks of surveys.distribution (imported by surveys/tasks.py for autodiscovery)."""

from __future__ import annotations

from celery import shared_task

from surveys.distribution import services


@shared_task(name="surveys.send_invitation")
def send_invitation(invitation_id: int) -> bool:
    return services.invitation_send(invitation_id=invitation_id)


@shared_task(name="surveys.send_due_invitations")
def send_due_invitations() -> int:
    return services.invitations_send_due()


@shared_task(name="surveys.send_reminders")
def send_reminders() -> int:
    return services.reminders_send()
