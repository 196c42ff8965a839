"""Reads for the survey builder, always through an OrgContext."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import get_language

from accounts.models import Organization
from accounts.scoping import OrgContext, get_in_org
from core.scales import metric_key, scale_for_metric, scale_for_question
from journeys.models import Journey, Touchpoint
from surveys.models import Question, Survey, SurveyVersion


def survey_list(*, ctx: OrgContext) -> QuerySet[Survey]:
    return (
        Survey.objects.for_org(ctx.organization)
        .select_related("current_version", "journey")
        .prefetch_related(Prefetch("touchpoints", queryset=Touchpoint.objects.only("pk", "name")))
        .annotate(response_count=Count("responses", distinct=True))
        .order_by("status", "name")
    )


def survey_get(*, ctx: OrgContext, pk: int) -> Survey:
    return get_in_org(Survey.objects.select_related("current_version", "journey"), ctx, pk=pk)


def touchpoint_choices(*, ctx: OrgContext) -> QuerySet[Touchpoint]:
    return (
        Touchpoint.objects.for_org(ctx.organization)
        .select_related("journey", "stage")
        .order_by("journey__name", "stage__position", "position", "pk")
    )


def journey_choices(*, ctx: OrgContext) -> QuerySet[Journey]:
    return Journey.objects.for_org(ctx.organization).active()


def draft_version(*, survey: Survey) -> SurveyVersion | None:
    """The unpublished version being edited, if any (there is at most one: always the newest)."""
    latest = survey.versions.order_by("-number").first()
    return latest if latest is not None and not latest.is_published else None


def editable_version(*, survey: Survey) -> SurveyVersion | None:
    """What the builder shows: the draft if one exists, else the live version."""
    return draft_version(survey=survey) or survey.current_version


def ordered_questions(questions: Iterable[Question]) -> list[Question]:
    """Questions in display order: each follow-up right after the score question it follows up."""
    questions = sorted(questions, key=lambda q: (q.position, q.pk or 0))
    children: dict[int, list[Question]] = {}
    for q in questions:
        if q.follow_up_for_id:
            children.setdefault(q.follow_up_for_id, []).append(q)
    known = {q.pk for q in questions}
    result = []
    for q in questions:
        if q.follow_up_for_id and q.follow_up_for_id in known:
            continue
        result.append(q)
        result.extend(children.get(q.pk, []))
    return result


def version_questions(*, version: SurveyVersion | None) -> list[Question]:
    if version is None:
        return []
    return ordered_questions(version.questions.select_related("follow_up_for"))


@dataclass
class TranslationStatus:
    languages: list[str]
    # language -> human-readable list of what lacks a text in that language
    missing: dict[str, list[str]] = field(default_factory=dict)
    # A survey without questions has nothing translated yet: it is not "complete" in any language.
    has_questions: bool = True

    @property
    def complete(self) -> bool:
        return self.has_questions and not any(self.missing.values())

    def badges(self) -> list[tuple[str, int]]:
        return [(lang, len(self.missing.get(lang, []))) for lang in self.languages]


def translation_status(*, survey: Survey, questions: list[Question]) -> TranslationStatus:
    """Which question and option texts are missing, per survey language."""
    languages = list(survey.languages or [survey.default_language])
    status = TranslationStatus(
        languages=languages, missing={lang: [] for lang in languages}, has_questions=bool(questions)
    )
    for q in questions:
        for lang in languages:
            if not (q.text.get(lang) or "").strip():
                status.missing[lang].append(f"{q.code}")
            if q.is_choice:
                for opt in q.options:
                    if not (opt.get("text", {}).get(lang) or "").strip():
                        status.missing[lang].append(f"{q.code} / {opt.get('code')}")
    return status


def missing_languages(question: Question, languages: list[str]) -> list[str]:
    result = []
    for lang in languages:
        lacking = not (question.text.get(lang) or "").strip()
        if not lacking and question.is_choice:
            lacking = any(not (o.get("text", {}).get(lang) or "").strip() for o in question.options)
        if lacking:
            result.append(lang)
    return result


def metric_question_texts(*, organization: Organization) -> dict[str, str]:
    """The metric key of every rating and yes/no question in the versions of the organization's customer surveys
    (employee and leadership answers never become customer metrics), with the text of its newest question in the
    active language: what the metric pickers offer beside NPS, CSAT and CES (accounts.selectors.metric_choices)."""
    customer_kinds = [k for k in Survey.Kind.values if k not in Survey.INTERNAL_KINDS]
    rows = (
        Question.objects.for_org(organization)
        .filter(kind__in=Question.SCORE_KINDS, version__survey__kind__in=customer_kinds)
        .order_by("-version__created_at", "pk")
        .values_list("kind", "code", "scale_min", "scale_max", "text")
    )
    language = get_language() or organization.default_language
    texts: dict[str, str] = {}
    for kind, code, low, high, text in rows:
        scale = scale_for_question(kind, low, high)
        if scale is None:
            continue
        key = metric_key(kind, code, scale)
        if key in texts or scale_for_metric(key) is None:
            continue
        text = text or {}
        texts[key] = text.get(language) or text.get(organization.default_language) or next(iter(text.values()), "")
    return texts
