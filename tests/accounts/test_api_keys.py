"""Read-only and scoped API keys, enforced for every endpoint by the default permission (accounts.api_auth).

The endpoints are found by walking the API (drf-spectacular's enumerator), so an endpoint added later is covered
without editing this file."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.urls import reverse
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from accounts.api_auth import HasOrganization
from accounts.api_scopes import SCOPES, scope_for_view
from accounts.models import ApiKey
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

# Areas that must have endpoints already (the others may be added later; they are tested once they exist).
CORE_AREAS = {"journeys", "customers", "imports", "surveys", "kpis", "value", "actions", "reports"}


def endpoints() -> dict[str, dict[str, list[str]]]:
    """{area: {"GET": [paths without parameters], "POST": [...]}} for every /api/v1/ endpoint."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if path.startswith("/api/v1/") and "{" not in path:
            found[scope_for_view(callback.cls)][method].append(path)
    return found


def key_client(cast, **options) -> APIClient:
    ctx = context_for_membership(cast.admin, user=cast.admin.user)
    _key, raw = api_key_create(ctx=ctx, name="test key", **options)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_every_endpoint_is_in_a_known_area_and_checked_by_the_default_permission():
    found = endpoints()
    assert set(found) >= CORE_AREAS
    assert set(found) <= set(SCOPES), f"API areas without a scope in accounts.api_scopes: {set(found) - set(SCOPES)}"
    for _path, _regex, _method, callback in EndpointEnumerator().get_api_endpoints():
        if _path.startswith("/api/v1/"):
            assert any(issubclass(p, HasOrganization) for p in callback.cls.permission_classes), callback.cls


def test_a_read_only_key_reads_every_area_and_writes_none(cast_a):
    full, read_only = key_client(cast_a), key_client(cast_a, read_only=True)
    checked_reads = checked_writes = 0
    for area, methods in endpoints().items():
        for path in methods.get("GET", []):
            expected = full.get(path).status_code
            assert expected != 403, path
            assert read_only.get(path).status_code == expected, f"{area}: GET {path}"
            checked_reads += 1
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            for path in methods.get(method, []):
                response = getattr(read_only, method.lower())(path, {}, format="json")
                assert response.status_code == 403, f"{area}: {method} {path} -> {response.status_code}"
                assert "read-only" in response.json()["detail"]
                checked_writes += 1
    assert checked_reads >= len(CORE_AREAS) and checked_writes >= 5


def test_a_full_key_may_write_where_the_read_only_key_may_not(cast_a):
    full, read_only = key_client(cast_a), key_client(cast_a, read_only=True)
    url = reverse("customer-list")
    data = {"external_id": "RO-1", "name": "Kim"}
    assert read_only.post(url, data, format="json").status_code == 403
    assert full.post(url, data, format="json").status_code == 201
    assert read_only.get(url).json()["count"] == 1


@pytest.mark.parametrize("scope", sorted(CORE_AREAS))
def test_a_scoped_key_reaches_its_areas_only(cast_a, scope):
    client = key_client(cast_a, scopes=[scope])
    full = key_client(cast_a)
    found = endpoints()
    for area, methods in found.items():
        for path in methods.get("GET", []):
            status = client.get(path).status_code
            if area == scope:
                assert status == full.get(path).status_code and status != 403, path
            else:
                assert status == 403, f"a {scope} key reached {path}"


def test_a_scoped_key_may_write_in_its_area(cast_a):
    client = key_client(cast_a, scopes=["customers", "journeys"])
    assert client.post(reverse("customer-list"), {"external_id": "S-1"}, format="json").status_code == 201
    assert client.post(reverse("journey-list"), {"name": "Move"}, format="json").status_code == 201
    assert client.post(reverse("kpi-list"), {"code": "x"}, format="json").status_code == 403


def test_unknown_scopes_are_refused(cast_a):
    with pytest.raises(ValueError, match="unknown API scopes"):
        key_client(cast_a, scopes=["everything"])


def test_another_organizations_scoped_key_sees_nothing_of_this_one(cast_a, cast_b):
    from tests.factories import CustomerFactory

    CustomerFactory(organization=cast_a.org, external_id="A-1")
    client = key_client(cast_b, scopes=["customers"], read_only=True)
    assert client.get(reverse("customer-list")).json()["count"] == 0


def test_an_admin_creates_a_read_only_scoped_key_on_the_page_and_it_is_audited(client_for, cast_a):
    c = client_for(cast_a.admin)
    url = reverse("accounts:api_key_list")
    page = c.post(url, {"name": "BI export", "read_only": "on", "scopes": ["kpis", "reports"]}).content.decode()
    key = ApiKey.objects.get()
    assert key.read_only is True and key.scopes == ["kpis", "reports"]
    assert "read only" in page and "kpis, reports" in page
    created = AuditEvent.objects.get(action="api_key.create")
    assert created.detail == {"read_only": True, "scopes": ["kpis", "reports"]}
    assert created.actor_id == cast_a.admin.user_id and created.organization_id == cast_a.org.pk
    c.post(reverse("accounts:api_key_revoke", args=[key.pk]))
    revoked = AuditEvent.objects.get(action="api_key.revoke")
    assert revoked.target_id == str(key.pk) and revoked.detail["scopes"] == ["kpis", "reports"]
    # Revoking twice records nothing more.
    c.post(reverse("accounts:api_key_revoke", args=[key.pk]))
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1


def test_a_bad_scope_on_the_page_is_a_form_error(client_for, cast_a):
    response = client_for(cast_a.admin).post(reverse("accounts:api_key_list"), {"name": "x", "scopes": ["root"]})
    assert response.status_code == 200 and not ApiKey.objects.exists()
