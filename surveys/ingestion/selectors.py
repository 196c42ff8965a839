"""Reads of responses and of their ingestion, always through an OrgContext (frontline users see their teams'
touchpoints only). The filtered list is shared by the responses API and the explorer (surveys.explorer), whose
own reads (summary, export columns, saved filters) are in surveys.explorer.selectors."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.scoping import OrgContext, get_in_org
from core.rawrows import RowReader
from customers.models import Customer
from imports.models import ImportJob
from journeys.models import Journey, Persona, Touchpoint
from surveys.models import Answer, Invitation, Response, Survey, SurveyVersion

NPS_BANDS: dict[str, tuple[float, float]] = {
    "promoter": (9, 10),
    "passive": (7, 8),
    "detractor": (0, 6),
}


@dataclass(frozen=True)
class ResponseFilters:
    journey_id: int | None = None
    touchpoint_id: int | None = None
    survey_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    band: str | None = None
    language: str | None = None
    segment: str | None = None
    persona_id: int | None = None
    channel: str | None = None
    source: str | None = None
    customer_external_id: str | None = None
    with_comment: bool = False


def _day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _visible_responses(ctx: OrgContext) -> QuerySet[Response]:
    qs = Response.objects.for_org(ctx.organization)
    if ctx.is_frontline:
        qs = qs.filter(touchpoint__responsible_team_id__in=ctx.team_ids)
    return qs


def _answers_prefetch() -> Prefetch:
    return Prefetch(
        "answers",
        queryset=Answer.objects.select_related("question").order_by("question__position", "question_id"),
    )


def response_list(*, ctx: OrgContext, filters: ResponseFilters | None = None) -> QuerySet[Response]:
    """Visible responses, newest first, with what a list row shows (answers prefetched)."""
    f = filters or ResponseFilters()
    qs = _visible_responses(ctx)
    if f.journey_id:
        qs = qs.filter(journey_id=f.journey_id)
    if f.touchpoint_id:
        qs = qs.filter(touchpoint_id=f.touchpoint_id)
    if f.survey_id:
        qs = qs.filter(survey_id=f.survey_id)
    tz = ctx.organization.zone
    if f.date_from:
        qs = qs.filter(submitted_at__gte=_day_start(f.date_from, tz))
    if f.date_to:
        qs = qs.filter(submitted_at__lt=_day_start(f.date_to + dt.timedelta(days=1), tz))
    if f.language:
        qs = qs.filter(language=f.language)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.segment:
        qs = qs.filter(customer__segment=f.segment)
    if f.persona_id:
        qs = qs.filter(customer__persona_id=f.persona_id)
    if f.customer_external_id:
        qs = qs.filter(customer__external_id=f.customer_external_id)
    if f.band in NPS_BANDS:
        low, high = NPS_BANDS[f.band]
        qs = qs.filter(
            Exists(Answer.objects.filter(response=OuterRef("pk"), metric="nps", value__gte=low, value__lte=high))
        )
    if f.with_comment:
        qs = qs.filter(Exists(Answer.objects.filter(response=OuterRef("pk")).exclude(text="")))
    return (
        qs.select_related("survey", "touchpoint", "journey", "customer")
        .prefetch_related(_answers_prefetch())
        .order_by("-submitted_at", "-pk")
    )


def response_get(*, ctx: OrgContext, pk: int) -> Response:
    qs = _visible_responses(ctx).select_related(
        "survey", "version", "touchpoint", "journey", "customer", "customer__persona", "invitation"
    )
    return get_in_org(qs.prefetch_related(_answers_prefetch()), ctx, pk=pk)


# -- choices for filter forms --------------------------------------------------------------------------------


def journey_choices(*, ctx: OrgContext) -> QuerySet[Journey]:
    return Journey.objects.for_org(ctx.organization).order_by("name")


def touchpoint_choices(*, ctx: OrgContext) -> QuerySet[Touchpoint]:
    qs = Touchpoint.objects.for_org(ctx.organization).select_related("journey")
    if ctx.is_frontline:
        qs = qs.filter(responsible_team_id__in=ctx.team_ids)
    return qs.order_by("journey__name", "name")


def survey_choices(*, ctx: OrgContext) -> QuerySet[Survey]:
    return Survey.objects.for_org(ctx.organization).order_by("name")


def persona_choices(*, ctx: OrgContext) -> QuerySet[Persona]:
    return Persona.objects.for_org(ctx.organization).order_by("name")


def segment_choices(*, ctx: OrgContext) -> list[str]:
    return list(
        Customer.objects.for_org(ctx.organization)
        .exclude(segment="")
        .order_by("segment")
        .values_list("segment", flat=True)
        .distinct()[:200]
    )


# -- lookups for ingestion (one query per kind of object, whatever the batch size) --------------------------


# Submissions look these up on every call: hand-written queries (core.rawrows), same organization filter. Kept for
# speed: as .filter(organization_id=, pk__in=) an API submission costs 2.3 -> 3.4 ms Django CPU (bench_submissions
# --in-process 1000, spot "ids", 2026-12-07); README "Benchmark figures".
_SURVEYS, _TOUCHPOINTS = RowReader(Survey), RowReader(Touchpoint)


def surveys_by_id(*, ctx: OrgContext, ids: Iterable[int]) -> dict[int, Survey]:
    return _SURVEYS.in_org_by_ids(organization_id=ctx.org_id, ids=ids)


# Published versions never change (surveys/models.py), so they are kept per process for a minute; their questions
# come from surveys.public.selectors.published_questions, the one per-process question cache.
PUBLISHED_VERSION_TTL = 60.0
_published_versions: dict[int, tuple[float, SurveyVersion]] = {}


def published_versions_by_id(*, ctx: OrgContext, ids: Iterable[int]) -> dict[int, SurveyVersion]:
    """Published versions of the organization (cached briefly per process)."""
    now = time.monotonic()
    found: dict[int, SurveyVersion] = {}
    missing = set()
    for pk in set(ids):
        hit = _published_versions.get(pk)
        if hit is not None and hit[0] > now and hit[1].organization_id == ctx.org_id:
            found[pk] = hit[1]
        else:
            missing.add(pk)
    if missing:
        qs = SurveyVersion.objects.for_org(ctx.organization).filter(pk__in=missing, published_at__isnull=False)
        for version in qs:
            found[version.pk] = version
            _published_versions[version.pk] = (now + PUBLISHED_VERSION_TTL, version)
        if len(_published_versions) > 1000:
            _published_versions.clear()
    return found


def touchpoints_by_id(*, ctx: OrgContext, ids: Iterable[int]) -> dict[int, Touchpoint]:
    return _TOUCHPOINTS.in_org_by_ids(organization_id=ctx.org_id, ids=ids)


def customers_by_id(*, ctx: OrgContext, ids: Iterable[int], external_ids: Iterable[str]) -> dict[object, Customer]:
    """Customers keyed by pk (int) and by external id (str)."""
    ids, external_ids = set(ids), set(external_ids)
    if not ids and not external_ids:
        return {}
    qs = Customer.objects.for_org(ctx.organization).filter(Q(pk__in=ids) | Q(external_id__in=external_ids))
    found: dict[object, Customer] = {}
    for customer in qs:
        found[customer.pk] = customer
        found[customer.external_id] = customer
    return found


def invitations_by_token(*, ctx: OrgContext, tokens: Iterable[str]) -> dict[str, Invitation]:
    qs = Invitation.objects.for_org(ctx.organization).filter(token__in=set(tokens))
    return {i.token: i for i in qs.select_related("touchpoint", "customer")}


# -- response imports ------------------------------------------------------------------------------------------


def import_version_choices(*, ctx: OrgContext) -> QuerySet[SurveyVersion]:
    """Published versions of the organization's surveys (historical responses may belong to an older one)."""
    return (
        SurveyVersion.objects.for_org(ctx.organization)
        .filter(published_at__isnull=False)
        .select_related("survey")
        .order_by("survey__name", "-number")
    )


def pending_import_get(*, ctx: OrgContext, pk: int) -> ImportJob:
    """A responses import that still waits for its column mapping."""
    qs = ImportJob.objects.filter(kind=ImportJob.Kind.RESPONSES, status=ImportJob.Status.PENDING)
    job = get_in_org(qs, ctx, pk=pk)
    if "mapping" in job.options:
        raise Http404
    return job


def held_import_get(*, ctx: OrgContext, pk: int) -> ImportJob:
    """A pending responses import stopped at the preview by a change of scale (it waits for a split)."""
    job = pending_import_get(ctx=ctx, pk=pk)
    if "scale_check" not in job.options or "proposed_mapping" not in job.options:
        raise Http404
    return job


def import_version(*, ctx: OrgContext, job: ImportJob) -> SurveyVersion:
    qs = SurveyVersion.objects.select_related("survey").prefetch_related("questions")
    return get_in_org(qs, ctx, pk=job.options.get("version_id"))


def fingerprints_by_idempotency_key(*, ctx: OrgContext, keys: Iterable[str]) -> dict[str, str]:
    """{idempotency key: payload fingerprint} of the organization's responses stored under these keys."""
    keys = list(keys)
    if not keys:
        return {}
    rows = Response.objects.for_org(ctx.organization).filter(idempotency_key__in=keys)
    return {k: f for k, f in rows.values_list("idempotency_key", "idempotency_fingerprint") if k is not None}
