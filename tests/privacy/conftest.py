"""A person with data in every corner of the platform, planted through the real services.

`person_world(cast)` creates, in the cast's organization: a customer with unmistakable identifiers, consent
changes, an invitation and a contact decision, a detractor response with a comment (processed: an alert rule opens
a case, replies to the customer by e-mail and notifies the team), notes, a contact attempt and a resolution quoting
the person, revenue and churn facts, an import job whose stored file, error report and error list name the person,
a monthly report quoting the comment, and a Django admin log entry. Rollups are aggregated.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.scoping import context_for_membership
from actions.models import AlertRule, FeedbackCase
from actions.services.cases import case_add_note, case_claim, case_log_contact, case_set_resolution
from customers.models import Customer
from customers.services import customer_create
from imports.models import ImportJob
from kpis.rollups import aggregate_dirty
from privacy import services
from reports.models import MonthlyReport
from reports.services import report_generate
from surveys.ingestion.services import response_process, response_submit
from surveys.models import ContactDecision, Invitation, Response
from tests.actions.conftest import make_survey
from tests.conftest import OrgCast
from tests.factories import StageFactory, TouchpointFactory
from value.models import ChurnEvent, CustomerRevenue
from webhooks.models import EventType, WebhookEndpoint

NAME = "Zebulon Quartermaine"
EMAIL = "zebulon.quartermaine@privacy-test.example"
PHONE = "+46701239876"
EXTERNAL_ID = "ZQ-PRIV-4711"
COMMENT = "Technician never came and nobody called back, Zebulon Quartermaine is very disappointed"
IDENTIFIERS = [NAME, "Zebulon", "Quartermaine", EMAIL, PHONE, EXTERNAL_ID, COMMENT]


def ctx_of(membership):
    return context_for_membership(membership, user=membership.user)


@dataclass
class PersonWorld:
    cast: OrgCast
    customer: Customer
    response: Response
    case: FeedbackCase
    import_job: ImportJob
    stored_files: list[str] = field(default_factory=list)

    @property
    def org(self):
        return self.cast.org


def person_world(cast: OrgCast, capture, *, identity: dict | None = None, comment: str = COMMENT) -> PersonWorld:
    identity = identity or {"name": NAME, "email": EMAIL, "phone": PHONE, "external_id": EXTERNAL_ID}
    org = cast.org
    admin = ctx_of(cast.admin)
    stage = StageFactory(organization=org, journey__organization=org)
    touchpoint = TouchpointFactory(stage=stage, name=f"{org.name} technician visit", responsible_team=cast.team)
    survey, version, _questions = make_survey(org)
    survey.touchpoints.add(touchpoint)
    AlertRule.objects.create(organization=org, name="Detractors", nps_max=6, sla_hours=48, reply_to_customer=True)

    # An integration receiving personal data: its deliveries quote the comment and the external id. (Its address
    # is refused by the sender's address check, so nothing leaves the machine.)
    WebhookEndpoint.objects.create(
        organization=org,
        url="https://127.0.0.1:9/cx-hook",
        events=[EventType.RESPONSE_RECEIVED, EventType.CASE_OPENED],
        include_personal_data=True,
    )
    customer = customer_create(ctx=admin, may_survey=True, may_contact=True, language="en", segment="Gold", **identity)
    services.consent_set(ctx=admin, customer=customer, kind="marketing", granted=True, source="phone call")

    invitation = Invitation.objects.create(
        organization=org,
        survey=survey,
        touchpoint=touchpoint,
        customer=customer,
        expires_at=timezone.now() + dt.timedelta(days=14),
        sent_at=timezone.now(),
    )
    ContactDecision.objects.create(
        organization=org,
        customer=customer,
        customer_external_id=customer.external_id,
        touchpoint=touchpoint,
        survey=survey,
        invitation=invitation,
        decision=ContactDecision.Decision.INVITED,
        reason=ContactDecision.Reason.ELIGIBLE,
        message=f"invited {customer.email}",
        idempotency_key=f"event-{customer.external_id}-1",
    )
    with capture(execute=True):
        response, _created = response_submit(
            organization=org,
            survey=survey,
            version=version,
            answers={"nps": 2, "csat": 1, "why": comment},
            touchpoint=touchpoint,
            customer=customer,
            invitation=invitation,
            language="en",
            idempotency_key=f"crm-{customer.external_id}-1",
        )
        response_process(response_id=response.pk)
    case = FeedbackCase.objects.get(response=response)
    case_claim(ctx=admin, case=case)
    case_add_note(ctx=admin, case=case, note=f"Spoke to {customer.name.split()[0]}, wants a call on {customer.phone}")
    case_log_contact(ctx=admin, case=case, channel="phone", outcome="reached", note=f"Called {customer.name}")
    case_set_resolution(ctx=admin, case=case, resolution=f"Refund sent to {customer.email}")

    month = timezone.localdate().replace(day=1)
    CustomerRevenue.objects.create(organization=org, customer=customer, month=month, amount=129)
    ChurnEvent.objects.create(
        organization=org, customer=customer, date=timezone.localdate(), reason=f"moved ({customer.external_id})"
    )

    row = f"{customer.external_id},{customer.name},{customer.email},{customer.phone}\n"
    job = ImportJob(
        organization=org,
        kind=ImportJob.Kind.CUSTOMERS,
        original_name="crm.csv",
        status=ImportJob.Status.DONE,
        errors=[{"row": 2, "message": f"bad phone in row of {customer.external_id}", "values": [customer.email]}],
    )
    job.file.save("crm.csv", ContentFile(("external_id,name,email,phone\n" + row).encode()), save=False)
    job.error_report.save("crm-errors.csv", ContentFile(("line,error\n2," + row).encode()), save=False)
    job.save()

    # The report's callbacks (PDF rendering, seconds) are not run: a stored PDF is stood in for.
    with capture(execute=False):
        report = report_generate(organization=org, month=month, trigger="on_demand", user=cast.admin.user)
    MonthlyReport.objects.filter(pk=report.pk).update(pdf=f"%PDF {comment}".encode())

    LogEntry.objects.create(
        user=cast.admin.user,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["email"]}}]),
    )
    aggregate_dirty()
    customer.refresh_from_db()
    return PersonWorld(
        cast=cast,
        customer=customer,
        response=response,
        case=case,
        import_job=job,
        stored_files=[job.file.name, job.error_report.name],
    )


TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "USER-DEFINED")


def scan_database(needles: list[str]) -> dict[str, int]:
    """Every text, character and JSON column of every table of the database: rows containing any needle."""
    assert connection.vendor == "postgresql"
    found: dict[str, int] = {}
    patterns = [f"%{n}%" for n in needles]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        assert len(columns) > 100, "the scan found suspiciously few columns"
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE ANY(%s)',  # noqa: S608
                [patterns],
            )
            n = cursor.fetchone()[0]
            if n:
                found[f"{table}.{column}"] = n
    return found


@pytest.fixture
def world_a(cast_a, django_capture_on_commit_callbacks, settings) -> PersonWorld:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return person_world(cast_a, django_capture_on_commit_callbacks)
