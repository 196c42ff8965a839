"""The export of one person: a zip with data.json and one CSV per kind of data, every kind present."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from django.apps import apps
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from audit.models import AuditEvent
from tests.privacy.conftest import COMMENT, EMAIL, EXTERNAL_ID, NAME, PHONE

KINDS = {
    "customer",
    "consent_events",
    "responses",
    "invitations",
    "contact_decisions",
    "feedback_cases",
    "case_events",
    "contact_attempts",
    "revenue",
    "churn",
}


def unzip(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def api_client_with_key(membership, **key_fields) -> APIClient:
    key, raw = api_key_create(
        ctx=context_for_membership(membership, user=membership.user), name="privacy", **key_fields
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    client.api_key = key
    return client


def test_export_zip_holds_every_kind_of_data_as_json_and_csv(world_a, client_for):
    customer = world_a.customer
    response = client_for(world_a.cast.admin).post(reverse("privacy:subject_export", args=[customer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store, private"
    assert f"customer-{customer.pk}" in response["Content-Disposition"]
    files = unzip(response.content)
    document = json.loads(files["data.json"])
    data = document["data"]
    assert set(data) >= KINDS, sorted(set(data))
    # Other tables pointing at, addressed to or quoting the person are exported with their own columns.
    assert {"webhooks.webhookdelivery", "imports.importjob"} <= set(data), sorted(data)
    if "outbox" in apps.app_configs and any(m._meta.model_name == "outboxmessage" for m in apps.get_models()):
        assert EMAIL in [row["recipient"] for row in data["outbox.outboxmessage"]]
    assert COMMENT in json.dumps(data["webhooks.webhookdelivery"], ensure_ascii=False)
    for kind in data:
        assert f"{kind.replace('.', '-')}.csv" in files
    [person] = data["customer"]
    assert (person["name"], person["email"], person["phone"], person["external_id"]) == (
        NAME,
        EMAIL,
        PHONE,
        EXTERNAL_ID,
    )
    assert COMMENT in [row["comment"] for row in data["responses"]]
    assert {(row["question"], row["value"]) for row in data["responses"] if row["value"] is not None} == {
        ("nps", 2.0),
        ("csat", 1.0),
    }
    assert {row["source"] for row in data["consent_events"]} == {
        "staff:alpha-telecom-admin",
        "staff:alpha-telecom-admin (phone call)",
    }
    assert data["feedback_cases"][0]["resolution"] == f"Refund sent to {EMAIL}"
    assert [row["amount"] for row in data["revenue"]] == ["129.00"]
    rows = list(csv.DictReader(io.StringIO(files["responses.csv"])))
    assert COMMENT in [row["comment"] for row in rows]
    customer_rows = list(csv.DictReader(io.StringIO(files["customer.csv"])))
    assert customer_rows[0]["email"] == EMAIL


def test_export_is_recorded_in_the_audit_log_without_the_identity(world_a, client_for):
    customer = world_a.customer
    client_for(world_a.cast.admin).post(reverse("privacy:subject_export", args=[customer.pk]))
    event = AuditEvent.objects.get(action="privacy.export")
    assert (event.target_id, event.target_label) == (str(customer.pk), f"customer #{customer.pk}")
    assert event.detail["kinds"]["responses"] == 3
    assert NAME not in json.dumps(event.detail)


def test_export_through_the_api_with_a_key(world_a):
    client = api_client_with_key(world_a.cast.admin)
    response = client.get(f"/api/v1/privacy/subjects/{world_a.customer.pk}/export/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    assert set(json.loads(unzip(response.content)["data.json"])["data"]) >= KINDS
    event = AuditEvent.objects.get(action="privacy.export")
    assert event.actor_label.startswith("API key privacy")
