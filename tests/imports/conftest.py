import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Organization, Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create


@pytest.fixture
def api_key_client():
    """api_key_client(org) -> a DRF client authenticated with a fresh API key of that organization."""

    def make(org: Organization) -> APIClient:
        admin = Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user").first()
        _key, raw = api_key_create(ctx=context_for_membership(admin, user=admin.user), name="test key")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        return client

    return make


@pytest.fixture
def api_session_client():
    """api_session_client(membership) -> a DRF client logged in as that member (session auth)."""

    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.force_login(membership.user)
        return client

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files and error reports go to a throwaway directory, never the project's media/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The shared cast creates eight users per test; the default hasher makes that the slowest part of the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
