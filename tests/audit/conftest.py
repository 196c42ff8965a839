"""Fixtures of the audit tests: the closed-loop cast (a customer, a survey, responses, cases) and API-key clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Organization, Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from tests.actions.conftest import build_loop, respond  # noqa: F401 (respond is used by the tests)


@pytest.fixture
def loop_a(cast_a):
    return build_loop(cast_a)


@pytest.fixture
def loop_b(cast_b):
    return build_loop(cast_b)


def api_key_for(org: Organization, **kwargs) -> tuple[object, APIClient]:
    admin = Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user").first()
    key, raw = api_key_create(ctx=context_for_membership(admin, user=admin.user), name=f"{org.slug} key", **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return key, client


@pytest.fixture
def api_key_client():
    """api_key_client(org) -> a DRF client authenticated with a fresh API key of that organization."""

    def make(org: Organization) -> APIClient:
        return api_key_for(org)[1]

    return make
