"""Survey fixtures built through the builder and distribution services, so tests use the real paths."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from surveys.builder import services as builder
from surveys.models import Invitation, Survey, SurveyLink

LANGS = ["sv", "nb", "da", "en"]


def admin_ctx(org: Organization) -> OrgContext:
    return OrgContext(organization=org, role=Role.ADMIN)


def make_survey(
    org: Organization,
    *,
    touchpoints=(),
    kind: str = Survey.Kind.TOUCHPOINT,
    name: str = "Touchpoint NPS",
    languages: list[str] | None = None,
    default_language: str = "en",
    preset: str | None = "nps_why",
    publish: bool = True,
    **settings,
) -> Survey:
    survey = builder.survey_create(
        ctx=admin_ctx(org),
        name=name,
        kind=kind,
        languages=languages or list(LANGS),
        default_language=default_language,
        touchpoints=touchpoints,
        **settings,
    )
    if preset:
        builder.questions_add_preset(survey=survey, preset=preset)
    if publish:
        builder.survey_publish(survey=survey)
        survey.refresh_from_db()
    return survey


def link_for(survey: Survey, touchpoint=None) -> SurveyLink:
    return SurveyLink.objects.get(survey=survey, touchpoint=touchpoint, is_active=True)


def make_invitation(
    survey: Survey, customer, *, touchpoint=None, language: str = "", days: int = 14, **kw
) -> Invitation:
    now = timezone.now()
    return Invitation.objects.create(
        organization=survey.organization,
        survey=survey,
        customer=customer,
        touchpoint=touchpoint,
        language=language,
        expires_at=now + dt.timedelta(days=days),
        sent_at=kw.pop("sent_at", now),
        **kw,
    )
