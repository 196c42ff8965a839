"""Receivers of the webhooks app, connected in WebhooksConfig.ready(): events become delivery rows, nothing more.

Each runs inside the transaction of the change (report_ready excepted: it is sent after commit, so its rows get a
transaction of their own). No receiver talks to the network; the sender does that after the commit.
"""

from __future__ import annotations

from django.db import transaction

from webhooks import events, services
from webhooks.models import EventType


def on_responses_processed(sender, response_ids, organization_ids, **kwargs) -> None:
    services.responses_record(response_ids=list(response_ids), organization_ids=list(organization_ids))


def on_case_opened(sender, case, **kwargs) -> None:
    services.event_record(
        organization_id=case.organization_id,
        event_type=EventType.CASE_OPENED,
        event_id=events.event_id(EventType.CASE_OPENED, str(case.pk)),
        data=lambda personal: events.case_data(case, personal=personal),
    )


def on_case_closed(sender, case, **kwargs) -> None:
    # A case can be closed, reopened and closed again: each closing is its own event.
    services.event_record(
        organization_id=case.organization_id,
        event_type=EventType.CASE_CLOSED,
        event_id=events.event_id(EventType.CASE_CLOSED, f"{case.pk}:{events.iso(case.closed_at)}"),
        data=lambda personal: events.case_data(case, personal=personal),
    )


def on_impact_measured(sender, action, **kwargs) -> None:
    services.event_record(
        organization_id=action.organization_id,
        event_type=EventType.IMPACT_MEASURED,
        event_id=events.event_id(EventType.IMPACT_MEASURED, f"{action.pk}:{events.iso(action.impact_measured_at)}"),
        data=lambda personal: events.impact_data(action),
    )


def on_report_ready(sender, report_id: int, **kwargs) -> None:
    with transaction.atomic():
        services.report_published_record(report_id=report_id)
