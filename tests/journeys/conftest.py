"""Journey fixtures: a small journey map (`make_map`, `map_a`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from journeys.models import Channel, Journey, Persona, Stage, Touchpoint
from tests.factories import JourneyFactory, PersonaFactory, StageFactory, TouchpointFactory


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
