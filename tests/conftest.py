"""Shared fixtures: two organizations with one user per role each (alice's org and bob's org).

`org_a`/`org_b` and `members_a`/`members_b` give the permission tests their cast: every role in org A,
and an admin of org B whose view of org A must stay empty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import Membership, Organization, Role, Team
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


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded import files and error reports go to a per-test folder, never into the work tree."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The shared cast creates many users; the production hasher would spend seconds per test on hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
