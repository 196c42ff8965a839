"""Who may use the webhook pages and API: the organization's admins and API keys; nobody else, and never across
organizations (another organization's admin and API key get 404 for every object URL, with every method)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

import webhooks.api_urls
import webhooks.urls
from accounts.models import Role
from accounts.services import api_key_create
from audit.models import AuditEvent
from tests.webhooks.conftest import admin_ctx, make_endpoint
from webhooks import events
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
PAYLOAD = {
    "url": "http://127.0.0.1:9/evil",
    "events": ["case.opened"],
    "description": "Hacked",
    "active": False,
}


@pytest.fixture
def victim(cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver, description="Victim CRM hook")
    delivery = WebhookDelivery.objects.create(
        organization=cast_a.org,
        endpoint=endpoint,
        event_type=EventType.CASE_OPENED,
        event_id=events.event_id(EventType.CASE_OPENED, "victim"),
        payload={"case_id": 4242},
        status=WebhookDelivery.Status.FAILED,
        attempts=4,
    )
    return endpoint, delivery


def api_client_for_key(cast) -> APIClient:
    _key, raw = api_key_create(ctx=admin_ctx(cast), name="integration")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def object_urls(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> list[str]:
    """Every page and API URL with an object id, filled with the victim's ids (read from the URL modules)."""
    urls = []
    for module, namespace in ((webhooks.urls, "webhooks:"), (webhooks.api_urls, "")):
        for pattern in module.urlpatterns:
            assert isinstance(pattern, URLPattern)
            params = set(pattern.pattern.regex.groupindex)
            if "pk" not in params:
                continue
            assert params <= {"pk", "format"}, pattern
            pk = delivery.pk if "deliver" in pattern.name else endpoint.pk
            kwargs = {"pk": pk} | ({"format": "json"} if "format" in params else {})
            urls.append(reverse(namespace + pattern.name, kwargs=kwargs))
    return urls


def snapshot() -> list:
    return list(WebhookEndpoint.objects.order_by("pk").values()) + list(WebhookDelivery.objects.order_by("pk").values())


def test_another_organizations_admin_and_api_key_get_404_for_every_object_url(victim, cast_b, client_for):
    endpoint, delivery = victim
    before = snapshot()
    clients = {"admin of B": client_for(cast_b.admin), "API key of B": api_client_for_key(cast_b)}
    urls = object_urls(endpoint, delivery)
    assert len(urls) >= 14
    for who, client in clients.items():
        for url in urls:
            for method in METHODS:
                kwargs = {"format": "json"} if isinstance(client, APIClient) else {}
                response = getattr(client, method)(url, PAYLOAD, **kwargs)
                if url.startswith("/webhooks/") and isinstance(client, APIClient):
                    # An API key is no session: the pages send it to the login page.
                    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
                else:
                    assert response.status_code in (404, 405), (who, method, url, response.status_code)
                assert b"Victim CRM hook" not in response.content and b"4242" not in response.content
    assert snapshot() == before


def test_lists_of_another_organization_show_nothing_of_the_victim(victim, cast_b, client_for):
    page = client_for(cast_b.admin).get(reverse("webhooks:endpoint_list"))
    assert page.status_code == 200 and b"Victim CRM hook" not in page.content
    api = api_client_for_key(cast_b)
    assert api.get("/api/v1/webhooks/endpoints/").json()["results"] == []
    assert api.get("/api/v1/webhooks/deliveries/").json()["results"] == []


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_members_who_are_not_admins_are_refused_everywhere(victim, cast_a, client_for, role):
    endpoint, delivery = victim
    before = snapshot()
    client = client_for(cast_a.member(role))
    for url in [reverse("webhooks:endpoint_list"), reverse("webhooks:endpoint_create")]:
        assert client.get(url).status_code == 403
    for url in object_urls(endpoint, delivery):
        for method in ("get", "post"):
            assert getattr(client, method)(url, PAYLOAD).status_code in (403, 405), (role, method, url)
    for url in ("/api/v1/webhooks/endpoints/", "/api/v1/webhooks/deliveries/"):
        assert client.get(url).status_code == 403
    assert client.post("/api/v1/webhooks/endpoints/", PAYLOAD, content_type="application/json").status_code == 403
    assert snapshot() == before


def test_an_admin_manages_endpoints_in_the_api_and_it_is_audited(cast_a, receiver, client_for, settings):
    api = api_client_for_key(cast_a)
    created = api.post(
        "/api/v1/webhooks/endpoints/",
        {"url": receiver.url, "events": ["case.opened", "report.published"], "description": "ERP"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["case.opened", "report.published"]
    pk = body["id"]
    read = api.get(f"/api/v1/webhooks/endpoints/{pk}/").json()
    assert "secret" not in read and read["include_personal_data"] is False

    changed = api.patch(f"/api/v1/webhooks/endpoints/{pk}/", {"events": ["case.closed"]}, format="json")
    assert changed.status_code == 200 and changed.json()["events"] == ["case.closed"]
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    refused = api.patch(f"/api/v1/webhooks/endpoints/{pk}/", {"url": "http://169.254.169.254/latest/"}, format="json")
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert refused.status_code == 400 and "url" in refused.json()
    bad_event = api.patch(f"/api/v1/webhooks/endpoints/{pk}/", {"events": ["case.deleted"]}, format="json")
    assert bad_event.status_code == 400

    rotated = api.post(f"/api/v1/webhooks/endpoints/{pk}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_expires_at"]

    session = client_for(cast_a.admin)
    assert session.get("/api/v1/webhooks/endpoints/").json()["count"] == 1
    assert api.delete(f"/api/v1/webhooks/endpoints/{pk}/").status_code == 204
    actions = list(AuditEvent.objects.filter(target_id=str(pk)).order_by("pk").values_list("action", flat=True))
    assert actions == ["webhook.create", "webhook.update", "webhook.rotate_secret", "webhook.delete"]
    assert AuditEvent.objects.get(action="webhook.create").actor_label.startswith("API key integration")


def test_the_delivery_log_api_filters_and_retries(victim, cast_a, django_capture_on_commit_callbacks, receiver):
    endpoint, delivery = victim
    api = api_client_for_key(cast_a)
    rows = api.get("/api/v1/webhooks/deliveries/", {"status": "failed", "endpoint": endpoint.pk}).json()["results"]
    assert [r["id"] for r in rows] == [delivery.pk]
    assert api.get("/api/v1/webhooks/deliveries/", {"status": "delivered"}).json()["results"] == []
    with django_capture_on_commit_callbacks(execute=True):
        retried = api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/retry/")
    assert retried.status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.events()) == 1
    assert api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/retry/").status_code == 409


def test_the_pages_create_edit_show_the_secret_and_delete(
    cast_a, receiver, client_for, django_capture_on_commit_callbacks, settings
):
    c = client_for(cast_a.admin)
    r = c.post(
        reverse("webhooks:endpoint_create"),
        {"url": receiver.url, "description": "Slack bridge", "events": ["case.opened", "case.closed"]},
    )
    endpoint = WebhookEndpoint.objects.get(description="Slack bridge")
    assert r.status_code == 302 and r["Location"] == reverse("webhooks:endpoint_detail", args=[endpoint.pk])
    first = c.get(r["Location"]).content.decode()
    assert endpoint.secret in first  # shown once after creating
    assert endpoint.secret not in c.get(r["Location"]).content.decode()
    c.post(reverse("webhooks:endpoint_secret", args=[endpoint.pk]))
    assert endpoint.secret in c.get(r["Location"]).content.decode()
    assert AuditEvent.objects.filter(action="webhook.secret_view", target_id=str(endpoint.pk)).exists()

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    refused = c.post(
        reverse("webhooks:endpoint_edit", args=[endpoint.pk]),
        {"url": "http://localhost/x", "events": ["case.opened"], "active": "on"},
    )
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert refused.status_code == 200
    assert "not a public internet address" in refused.content.decode()
    c.post(
        reverse("webhooks:endpoint_edit", args=[endpoint.pk]),
        {"url": receiver.url, "events": ["case.opened"], "include_personal_data": "on", "active": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.events == ["case.opened"] and endpoint.include_personal_data

    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("webhooks:endpoint_test", args=[endpoint.pk]))
    page = c.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).content.decode()
    assert "webhook.test" in page and "Delivered" in page
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (
        c.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk]), {"status": "failed"})
        .content.decode()
        .count('data-testid="delivery-row"')
        == 0
    )
    detail = c.get(reverse("webhooks:delivery_detail", args=[delivery.pk])).content.decode()
    assert str(delivery.event_id) in detail and "Test event sent from the CX platform." in detail

    assert c.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk])).status_code == 302
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.delete", target_id=str(endpoint.pk)).exists()


def test_a_disabled_endpoint_shows_why(victim, client_for, cast_a):
    endpoint, _delivery = victim
    endpoint.active = False
    endpoint.disabled_at = endpoint.created_at
    endpoint.disabled_reason = "Disabled automatically after 10 deliveries in a row failed. Last error: HTTP 500"
    endpoint.save()
    page = client_for(cast_a.admin).get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).content.decode()
    assert "Disabled automatically after 10 deliveries in a row failed." in page


def test_the_audit_log_never_keeps_a_token_in_an_endpoint_url(cast_a, receiver):
    url = receiver.url + "/T000/B000/SeCrEtToKeN?key=abc"
    endpoint = make_endpoint(cast_a, receiver, url=url, description="")
    from webhooks import services

    services.endpoint_update(ctx=admin_ctx(cast_a), endpoint=endpoint, url=url + "x")
    services.endpoint_delete(ctx=admin_ctx(cast_a), endpoint=endpoint)
    rows = AuditEvent.objects.filter(action__startswith="webhook.")
    assert rows.count() == 3
    assert all("SeCrEtToKeN" not in f"{row.target_label} {row.detail}" for row in rows)
