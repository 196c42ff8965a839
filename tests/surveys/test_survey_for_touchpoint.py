"""A touchpoint's invitations go to its customer survey, never to a staff survey (employee, leadership) listing it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from surveys.distribution.services import survey_for_touchpoint
from tests.factories import SurveyFactory, SurveyVersionFactory, TouchpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _published(touchpoint, kind: str):
    survey = SurveyFactory(organization=touchpoint.organization, kind=kind)
    version = SurveyVersionFactory(survey=survey, published_at=timezone.now())
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    survey.touchpoints.add(touchpoint)
    return survey


def test_a_leadership_survey_listing_the_touchpoint_is_never_picked():
    touchpoint = TouchpointFactory()
    _published(touchpoint, "leadership")
    _published(touchpoint, "employee")
    assert survey_for_touchpoint(touchpoint=touchpoint) is None

    customer_survey = _published(touchpoint, "journey")
    assert survey_for_touchpoint(touchpoint=touchpoint) == customer_survey
