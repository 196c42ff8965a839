"""Who may use the privacy pages and API: the organization's administrators and its API keys, nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Customer
from privacy.models import ConsentEvent, RetentionPolicy
from tests.privacy.conftest import EMAIL, NAME
from tests.privacy.test_export import api_client_with_key

SUBJECT_PAGES = ["privacy:subject", "privacy:subject_export", "privacy:subject_erase", "privacy:subject_consent"]
PAGES = ["privacy:home", "privacy:retention_policy", "privacy:retention_run"]
SUBJECT_ENDPOINTS = ["export", "erase", "consent"]


def subject_requests(customer_pk: int) -> list[tuple[str, str, dict]]:
    requests = []
    for name in SUBJECT_PAGES:
        url = reverse(name, args=[customer_pk])
        requests.append(("get", url, {}))
        requests.append(("post", url, {"confirm": "x", "kind": "survey", "granted": "0"}))
    return requests


def test_another_organizations_admin_gets_nothing(world_a, cast_b, client_for):
    client = client_for(cast_b.admin)
    for method, url, data in subject_requests(world_a.customer.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code in (404, 405), f"{method} {url}: {response.status_code}"
    found = client.post(reverse("privacy:home"), {"q": world_a.customer.external_id})
    assert found.status_code == 200
    assert NAME not in found.content.decode() and found.context["matches"] == []
    found = client.post(reverse("privacy:home"), {"q": EMAIL})
    assert found.context["matches"] == []
    assert Customer.objects.filter(pk=world_a.customer.pk, may_survey=True).exists()


def test_another_organizations_api_key_gets_nothing(world_a, cast_b):
    client = api_client_with_key(cast_b.admin)
    pk = world_a.customer.pk
    assert client.get(f"/api/v1/privacy/subjects/{pk}/export/").status_code == 404
    assert client.post(f"/api/v1/privacy/subjects/{pk}/erase/").status_code == 404
    consent = client.post(f"/api/v1/privacy/subjects/{pk}/consent/", {"kind": "survey", "granted": False})
    assert consent.status_code == 404
    found = client.post("/api/v1/privacy/subjects/", {"identifier": EMAIL}, format="json")
    assert (found.status_code, found.json()) == (200, [])
    policy = client.put("/api/v1/privacy/retention-policy/", {"identities_months": 1}, format="json")
    assert policy.status_code == 200
    assert not RetentionPolicy.objects.filter(organization=world_a.org).exists()
    assert Customer.objects.filter(pk=pk, may_survey=True).exists()


@pytest.mark.parametrize("role", ["cx_manager", "frontline", "executive"])
def test_members_who_are_not_administrators_are_refused(world_a, client_for, role):
    client = client_for(world_a.cast.member(role))
    for method, url, data in subject_requests(world_a.customer.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code in (403, 405), f"{role} {method} {url}: {response.status_code}"
    for name in PAGES:
        assert client.post(reverse(name), {"q": EMAIL}).status_code == 403
    assert client.get(reverse("privacy:home")).status_code == 403
    api = APIClient()
    api.force_login(world_a.cast.member(role).user)
    pk = world_a.customer.pk
    assert api.get(f"/api/v1/privacy/subjects/{pk}/export/").status_code == 403
    assert api.post(f"/api/v1/privacy/subjects/{pk}/erase/").status_code == 403
    assert api.get("/api/v1/privacy/retention-policy/").status_code == 403
    assert api.post("/api/v1/privacy/subjects/", {"identifier": EMAIL}, format="json").status_code == 403
    assert Customer.objects.filter(pk=pk).exists()


def test_an_administrator_finds_a_person_by_external_id_email_or_phone(world_a, client_for):
    client = client_for(world_a.cast.admin)
    customer = world_a.customer
    for query in (customer.external_id, customer.email.upper(), "+46 70-123 98 76", str(customer.pk)):
        response = client.post(reverse("privacy:home"), {"q": query})
        assert [c.pk for c in response.context["matches"]] == [customer.pk], query
    assert client.post(reverse("privacy:home"), {"q": "Zebulon"}).context["matches"] == []


def test_a_key_limited_to_other_scopes_or_read_only_cannot_erase(world_a):
    pk = world_a.customer.pk
    scoped = api_client_with_key(world_a.cast.admin, scopes=["customers"])
    assert scoped.get(f"/api/v1/privacy/subjects/{pk}/export/").status_code == 403
    read_only = api_client_with_key(world_a.cast.admin, read_only=True)
    assert read_only.post(f"/api/v1/privacy/subjects/{pk}/erase/").status_code == 403
    assert Customer.objects.filter(pk=pk).exists()


def test_an_api_key_erases_a_person(world_a, django_capture_on_commit_callbacks):
    client = api_client_with_key(world_a.cast.admin, scopes=["privacy"])
    pk = world_a.customer.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/privacy/subjects/{pk}/erase/")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"]["responses_unlinked"] == 1 and body["leftovers"] == {}
    assert not Customer.objects.filter(pk=pk).exists()
    assert not ConsentEvent.objects.filter(organization=world_a.org).exists()
