"""Everything the platform holds about one customer, as plain rows per kind, and the zip sent to them.

Known kinds are read with their meaning (question texts, touchpoint names); any other table that points at the
customer, or holds their e-mail address in an organization-owned row (e-mails queued to them, webhook payloads
...), is added as rows of its own columns, so tables added later are part of the export without a change here.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from actions.models import CaseEvent, ContactAttempt, FeedbackCase
from audit.models import AuditEvent
from customers.models import Customer
from privacy import generic
from privacy.models import ConsentEvent
from privacy.scrub import Needles
from surveys.models import Answer, ContactDecision, Invitation, Response
from value.models import ChurnEvent, CustomerRevenue

# Tables read by a kind of their own below (or holding nothing of the person: the privacy records).
KNOWN_MODELS = frozenset(
    {
        "customers.customer",
        "privacy.consentevent",
        "privacy.erasurerecord",
        "surveys.response",
        "surveys.answer",
        "surveys.invitation",
        "surveys.contactdecision",
        "actions.feedbackcase",
        "actions.caseevent",
        "actions.contactattempt",
        "value.customerrevenue",
        "value.churnevent",
        "audit.auditevent",
    }
)
CUSTOMER_TARGET_TYPES = ("customers.customer", "customer")
# Quoting the person only as a figure of the organization (a report's masked quotes), or secrets of the integration.
SKIP_QUOTES = frozenset({"reports.monthlyreport", "accounts.apikey"})


def _rows(qs, fields: dict[str, str]) -> list[dict[str, Any]]:
    """`fields` maps output column -> ORM path."""
    return [{out: row[path] for out, path in fields.items()} for row in qs.values(*fields.values())]


def _plain_rows(model: type[models.Model], qs) -> list[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields if not isinstance(f, models.BinaryField)]
    return list(qs.values(*names))


def subject_data(*, customer: Customer) -> dict[str, list[dict[str, Any]]]:
    org_id = customer.organization_id
    data: dict[str, list[dict[str, Any]]] = {}
    data["customer"] = _rows(
        Customer.objects.filter(pk=customer.pk),
        {
            "id": "pk",
            "external_id": "external_id",
            "name": "name",
            "email": "email",
            "phone": "phone",
            "language": "language",
            "country": "country",
            "segment": "segment",
            "persona": "persona__name",
            "may_survey": "may_survey",
            "may_contact": "may_contact",
            "created_at": "created_at",
            "updated_at": "updated_at",
        },
    )
    data["consent_events"] = _rows(
        ConsentEvent.objects.filter(customer=customer).order_by("at", "pk"),
        {"at": "at", "consent": "kind", "granted": "granted", "source": "source"},
    )
    answers = (
        Answer.objects.filter(organization_id=org_id, response__customer=customer)
        .select_related("response", "question")
        .order_by("response__submitted_at", "response_id", "question__position")
    )
    data["responses"] = [
        {
            "response_id": a.response_id,
            "submitted_at": a.response.submitted_at,
            "survey": a.response.survey.name if a.response.survey_id else "",
            "touchpoint": a.touchpoint.name if a.touchpoint_id else "",
            "language": a.response.language,
            "channel": a.response.channel,
            "source": a.response.source,
            "question": a.question.code,
            "question_text": a.question.text_in(a.response.language, fallback="en"),
            "value": a.value,
            "comment": a.text,
            "choices": a.choices,
        }
        for a in answers.select_related("response__survey", "touchpoint")
    ]
    # Responses without answers (rare) still count as data held.
    answered = {r["response_id"] for r in data["responses"]}
    for r in Response.objects.filter(organization_id=org_id, customer=customer).exclude(pk__in=answered):
        data["responses"].append({"response_id": r.pk, "submitted_at": r.submitted_at, "source": r.source})
    data["invitations"] = _rows(
        Invitation.objects.filter(organization_id=org_id, customer=customer).order_by("created_at", "pk"),
        {
            "id": "pk",
            "survey": "survey__name",
            "touchpoint": "touchpoint__name",
            "channel": "channel",
            "language": "language",
            "created_at": "created_at",
            "sent_at": "sent_at",
            "expires_at": "expires_at",
            "reminders_sent": "reminders_sent",
            "used_at": "used_at",
        },
    )
    data["contact_decisions"] = _rows(
        ContactDecision.objects.filter(organization_id=org_id)
        .filter(models.Q(customer=customer) | models.Q(customer_external_id=customer.external_id))
        .order_by("created_at", "pk"),
        {
            "at": "created_at",
            "decision": "decision",
            "reason": "reason",
            "message": "message",
            "touchpoint": "touchpoint__name",
            "survey": "survey__name",
            "source": "source",
        },
    )
    cases = FeedbackCase.objects.filter(organization_id=org_id, customer=customer)
    data["feedback_cases"] = _rows(
        cases.order_by("opened_at", "pk"),
        {
            "id": "pk",
            "status": "status",
            "touchpoint": "touchpoint__name",
            "opened_at": "opened_at",
            "closed_at": "closed_at",
            "nps": "nps",
            "csat": "csat",
            "root_cause": "root_cause__name",
            "resolution": "resolution",
        },
    )
    data["case_events"] = _rows(
        CaseEvent.objects.filter(case__in=cases).order_by("created_at", "pk"),
        {"case": "case_id", "at": "created_at", "kind": "kind", "old": "old_value", "new": "new_value", "note": "note"},
    )
    data["contact_attempts"] = _rows(
        ContactAttempt.objects.filter(case__in=cases).order_by("at", "pk"),
        {"case": "case_id", "at": "at", "channel": "channel", "outcome": "outcome", "note": "note"},
    )
    data["revenue"] = _rows(
        CustomerRevenue.objects.filter(customer=customer).order_by("month"), {"month": "month", "amount": "amount"}
    )
    data["churn"] = _rows(
        ChurnEvent.objects.filter(customer=customer).order_by("date"), {"date": "date", "reason": "reason"}
    )
    # Who looked at or changed the person's data (GDPR art. 15: the recipients).
    data["access_log"] = _rows(
        AuditEvent.objects.filter(
            organization_id=org_id, target_type__in=CUSTOMER_TARGET_TYPES, target_id=str(customer.pk)
        ).order_by("at", "pk"),
        {"at": "at", "who": "actor_label", "action": "action"},
    )
    _add_other_tables(data, customer)
    return {kind: rows for kind, rows in data.items() if rows or kind in ("customer", "responses", "consent_events")}


def _add_other_tables(data: dict[str, list[dict[str, Any]]], customer: Customer) -> None:
    """Rows of other tables that point at the customer, are addressed to their e-mail, or quote them (webhook
    deliveries, import errors, ...): each table's own columns."""
    _add_pointing_and_addressed(data, customer)
    comments = Answer.objects.filter(organization_id=customer.organization_id, response__customer=customer).exclude(
        text=""
    )
    needles = Needles()
    needles.add_person(name=customer.name, email=customer.email, phone=customer.phone, external_id=customer.external_id)
    for text in comments.values_list("text", flat=True):
        needles.add_comment(text)
    for table in generic.org_tables():
        label = table.label
        if label in KNOWN_MODELS or label in SKIP_QUOTES:
            continue
        seen = {row.get("id") for row in data.get(label, [])}
        qs = generic.matching(table, customer.organization_id, needles.strong)
        rows = [row for row in _plain_rows(table.model, qs) if row.get("id") not in seen]
        if rows:
            data.setdefault(label, []).extend(rows)


def _add_pointing_and_addressed(data: dict[str, list[dict[str, Any]]], customer: Customer) -> None:
    for model, fk in generic.relations_to(Customer):
        label = model._meta.label_lower
        if label in KNOWN_MODELS:
            continue
        rows = _plain_rows(model, model._default_manager.filter(**{fk.name: customer}))
        if rows:
            data.setdefault(label, []).extend(rows)
    if not customer.email:
        return
    for model, org_lookup, field in generic.email_tables():
        label = model._meta.label_lower
        if label in KNOWN_MODELS:
            continue
        qs = model._default_manager.filter(
            **{f"{org_lookup}_id": customer.organization_id, f"{field.name}__iexact": customer.email}
        )
        seen = {row.get("id") for row in data.get(label, [])}
        rows = [row for row in _plain_rows(model, qs) if row.get("id") not in seen]
        if rows:
            data.setdefault(label, []).extend(rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()


def _csv(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def export_zip(*, data: dict[str, list[dict[str, Any]]], organization_name: str) -> bytes:
    """`data.json` (every kind), one CSV per kind, and a README naming the kinds."""
    buffer = io.BytesIO()
    document = {"organization": organization_name, "exported_at": timezone.now(), "data": data}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for kind, rows in data.items():
            archive.writestr(f"{kind.replace('.', '-')}.csv", "\ufeff" + _csv(rows))  # BOM: Excel reads UTF-8
    return buffer.getvalue()
