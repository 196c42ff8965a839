"""Reads of the response explorer: the summary of a filtered list, the export's columns, saved filters.

The filtered list itself (`response_list`, `ResponseFilters`) lives in surveys.ingestion.selectors: the responses API
reads it too.
"""

from __future__ import annotations

from django.db.models import Count, F, FilteredRelation, Q, QuerySet, Sum
from django.http import Http404

from accounts.scoping import OrgContext, get_in_org
from surveys.models import Question, Response, SavedFilter


def response_summary(*, queryset: QuerySet[Response], metric: str) -> dict:
    """How many responses `queryset` (an explorer list) holds and the statistics of their answers under `metric`.

    One aggregate query in the database: the responses joined to their answers of that metric only (a filtered
    LEFT JOIN), so the count is of responses and the sums are the rollups' statistics (kpis.models.STAT_FIELDS),
    ready for core.scores.Score.
    """
    qs = queryset.select_related(None).prefetch_related(None).order_by()
    qs = qs.annotate(scored=FilteredRelation("answers", condition=Q(answers__metric=metric)))
    value = Q(scored__value__isnull=False)
    stats = {
        "responses": Count("pk", distinct=True),
        "n": Count("scored__id", filter=value),
        "promoters": Count("scored__id", filter=Q(scored__value__gte=9)),
        "passives": Count("scored__id", filter=Q(scored__value__gte=7, scored__value__lt=9)),
        "detractors": Count("scored__id", filter=Q(scored__value__lt=7)),
        "total": Sum("scored__value"),
        "total_sq": Sum(F("scored__value") * F("scored__value")),
    }
    for i in range(11):
        stats[f"c{i}"] = Count("scored__id", filter=Q(scored__value=i))
    row = qs.aggregate(**stats)
    if metric != "nps":
        row.update(promoters=0, passives=0, detractors=0)  # NPS bands only for the NPS metric, as in the rollups
    return {k: v or 0 for k, v in row.items()}


def export_question_columns(*, ctx: OrgContext, survey_id: int | None = None) -> list[tuple[str, str]]:
    """(code, kind) of every question the export may need, in a stable order (one column per code)."""
    qs = Question.objects.for_org(ctx.organization)
    if survey_id:
        qs = qs.filter(version__survey_id=survey_id)
    seen: dict[str, str] = {}
    for code, kind in qs.order_by("version__survey_id", "position", "pk").values_list("code", "kind"):
        seen.setdefault(code, kind)
    return list(seen.items())


# -- saved explorer filters ------------------------------------------------------------------------------------


def saved_filter_list(*, ctx: OrgContext) -> QuerySet[SavedFilter]:
    """The user's own saved filters and those others shared with the organization."""
    qs = SavedFilter.objects.for_org(ctx.organization)
    if ctx.user is None:
        return qs.none()
    return qs.filter(Q(user=ctx.user) | Q(shared=True)).select_related("user").order_by("name", "pk")


def saved_filter_get(*, ctx: OrgContext, pk: int) -> SavedFilter:
    """A saved filter the user may apply (their own or a shared one); anything else is a 404."""
    return get_in_org(saved_filter_list(ctx=ctx), ctx, pk=pk)


def own_saved_filter_get(*, ctx: OrgContext, pk: int) -> SavedFilter:
    """One of the user's own saved filters (only its owner deletes it); anything else is a 404."""
    if ctx.user is None:
        raise Http404
    return get_in_org(SavedFilter.objects.filter(user=ctx.user), ctx, pk=pk)
