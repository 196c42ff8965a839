"""Reads for the public survey pages: the token in the URL is the only credential, so lookups go by token."""

from __future__ import annotations

from surveys.builder.selectors import version_questions
from surveys.models import Invitation, Question, Survey, SurveyLink, SurveyVersion

TOKEN_MAX = 64


def link_by_token(token: str) -> SurveyLink | None:
    if not token or len(token) > TOKEN_MAX:
        return None
    return (
        SurveyLink.objects.select_related(
            "survey", "survey__organization", "survey__current_version", "touchpoint", "touchpoint__journey"
        )
        .filter(token=token)
        .first()
    )


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > TOKEN_MAX:
        return None
    return (
        Invitation.objects.select_related(
            "survey", "survey__organization", "survey__current_version", "touchpoint", "touchpoint__journey", "customer"
        )
        .filter(token=token)
        .first()
    )


def link_is_open(link: SurveyLink) -> bool:
    """An active link of a published survey, at an active touchpoint the survey still covers."""
    survey = link.survey
    if not link.is_active or not survey_is_open(survey):
        return False
    if link.touchpoint is None:
        return True
    return link.touchpoint.is_active and survey.touchpoints.filter(pk=link.touchpoint_id).exists()


def survey_is_open(survey: Survey) -> bool:
    return survey.status == Survey.Status.PUBLISHED and survey.current_version_id is not None


def live_questions(survey: Survey) -> tuple[SurveyVersion, list[Question]]:
    version = survey.current_version
    return version, version_questions(version=version)
