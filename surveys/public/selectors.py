"""Reads for the public survey pages: the token in the URL is the only credential, so lookups go by token.

A submission is the platform's hottest request, so the token look-up is one hand-written query (the link or
invitation with its survey, organization, live version, touchpoint, journey and customer, and whether the survey
still covers the touchpoint), and a published version's questions are kept per process (they never change).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import Http404

from accounts.models import Organization
from core.rawrows import RowReader, execute_prepared
from customers.models import Customer
from journeys.models import Journey, Touchpoint
from surveys.builder.selectors import version_questions
from surveys.models import Invitation, Question, Survey, SurveyLink, SurveyVersion

TOKEN_MAX = 64
_READERS = {
    model: RowReader(model)
    for model in (SurveyLink, Invitation, Survey, Organization, SurveyVersion, Touchpoint, Journey, Customer)
}


_QUERIES: dict[type, str] = {}


def _token_query(head: type[SurveyLink] | type[Invitation]) -> str:
    r = _READERS
    covers = Survey.touchpoints.through._meta.db_table
    parts = [r[head].columns("h"), r[Survey].columns("s"), r[Organization].columns("o"), r[SurveyVersion].columns("v")]
    parts += [r[Touchpoint].columns("t"), r[Journey].columns("j")]
    joins = ""
    if head is Invitation:
        parts.append(r[Customer].columns("c"))
        joins = f"LEFT JOIN {Customer._meta.db_table} c ON c.id = h.customer_id"
    query = f"""
        SELECT {", ".join(parts)},
            EXISTS (SELECT 1 FROM {covers} st WHERE st.survey_id = s.id AND st.touchpoint_id = h.touchpoint_id)
        FROM {head._meta.db_table} h
        JOIN {Survey._meta.db_table} s ON s.id = h.survey_id
        JOIN {Organization._meta.db_table} o ON o.id = s.organization_id
        LEFT JOIN {SurveyVersion._meta.db_table} v ON v.id = s.current_version_id
        LEFT JOIN {Touchpoint._meta.db_table} t ON t.id = h.touchpoint_id
        LEFT JOIN {Journey._meta.db_table} j ON j.id = t.journey_id
        {joins}
        WHERE h.token = %s
    """  # noqa: S608 (table and column names from the models; the token is a parameter)
    return query


# Kept for speed: as select_related(...).first() a form post costs 1.8 -> 3.4 ms Django + 0.5 -> 1.4 ms PostgreSQL CPU
# (bench_submissions --in-process 1000, spot "token", 2026-12-07); README "Benchmark figures".
def _by_token(head: type[SurveyLink] | type[Invitation], token: str):
    """The link or invitation with `token`, its relations cached on it, or None."""
    r = _READERS
    query = _QUERIES.get(head)
    if query is None:
        query = _QUERIES[head] = _token_query(head)
    with connection.cursor() as cursor:
        execute_prepared(cursor, f"cx_{head._meta.model_name}_by_token", query, [token])
        row = cursor.fetchone()
    if row is None:
        return None
    offset = 0
    built: dict[type, Any] = {}  # the models of the join, by class (rows built by core.rawrows)
    for model in (head, Survey, Organization, SurveyVersion, Touchpoint, Journey, Customer):
        if model is Customer and head is not Invitation:
            continue
        built[model] = r[model].build(row, offset)
        offset += r[model].width
    obj, survey, touchpoint = built[head], built[Survey], built[Touchpoint]
    survey.organization = built[Organization]
    survey.current_version = built[SurveyVersion]
    if touchpoint is not None:
        touchpoint.journey = built[Journey]
    obj.survey = survey
    obj.touchpoint = touchpoint
    if head is Invitation:
        obj.customer = built[Customer]
    obj.survey_covers_touchpoint = bool(row[offset])
    return obj


def link_by_token(token: str) -> SurveyLink | None:
    if not token or len(token) > TOKEN_MAX:
        return None
    return _by_token(SurveyLink, token)


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > TOKEN_MAX:
        return None
    return _by_token(Invitation, token)


def link_is_open(link: SurveyLink) -> bool:
    """An active link of a published survey, at an active touchpoint the survey still covers."""
    survey = link.survey
    if not link.is_active or not survey_is_open(survey):
        return False
    if link.touchpoint is None:
        return True
    covers = getattr(link, "survey_covers_touchpoint", None)
    if covers is None:
        covers = survey.touchpoints.filter(pk=link.touchpoint.pk).exists()
    return link.touchpoint.is_active and covers


def survey_is_open(survey: Survey) -> bool:
    return survey.status == Survey.Status.PUBLISHED and survey.current_version_id is not None


_published_questions: dict[int, list[Question]] = {}


def published_questions(version: SurveyVersion) -> list[Question]:
    """The version's questions in display order; kept per process once published (published versions never change).

    Callers must not modify the returned questions: they are shared by the requests of this process.
    """
    if version.published_at is None:
        return version_questions(version=version)
    questions = _published_questions.get(version.pk)
    if questions is None:
        questions = version_questions(version=version)
        if len(_published_questions) > 2000:
            _published_questions.clear()
        _published_questions[version.pk] = questions
    return questions


def live_questions(survey: Survey) -> tuple[SurveyVersion, list[Question]]:
    version = survey.current_version
    if version is None:
        raise Http404  # a survey without a published version has no live questions
    return version, published_questions(version)
