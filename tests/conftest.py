"""Shared fixtures: two organizations with one member per role each, clients for them, and per-test settings.

`cast_a`/`cast_b` give the permission tests their cast: every role in org A, and org B whose members must see
nothing of org A. `api_key_client`/`api_session_client` are DRF clients for an organization's API key or a member's
session; `loop_a`/`loop_b` add the closed loop of tests.actions.conftest to a cast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership, Organization, Role, Team
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory, UserFactory


@dataclass
class OrgCast:
    org: Organization
    team: Team
    admin: Membership
    cx_manager: Membership
    frontline: Membership
    executive: Membership

    def member(self, role: str) -> Membership:
        return getattr(self, role)


def _make_cast(name: str) -> OrgCast:
    org = OrganizationFactory(name=name, slug=name.lower().replace(" ", "-"))
    team = TeamFactory(organization=org, name=f"{name} support")
    cast = {}
    for role in Role.values:
        user = UserFactory(username=f"{org.slug}-{role}")
        cast[role] = MembershipFactory(organization=org, user=user, role=role)
    cast[Role.FRONTLINE].teams.add(team)
    return OrgCast(org=org, team=team, **cast)


@pytest.fixture
def cast_a(db) -> OrgCast:
    return _make_cast("Alpha Telecom")


@pytest.fixture
def cast_b(db) -> OrgCast:
    return _make_cast("Beta Broadband")


def login(client: Client, membership: Membership) -> Client:
    client.force_login(membership.user)
    return client


@pytest.fixture
def client_for(client):
    """client_for(membership) -> a Django test client logged in as that member."""

    def make(membership: Membership) -> Client:
        c = Client()
        c.force_login(membership.user)
        return c

    return make


def api_key_for(owner: Organization | Membership, **options) -> tuple[ApiKey, APIClient]:
    """A new API key of the organization (created by its admin, or by the member given) and a DRF client using it.

    `options` go to api_key_create (read_only, scopes).
    """
    member = owner if isinstance(owner, Membership) else _admin_of(owner)
    key, raw = api_key_create(ctx=context_for_membership(member, user=member.user), name="test key", **options)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return key, client


def _admin_of(org: Organization) -> Membership:
    return Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user").first()


@pytest.fixture
def api_key_client():
    """api_key_client(org or membership) -> a DRF client authenticated with a new API key of that organization."""

    def make(owner: Organization | Membership) -> APIClient:
        return api_key_for(owner)[1]

    return make


@pytest.fixture
def api_session_client():
    """api_session_client(membership) -> a DRF client logged in as that member (session auth)."""

    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.force_login(membership.user)
        return client

    return make


@pytest.fixture
def loop_a(cast_a):
    """Org A's closed loop (tests.actions.conftest.build_loop): teams, touchpoints, a survey, a rule, a customer."""
    from tests.actions.conftest import build_loop  # imported here: that module imports this one

    return build_loop(cast_a)


@pytest.fixture
def loop_b(cast_b):
    from tests.actions.conftest import build_loop  # imported here: that module imports this one

    return build_loop(cast_b)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded import files and error reports go to a per-test folder, never into the work tree."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The shared cast creates many users; the production hasher would spend seconds per test on hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_cached_rows_across_tests_on_sqlite():
    """Empty the in-process caches after each test on SQLite, where ids come back after the test's rollback.

    PostgreSQL's sequences never hand out an id twice, so what one test cached under an id (a published version's
    questions, an organization's segments, a report's PDF) can never answer for another test's row there; SQLite's
    table counters are rolled back with the test, and the next test's survey version gets the same id.
    """
    yield
    if connection.vendor != "sqlite":
        return
    from surveys.ingestion.selectors import _published_versions
    from surveys.public.selectors import _published_questions

    _published_questions.clear()
    _published_versions.clear()
    for cache in caches.all(initialized_only=True):
        if isinstance(cache, LocMemCache):
            cache.clear()


@pytest.fixture(autouse=True)
def _english_and_server_time_after_each_test():
    """A request activates its language and time zone in the thread; the next test starts from the defaults again."""
    yield
    from django.conf import settings as django_settings
    from django.utils import timezone, translation

    translation.activate(django_settings.LANGUAGE_CODE)
    timezone.deactivate()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """The system Chromium, started once for every browser test (one Playwright instance per session)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserSession:
    page: object
    errors: list[str]


def signed_in_page(chromium, live_server, user, *, password: str = "password", **context_options) -> BrowserSession:
    """A new browser context signed in as `user` through the real sign-in page; page errors are collected."""
    from django.urls import reverse

    context = chromium.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    return BrowserSession(page=page, errors=errors)
