"""Insight: the organization knows where it stands (targets, benchmarks), what it is worth (the value model, key
drivers), what customers talk about (themes) and how well leaders know it (the perception gap)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q

from program.health import rules
from program.health.measures import active_touchpoints, share
from program.health.window import Window


def targets(w: Window) -> dict:
    """Active touchpoints with a target in force on the as-of date: on the touchpoint, its stage or its journey."""
    from kpis.models import Target

    rows = (
        Target.objects.for_org(w.organization)
        .filter(period_start__lte=w.as_of, period_end__gte=w.as_of, created_at__lt=w.end)
        .values_list("scope", "journey_id", "stage_id", "touchpoint_id")
    )
    by_scope: dict[str, set] = {"touchpoint": set(), "stage": set(), "journey": set()}
    for scope, journey_id, stage_id, touchpoint_id in rows:
        key = {"touchpoint": touchpoint_id, "stage": stage_id, "journey": journey_id}.get(scope)
        if key is not None:
            by_scope[scope].add(key)
    tps = active_touchpoints(w)
    covered = sum(
        1
        for tp in tps
        if tp.pk in by_scope["touchpoint"] or tp.stage_id in by_scope["stage"] or tp.journey_id in by_scope["journey"]
    )
    return w.result("targets", share(covered, len(tps)), {"covered": covered, "total": len(tps)})


def benchmarks(w: Window) -> dict:
    """Active touchpoints with a recent benchmark of their own or of their journey (an organization-wide figure
    compares no touchpoint)."""
    from kpis.models import Benchmark

    rows = (
        Benchmark.objects.for_org(w.organization)
        .filter(
            period_start__lte=w.as_of,
            period_end__gte=w.as_of - dt.timedelta(days=rules.BENCHMARK_MAX_AGE_DAYS),
            created_at__lt=w.end,
        )
        .exclude(journey__isnull=True, touchpoint__isnull=True)
        .values_list("journey_id", "touchpoint_id")
    )
    touchpoints = {tp for _, tp in rows if tp is not None}
    journeys = {j for j, tp in rows if tp is None and j is not None}
    tps = active_touchpoints(w)
    covered = sum(1 for tp in tps if tp.pk in touchpoints or tp.journey_id in journeys)
    evidence = {"covered": covered, "total": len(tps), "days": rules.BENCHMARK_MAX_AGE_DAYS}
    return w.result("benchmarks", share(covered, len(tps)), evidence)


def _value_snapshot(w: Window):
    if "value_snapshot" not in w.cache:
        from value.models import ValueSnapshot

        w.cache["value_snapshot"] = (
            ValueSnapshot.objects.for_org(w.organization)
            .done()
            .filter(computed_at__lt=w.end)
            .order_by("-computed_at", "-pk")
            .only("results", "computed_at")
            .first()
        )
    return w.cache["value_snapshot"]


def _computed_on(w: Window, snapshot) -> str | None:
    return snapshot.computed_at.astimezone(w.organization.zone).date().isoformat() if snapshot else None


def value_model(w: Window) -> dict:
    """The latest value model finished by the as-of date puts a supported value on at least one touchpoint."""
    snapshot = _value_snapshot(w)
    rows = (snapshot.results or {}).get("touchpoints", []) if snapshot else []
    supported = sum(1 for row in rows if row.get("supported"))
    evidence = {"supported": supported, "touchpoints": len(rows), "computed_on": _computed_on(w, snapshot)}
    return w.result("value_model", supported, evidence)


def key_drivers(w: Window) -> dict:
    snapshot = _value_snapshot(w)
    drivers = ((snapshot.results or {}).get("drivers") or {}) if snapshot else {}
    found = int(drivers.get("n_drivers") or 0)
    return w.result("key_drivers", found, {"drivers": found, "computed_on": _computed_on(w, snapshot)})


def themes_coverage(w: Window) -> dict:
    """Analysed comments of the window with at least one theme; not applicable without an active theme."""
    from voice.models import CommentAnalysis, CommentTheme, Theme

    if not Theme.objects.for_org(w.organization).active().exists():
        return w.result("themes_coverage", None, {"themes": 0}, applicable=False)
    themed = Exists(CommentTheme.objects.filter(analysis=OuterRef("pk")))
    counts = (
        CommentAnalysis.objects.for_org(w.organization)
        .done()
        .filter(submitted_on__gte=w.first_day(rules.RECENT_DAYS), submitted_on__lte=w.as_of)
        .aggregate(total=Count("pk"), themed=Count("pk", filter=Q(themed)))
    )
    evidence = {"themed": counts["themed"], "total": counts["total"], "days": rules.RECENT_DAYS}
    return w.result("themes_coverage", share(counts["themed"], counts["total"]), evidence)


def perception_gap(w: Window) -> dict:
    """A perception survey (leaders or frontline guessing the customers' scores) answered at least
    PERCEPTION_RESPONSES_MIN times in the last 12 months; the value is the best-answered survey's responses."""
    from program.models import PerceptionSurvey
    from surveys.models import Response

    survey_ids = list(PerceptionSurvey.objects.for_org(w.organization).values_list("survey_id", flat=True))
    counts = (
        Response.objects.filter(
            organization=w.organization,
            survey_id__in=survey_ids,
            submitted_at__gte=w.start(rules.YEAR_DAYS),
            submitted_at__lt=w.end,
        )
        .values("survey_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
        if survey_ids
        else []
    )
    best = max(counts, default=0)
    evidence = {"responses": best, "surveys": len(survey_ids), "min": rules.PERCEPTION_RESPONSES_MIN}
    return w.result("perception_gap", best, evidence)


CRITERIA = [targets, benchmarks, value_model, key_drivers, themes_coverage, perception_gap]
