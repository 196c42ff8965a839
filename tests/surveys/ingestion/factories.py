"""Survey factories for the ingestion tests (kept here so they do not collide with the builder's factories)."""

from __future__ import annotations

import datetime as dt
import secrets

import factory
from django.utils import timezone

from surveys.models import Invitation, Question, Survey, SurveyVersion
from tests.factories import OrganizationFactory


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Survey {n}")
    status = Survey.Status.PUBLISHED
    languages = ["en", "sv"]


class SurveyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyVersion

    survey = factory.SubFactory(SurveyFactory)
    organization = factory.SelfAttribute("survey.organization")
    number = factory.Sequence(lambda n: n + 1)
    published_at = factory.LazyFunction(timezone.now)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    version = factory.SubFactory(SurveyVersionFactory)
    organization = factory.SelfAttribute("version.organization")
    code = factory.Sequence(lambda n: f"q{n}")
    kind = Question.Kind.NPS
    text = factory.LazyAttribute(lambda q: {"en": f"Question {q.code}"})
    position = factory.Sequence(lambda n: n)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    organization = factory.SelfAttribute("survey.organization")
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    channel = Invitation.Channel.EMAIL
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))


def make_full_survey(*, organization, touchpoint=None, name: str = "Move survey") -> Survey:
    """A published survey with one question of every kind; codes: nps csat ces effort plan extras why."""
    survey = SurveyFactory(organization=organization, name=name, journey=touchpoint.journey if touchpoint else None)
    if touchpoint is not None:
        survey.touchpoints.add(touchpoint)
    version = SurveyVersionFactory(survey=survey, number=1)
    nps = QuestionFactory(version=version, code="nps", kind=Question.Kind.NPS, required=True)
    QuestionFactory(version=version, code="csat", kind=Question.Kind.CSAT)
    QuestionFactory(version=version, code="ces", kind=Question.Kind.CES)
    QuestionFactory(version=version, code="effort", kind=Question.Kind.RATING, scale_min=1, scale_max=10)
    options = [{"code": c, "text": {"en": c.title()}} for c in ("mobile", "broadband", "tv")]
    QuestionFactory(version=version, code="plan", kind=Question.Kind.SINGLE_CHOICE, options=options)
    QuestionFactory(version=version, code="extras", kind=Question.Kind.MULTI_CHOICE, options=options)
    QuestionFactory(version=version, code="why", kind=Question.Kind.TEXT, follow_up_for=nps)
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey
