"""Fixtures for the ingestion tests: one program per organization (journey, touchpoints, customer, survey, API key)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey, Organization
from customers.models import Customer
from journeys.models import Journey, Touchpoint
from surveys.models import Survey
from tests.conftest import OrgCast
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.ingestion.factories import make_full_survey


@dataclass
class Program:
    cast: OrgCast
    org: Organization
    journey: Journey
    touchpoint: Touchpoint
    other_touchpoint: Touchpoint
    customer: Customer
    survey: Survey
    api_key: str

    def api(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.api_key}")
        return client


def make_program(cast: OrgCast) -> Program:
    org = cast.org
    journey = JourneyFactory(organization=org, name=f"{org.name} move")
    stage = StageFactory(journey=journey)
    touchpoint = TouchpointFactory(stage=stage, name="Order confirmation", responsible_team=cast.team)
    other_journey = JourneyFactory(organization=org, name=f"{org.name} billing")
    other = TouchpointFactory(stage=StageFactory(journey=other_journey), name="First invoice")
    customer = CustomerFactory(organization=org, external_id=f"{org.slug}-C1", segment="consumer")
    survey = make_full_survey(organization=org, touchpoint=touchpoint)
    prefix, raw = ApiKey.generate()
    from accounts.models import hash_api_key

    ApiKey.objects.create(organization=org, name="integration", prefix=prefix, hashed_key=hash_api_key(raw))
    return Program(
        cast=cast,
        org=org,
        journey=journey,
        touchpoint=touchpoint,
        other_touchpoint=other,
        customer=customer,
        survey=survey,
        api_key=raw,
    )


@pytest.fixture
def prog_a(cast_a) -> Program:
    return make_program(cast_a)


@pytest.fixture
def prog_b(cast_b) -> Program:
    return make_program(cast_b)
