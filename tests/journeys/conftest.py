"""Journey fixtures: a small journey map in org A, API clients per key, and the system Chromium for browser tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from journeys.models import Channel, Journey, Persona, Stage, Touchpoint
from tests.factories import JourneyFactory, PersonaFactory, StageFactory, TouchpointFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The shared cast creates eight users with passwords; the default hasher makes that seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class MapData:
    journey: Journey
    persona: Persona
    first: Stage
    second: Stage
    signup: Touchpoint
    welcome: Touchpoint
    first_bill: Touchpoint


def make_map(cast) -> MapData:
    """'Become a customer': stage 'Join' (Sign up, Welcome call), stage 'First month' (First invoice)."""
    org = cast.org
    persona = PersonaFactory(organization=org, name=f"{org.slug} family")
    journey = JourneyFactory(organization=org, name=f"Become a customer ({org.slug})", owner=cast.cx_manager.user)
    journey.personas.add(persona)
    first = StageFactory(journey=journey, name="Join", position=0)
    second = StageFactory(journey=journey, name="First month", position=1)
    signup = TouchpointFactory(
        stage=first,
        name="Sign up online",
        channel=Channel.WEB,
        position=0,
        owner=cast.cx_manager.user,
        responsible_team=cast.team,
        is_moment_of_truth=True,
        pain_points="Address lookup fails\nBankID timeout",
    )
    welcome = TouchpointFactory(stage=first, name="Welcome call", channel=Channel.PHONE, position=1, is_active=False)
    first_bill = TouchpointFactory(stage=second, name="First invoice", channel=Channel.INVOICE, position=0)
    return MapData(journey, persona, first, second, signup, welcome, first_bill)


@pytest.fixture
def map_a(cast_a) -> MapData:
    return make_map(cast_a)


def api_client_for_key(membership: Membership) -> APIClient:
    """An API client authenticated with a fresh API key of the member's organization."""
    ctx = context_for_membership(membership, user=membership.user)
    _key, raw = api_key_create(ctx=ctx, name="test key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def api_key_client():
    """api_key_client(membership) -> a DRF client using a new API key of that member's organization."""
    return api_client_for_key


@pytest.fixture
def api_session_client():
    """api_session_client(membership) -> a DRF client logged in (session) as that member."""

    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.force_login(membership.user)
        return client

    return make
