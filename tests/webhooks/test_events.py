"""Events reach a real HTTP receiver, signed, from the real code paths: ingestion, cases, impact, reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import context_for_membership
from actions.models import FeedbackCase, ImprovementAction
from actions.services.cases import case_close
from actions.services.improvements import improvement_measure_impact
from reports.models import MonthlyReport
from reports.services import report_generate
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import build_loop, respond
from tests.surveys.ingestion.conftest import make_program
from tests.webhooks.conftest import make_endpoint
from webhooks.models import EventType, WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def submit(prog, capture, **answers):
    payload = {
        "survey": prog.survey.pk,
        "touchpoint": prog.touchpoint.pk,
        "customer_external_id": prog.customer.external_id,
        "answers": answers or {"nps": 9, "why": "Quick and friendly"},
        "language": "sv",
        "channel": "web",
    }
    with capture(execute=True):
        r = prog.api().post("/api/v1/responses/", payload, format="json")
    assert r.status_code == 201, r.content
    return Response.objects.get(pk=r.json()["id"])


def test_a_response_submitted_through_the_api_reaches_the_receiver_signed(
    cast_a, receiver, django_capture_on_commit_callbacks
):
    prog = make_program(cast_a)
    endpoint = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED])
    response = submit(prog, django_capture_on_commit_callbacks)

    [hit] = receiver.events("response.received")
    assert hit.signature_ok
    assert hit.path == "/hooks/cx"
    body = hit.json
    assert body["type"] == "response.received" and body["organization_id"] == cast_a.org.pk
    data = body["data"]
    assert (data["response_id"], data["touchpoint_id"], data["journey_id"]) == (
        response.pk,
        prog.touchpoint.pk,
        prog.journey.pk,
    )
    assert (data["source"], data["language"], data["channel"]) == ("api", "sv", "web")
    scores = {a["question"]: a["value"] for a in data["answers"] if a["value"] is not None}
    assert scores == {"nps": 9}
    # No personal data by default: the comment and the customer are withheld.
    assert [a["text"] for a in data["answers"]] == [None] * len(data["answers"])
    assert data["customer"] is None
    assert "Quick and friendly" not in hit.body.decode()
    assert data["submitted_at"].endswith("Z")

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert hit.headers["X-CX-Delivery"] == str(delivery.pk)
    assert body["id"] == str(delivery.event_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.response_excerpt == '{"ok": true}' and delivery.duration_ms is not None


def test_personal_data_goes_only_to_endpoints_that_ask_for_it(cast_a, receiver, django_capture_on_commit_callbacks):
    prog = make_program(cast_a)
    plain = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED])
    personal = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED], personal=True)
    submit(prog, django_capture_on_commit_callbacks)

    by_endpoint = {
        d.endpoint_id: next(r for r in receiver.events() if r.headers["X-CX-Delivery"] == str(d.pk)).json
        for d in WebhookDelivery.objects.all()
    }
    assert set(by_endpoint) == {plain.pk, personal.pk}
    texts = [a["text"] for a in by_endpoint[personal.pk]["data"]["answers"] if a["text"]]
    assert texts == ["Quick and friendly"]
    assert by_endpoint[personal.pk]["data"]["customer"] == {
        "id": prog.customer.pk,
        "external_id": prog.customer.external_id,
    }
    assert by_endpoint[plain.pk]["data"]["customer"] is None
    # One event, one id, whichever endpoint it went to.
    assert by_endpoint[plain.pk]["id"] == by_endpoint[personal.pk]["id"]


def test_endpoints_get_only_the_events_they_subscribe_to(cast_a, receiver, django_capture_on_commit_callbacks):
    prog = make_program(cast_a)
    make_endpoint(cast_a, receiver, events=[EventType.CASE_CLOSED])
    submit(prog, django_capture_on_commit_callbacks)
    assert receiver.events() == []
    assert not WebhookDelivery.objects.exists()


def test_an_inactive_endpoint_gets_no_events(cast_a, receiver, django_capture_on_commit_callbacks):
    prog = make_program(cast_a)
    endpoint = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED])
    endpoint.active = False
    endpoint.save()
    submit(prog, django_capture_on_commit_callbacks)
    assert receiver.events() == [] and not WebhookDelivery.objects.exists()


def test_a_detractor_opens_a_case_and_closing_it_sends_case_closed(
    cast_a, receiver, django_capture_on_commit_callbacks
):
    loop = build_loop(cast_a)
    make_endpoint(cast_a, receiver, events=[EventType.CASE_OPENED, EventType.CASE_CLOSED])
    response = respond(loop, nps=2, comment="The technician never came")
    with django_capture_on_commit_callbacks(execute=True):
        response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    [opened] = receiver.events("case.opened")
    assert opened.signature_ok
    assert opened.json["data"]["case_id"] == case.pk
    assert (opened.json["data"]["nps"], opened.json["data"]["status"]) == (2, "new")
    assert opened.json["data"]["origin_touchpoint_id"] is None
    assert opened.json["data"]["customer"] is None

    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        case_close(
            ctx=ctx,
            case=case,
            resolution="Called, rebooked",
            root_cause=loop.root_causes["no_show"],
            origin_touchpoint=loop.other_touchpoint,  # the problem started at the invoice
        )
    [closed] = receiver.events("case.closed")
    data = closed.json["data"]
    assert data["origin_touchpoint_id"] == loop.other_touchpoint.pk
    assert closed.signature_ok and data["case_id"] == case.pk and data["status"] == "closed"
    assert data["root_cause"] == {"id": loop.root_causes["no_show"].pk, "name": "No-show"}
    assert data["resolution"] is None  # staff's free text is personal data: withheld by default
    assert data["time_to_close_seconds"] is not None


def test_the_close_of_a_reopened_case_is_a_new_event(cast_a, receiver, django_capture_on_commit_callbacks):
    from actions.services.cases import case_reopen

    loop = build_loop(cast_a)
    make_endpoint(cast_a, receiver, events=[EventType.CASE_CLOSED], personal=True)
    response = respond(loop, nps=1)
    response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        case_close(ctx=ctx, case=case, resolution="First call", root_cause=loop.root_causes["late"])
        case_reopen(ctx=ctx, case=case, reason="Customer called back")
        case_close(
            ctx=ctx,
            case=case,
            resolution="Second call",
            root_cause=loop.root_causes["late"],
            at=timezone.now() + dt.timedelta(minutes=5),
        )
    closed = receiver.events("case.closed")
    assert [c.json["data"]["resolution"] for c in closed] == ["First call", "Second call"]
    assert len({c.json["id"] for c in closed}) == 2


def test_measuring_an_improvements_impact_sends_impact_measured(cast_a, receiver, django_capture_on_commit_callbacks):
    loop = build_loop(cast_a)
    make_endpoint(cast_a, receiver, events=[EventType.IMPACT_MEASURED])
    today = timezone.localdate()
    action = ImprovementAction.objects.create(
        organization=cast_a.org,
        title="SMS reminder",
        status="done",
        start_date=today - dt.timedelta(days=60),
        done_date=today - dt.timedelta(days=40),
    )
    action.touchpoints.add(loop.touchpoint)
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        improvement_measure_impact(ctx=ctx, action=action)
    [hit] = receiver.events("impact.measured")
    data = hit.json["data"]
    assert hit.signature_ok
    assert (data["action_id"], data["title"], data["status"]) == (action.pk, "SMS reminder", "impact_measured")
    assert data["touchpoint_ids"] == [loop.touchpoint.pk] and data["significant"] is False


@pytest.mark.parametrize("trigger", [MonthlyReport.Trigger.ON_DEMAND, MonthlyReport.Trigger.SCHEDULE])
def test_a_ready_report_version_sends_report_published(
    cast_a, receiver, django_capture_on_commit_callbacks, settings, trigger
):
    settings.SITE_URL = "https://cx.example.com"
    make_endpoint(cast_a, receiver, events=[EventType.REPORT_PUBLISHED])
    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_generate(organization=cast_a.org, month=month, trigger=trigger)
    assert report.status == MonthlyReport.Status.READY
    [hit] = receiver.events("report.published")
    data = hit.json["data"]
    assert hit.signature_ok
    assert (data["report_id"], data["month"], data["version"], data["trigger"]) == (
        report.pk,
        month.strftime("%Y-%m"),
        1,
        trigger,
    )
    assert data["url"] == "https://cx.example.com" + reverse("reports:report_detail", args=[report.pk])


def test_a_failed_report_version_sends_nothing(cast_a, receiver):
    from webhooks.receivers import on_report_ready

    make_endpoint(cast_a, receiver, events=[EventType.REPORT_PUBLISHED])
    report = MonthlyReport.objects.create(
        organization=cast_a.org, month=dt.date(2026, 1, 1), status=MonthlyReport.Status.FAILED
    )
    on_report_ready(sender=MonthlyReport, report_id=report.pk, trigger=report.trigger)
    assert not WebhookDelivery.objects.exists()


def test_events_of_one_organization_never_go_to_anothers_endpoint(
    cast_a, cast_b, receiver, django_capture_on_commit_callbacks
):
    prog = make_program(cast_a)
    make_endpoint(cast_b, receiver)
    submit(prog, django_capture_on_commit_callbacks)
    assert receiver.events() == [] and not WebhookDelivery.objects.exists()


def test_the_sweep_records_a_report_event_whose_signal_was_lost(cast_a, receiver):
    from webhooks.sender import deliveries_sweep

    endpoint = make_endpoint(cast_a, receiver, events=[EventType.REPORT_PUBLISHED])
    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    # Inside the test's transaction the after-commit signal never fires: as if the process died after the commit.
    report = report_generate(organization=cast_a.org, month=month, trigger=MonthlyReport.Trigger.ON_DEMAND)
    assert not WebhookDelivery.objects.exists()
    late = make_endpoint(cast_a, receiver, events=[EventType.REPORT_PUBLISHED])
    type(late).objects.filter(pk=late.pk).update(created_at=report.generated_at + dt.timedelta(seconds=1))

    assert deliveries_sweep()["due"] == 1
    deliveries_sweep()  # twice: still one event
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.endpoint_id, delivery.payload["report_id"]) == (endpoint.pk, report.pk)


def test_erasing_a_customer_strips_them_from_the_delivery_log(cast_a, receiver, django_capture_on_commit_callbacks):
    from webhooks.services import personal_data_erase

    prog = make_program(cast_a)
    personal = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED], personal=True)
    plain = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED])
    submit(prog, django_capture_on_commit_callbacks)
    assert personal_data_erase(organization_id=cast_a.org.pk, customer_id=prog.customer.pk) == 1
    stored = WebhookDelivery.objects.get(endpoint=personal).payload
    assert stored["customer"] is None and all(a["text"] is None for a in stored["answers"])
    assert "Quick and friendly" not in str(list(WebhookDelivery.objects.values_list("payload", flat=True)))
    assert WebhookDelivery.objects.get(endpoint=plain).payload["response_id"] == stored["response_id"]
