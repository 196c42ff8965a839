"""Consent changes are recorded with their time and source, and shown in the person's consent history."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from privacy.models import ConsentEvent
from tests.factories import CustomerFactory
from tests.privacy.conftest import ctx_of
from tests.privacy.test_export import api_client_with_key

MOMENT = dt.datetime(2026, 11, 3, 14, 30, tzinfo=dt.UTC)


def test_an_administrator_records_a_withdrawal_told_by_letter(cast_a, client_for):
    customer = CustomerFactory(organization=cast_a.org, may_survey=True, may_contact=True)
    client = client_for(cast_a.admin)
    with time_machine.travel(MOMENT, tick=False):
        response = client.post(
            reverse("privacy:subject_consent", args=[customer.pk]),
            {"kind": "contact", "granted": "0", "source": "letter"},
        )
        page = client.get(reverse("privacy:subject", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.may_contact, customer.may_survey) == (False, True)
    [event] = ConsentEvent.objects.filter(customer=customer)
    assert (event.kind, event.granted, event.at, event.source) == (
        "contact",
        False,
        MOMENT,
        "staff:alpha-telecom-admin (letter)",
    )
    audit = AuditEvent.objects.get(action="privacy.consent_change")
    assert audit.target_label == f"customer #{customer.pk}" and audit.detail == {"consent": "contact", "granted": False}
    assert page.status_code == 200
    page = page.content.decode()
    assert "staff:alpha-telecom-admin (letter)" in page and "2026-11-03" in page


def test_an_integration_records_consent_through_the_api(cast_a):
    customer = CustomerFactory(organization=cast_a.org, may_survey=True)
    client = api_client_with_key(cast_a.admin)
    prefix = client.api_key.prefix
    survey = client.post(
        f"/api/v1/privacy/subjects/{customer.pk}/consent/",
        {"kind": "survey", "granted": False, "source": "survey form"},
        format="json",
    )
    assert survey.status_code == 201
    assert survey.json()["source"] == f"api:{prefix} (survey form)"
    marketing = client.post(
        f"/api/v1/privacy/subjects/{customer.pk}/consent/", {"kind": "marketing", "granted": True}, format="json"
    )
    assert marketing.status_code == 201
    customer.refresh_from_db()
    assert customer.may_survey is False
    assert list(ConsentEvent.objects.filter(customer=customer).order_by("pk").values_list("kind", "granted")) == [
        ("survey", False),
        ("marketing", True),
    ]
    refused = client.post(
        f"/api/v1/privacy/subjects/{customer.pk}/consent/", {"kind": "newsletter", "granted": True}, format="json"
    )
    assert refused.status_code == 400


def test_changes_made_by_staff_are_recorded_flag_by_flag(cast_a):
    from customers.services import customer_create, customer_update

    ctx = ctx_of(cast_a.cx_manager)
    customer = customer_create(ctx=ctx, external_id="K-1", may_survey=True, may_contact=False)
    customer_update(ctx=ctx, customer=customer, may_contact=True, segment="Gold")
    customer_update(ctx=ctx, customer=customer, segment="Silver")  # no consent change: nothing recorded
    events = list(
        ConsentEvent.objects.filter(customer=customer).order_by("pk").values_list("kind", "granted", "source")
    )
    assert events == [
        ("survey", True, "staff:alpha-telecom-cx_manager"),
        ("contact", False, "staff:alpha-telecom-cx_manager"),
        ("contact", True, "staff:alpha-telecom-cx_manager"),
    ]


def test_a_customer_import_records_new_customers_and_changed_flags_only(
    cast_a, client_for, django_capture_on_commit_callbacks
):
    from imports.models import ImportJob
    from tests.imports.helpers import import_file

    org = cast_a.org
    CustomerFactory(organization=org, external_id="A", may_survey=True, may_contact=False)
    CustomerFactory(organization=org, external_id="B", may_survey=True, may_contact=True)
    csv = "external_id,name,may_survey,may_contact\nA,Anna,yes,yes\nB,Bo,yes,yes\nC,Cy,no,no\n"
    job = import_file(client_for(cast_a.cx_manager), django_capture_on_commit_callbacks, csv, kind="customers")
    assert job.status == ImportJob.Status.DONE, job.errors
    rows = ConsentEvent.objects.filter(organization=org).order_by("customer__external_id", "kind")
    assert list(rows.values_list("customer__external_id", "kind", "granted", "source")) == [
        ("A", "contact", True, "import"),
        ("C", "contact", False, "import"),
        ("C", "survey", False, "import"),
    ]
    assert all(abs(e.at - timezone.now()) < dt.timedelta(minutes=1) for e in rows)
