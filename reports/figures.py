"""The figures of a monthly report: one calendar month (organization time zone) of an organization or one journey.

Every figure comes from the dashboards' own read models (kpis.dashboards: overview and journey gap; value: the
value snapshot; actions: closed-loop analytics and improvement valuation), called with filters for exactly that
month, so the report shows what the dashboards show for the same month and filters. The result is JSON-safe and
language-neutral (numbers, ids, names, codes): sentences are made from it at render time (reports.rendering).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import translation

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from actions.models import Horizon, ImprovementAction, ImprovementStatus
from actions.selectors.analytics import loop_analytics
from actions.valuation import action_value_estimates, basis
from core.masking import mask_personal_data
from core.scales import measure_label
from journeys.models import Journey, Touchpoint
from kpis import dashboards
from kpis.dashboards.common import MONTH, _month_end, _scope_targets, _targets
from kpis.models import NPS_METRIC, Kpi, KpiValue, Rollup, Target
from kpis.scores import Assessment, change_between, empty_sums, pick_target
from kpis.selectors import rollup_rows, stat_sums
from reports.charts import trend_chart
from surveys.models import Answer, Response

SCHEMA = 1
TREND_MONTHS = 13
VOICES = 5
TOP_CHANGES = 5
TOP_ROOT_CAUSES = 5


# -- months -------------------------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 + count, 12)
    return dt.date(y, m + 1, 1)


def parse_month(value: str | None) -> dt.date | None:
    """'YYYY-MM' (or an ISO date) -> the first day of that month; None if unreadable."""
    if not value:
        return None
    try:
        return month_start(dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01"))
    except ValueError:
        return None


def month_end(month: dt.date) -> dt.date:
    return _month_end(month)


def report_context(organization: Organization) -> OrgContext:
    """The scope a report is computed in: the whole organization, as its administrators see it."""
    return OrgContext(organization=organization, role=Role.ADMIN)


def month_filters(*, ctx: OrgContext, month: dt.date) -> dashboards.Filters:
    """The dashboards' filters for one calendar month (a custom period), in the organization's primary metric."""
    org = ctx.organization
    return dashboards.Filters(
        period_key="custom",
        start=month,
        end=month_end(month),
        default_metric=org.primary_metric or NPS_METRIC,
        default_measure=org.primary_measure,
    )


# -- JSON pieces --------------------------------------------------------------------------------------------------


def _num(value) -> float | None:
    return None if value is None else float(value)


def _change(before: Assessment | None, after: Assessment) -> dict | None:
    """Change between two months of the same figure (change_between refuses different scales and small samples)."""
    if before is None:
        return None
    diff = change_between(before.score, after.score)
    if diff is None:
        return {"available": False, "delta": None, "p_value": None, "significant": False}
    return {
        "available": True,
        "delta": _num(diff.delta),
        "p_value": _num(diff.p_value),
        "significant": bool(diff.significant),
    }


def _score(a: Assessment) -> dict:
    s = a.score
    return {
        "n": s.n,
        "value": _num(s.shown),
        "moe": _num(s.moe) if s.sufficient else None,
        "sufficient": s.sufficient,
        "target": _num(a.target.value) if a.target is not None else None,
        "gap": _num(a.gap),
        "shortfall": _num(a.shortfall),
        "status": a.status,
    }


# -- the whole report ---------------------------------------------------------------------------------------------


def report_figures(*, organization: Organization, month: dt.date, journey: Journey | None = None) -> dict:
    """Compute every section of the report for `month` (first day of a calendar month)."""
    month = month_start(month)
    ctx = report_context(organization)
    filters = month_filters(ctx=ctx, month=month)
    scope = _Scope(ctx=ctx, month=month, journey=journey)
    summary, ranking = scope.summary_and_ranking()
    figures = {
        "schema": SCHEMA,
        "organization": {
            "id": organization.pk,
            "name": organization.name,
            "currency": scope.currency,
            "timezone": organization.timezone,
        },
        "scope": {"journey_id": journey.pk if journey else None, "journey_name": journey.name if journey else ""},
        "month": month.isoformat(),
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "metric": {"key": scope.filters.metric, "measure": scope.filters.measure},
        "min_n": organization.min_n,
        "summary": summary,
        "ranking": ranking,
        "kpis": kpi_table(ctx=ctx, month=month, journey=journey),
        "closed_loop": closed_loop(ctx=ctx, month=month, journey=journey),
        "improvements": improvements(ctx=ctx, month=month, journey=journey),
        "voices": customer_voices(ctx=ctx, month=month, journey=journey),
        "data_quality": scope.data_quality(),
    }
    summary["findings"] = findings(figures)
    with translation.override(organization.default_language):
        label = measure_label(scope.filters.metric, scope.filters.measure)
        figures["charts"] = {"trend": trend_chart(summary["trend"], label=label)}
    return figures


class _Scope:
    """The dashboard read model of the month, the month before and the same month a year before."""

    def __init__(self, *, ctx: OrgContext, month: dt.date, journey: Journey | None):
        self.ctx, self.month, self.journey = ctx, month, journey
        self.min_n = ctx.organization.min_n
        self.now = self._read(month)
        self.filters = self.now.filters
        self.prev = self._read(add_months(month, -1))
        self.year_ago = self._read(add_months(month, -12))
        self.currency = self.now.currency or ctx.organization.currency
        self.value_reasons = _value_reason_codes(ctx)

    def _read(self, month: dt.date):
        filters = month_filters(ctx=self.ctx, month=month)
        if self.journey is None:
            return dashboards.organization_overview(ctx=self.ctx, filters=filters)
        return dashboards.journey_gap(ctx=self.ctx, journey=self.journey, filters=filters)

    # Touchpoint rows of a read model: (touchpoint, assessment, value, value at stake).
    def _touchpoints(self, data) -> list:
        if self.journey is None:
            return list(data.touchpoints_by_gap)
        return [card for col in data.stages for card in col.cards]

    def _headline(self, data) -> Assessment:
        return data.organization if self.journey is None else data.assessment

    def summary_and_ranking(self) -> tuple[dict, dict]:
        headline = _score(self._headline(self.now))
        headline["mom"] = _change(self._headline(self.prev), self._headline(self.now))
        headline["yoy"] = _change(self._headline(self.year_ago), self._headline(self.now))
        headline["source"] = getattr(self.now, "source", "touchpoints")
        journeys = []
        if self.journey is None:
            prev = {r.journey.pk: r for r in self.prev.journeys}
            year = {r.journey.pk: r for r in self.year_ago.journeys}
            for row in self.now.journeys:
                entry = {"id": row.journey.pk, "name": row.journey.name, "source": row.source, **_score(row.assessment)}
                entry["mom"] = _change(
                    prev[row.journey.pk].assessment if row.journey.pk in prev else None, row.assessment
                )
                entry["yoy"] = _change(
                    year[row.journey.pk].assessment if row.journey.pk in year else None, row.assessment
                )
                entry["value_at_stake"] = _num(row.value_at_stake)
                journeys.append(entry)
        else:
            headline["value_at_stake"] = _num(self.now.value_at_stake)

        prev_tp = {r.touchpoint.pk: r.assessment for r in self._touchpoints(self.prev)}
        touchpoints = []
        for r in self._touchpoints(self.now):
            tp = r.touchpoint
            value = r.value
            entry = {
                "id": tp.pk,
                "name": tp.name,
                "journey_id": tp.journey_id,
                "journey_name": tp.journey.name,
                "owner": _user_name(tp.owner),
                **_score(r.assessment),
                "mom": _change(prev_tp.get(tp.pk), r.assessment),
                "value_at_stake": _num(r.value_at_stake),
                "value_low": None,
                "value_high": None,
                "value_supported": bool(value is not None and value.supported),
                "value_reason": self.value_reasons.get(tp.pk) if value is not None and not value.supported else None,
            }
            if r.value_at_stake is not None and r.assessment.shortfall:
                if value.low is not None:
                    entry["value_low"] = float(r.assessment.shortfall * value.low)
                if value.high is not None:
                    entry["value_high"] = float(r.assessment.shortfall * value.high)
            touchpoints.append(entry)
        by_value = sorted((t for t in touchpoints if t["value_at_stake"]), key=lambda t: -t["value_at_stake"])
        changes = [t for t in touchpoints if t["mom"] and t["mom"]["significant"]]
        improvements = sorted((t for t in changes if t["mom"]["delta"] > 0), key=lambda t: -t["mom"]["delta"])
        declines = sorted((t for t in changes if t["mom"]["delta"] < 0), key=lambda t: t["mom"]["delta"])
        summary = {
            "headline": headline,
            "relationship": self._relationship(),
            "journeys": journeys,
            "trend": self.trend(),
            "value_status": self._value_status(),
        }
        ranking = {
            "touchpoints": touchpoints,  # by gap, largest shortfall first (the dashboards' order)
            "by_value": [t["id"] for t in by_value],
            "improvements": [t["id"] for t in improvements[:TOP_CHANGES]],
            "declines": [t["id"] for t in declines[:TOP_CHANGES]],
        }
        return summary, ranking

    def _relationship(self) -> dict | None:
        """The relationship survey's figure beside the sum of touchpoints (organization reports only), as the
        overview shows it; None when the organization has no relationship answers in the month."""
        if self.journey is None:
            now = getattr(self.now, "relationship", None)
            if now is None or not now.score.n:
                return None
            entry = _score(now)
            entry["mom"] = _change(getattr(self.prev, "relationship", None), now)
            entry["yoy"] = _change(getattr(self.year_ago, "relationship", None), now)
            return entry
        return None

    def _value_status(self) -> dict:
        """Whether the value snapshot prices this metric's points; if not, whether it has not run or ran on another
        metric (which one). Codes only: the sentence is made at render time."""
        from value import selectors as value_selectors

        if any(r.value is not None for r in self._touchpoints(self.now)):
            return {"status": "ok", "theirs": None}
        snapshot = value_selectors.value_snapshot_latest(ctx=self.ctx)
        if snapshot is None:
            return {"status": "not_run", "theirs": None}
        theirs = list(basis(*value_selectors.snapshot_metric(snapshot)))
        if theirs == list(basis(self.filters.metric, self.filters.measure)):
            return {"status": "no_values", "theirs": None}
        return {"status": "other_metric", "theirs": theirs}

    def trend(self) -> list[dict]:
        """13 months of the headline figure (respondent-weighted sum of the scope's touchpoints) with the target."""
        first = add_months(self.month, -(TREND_MONTHS - 1))
        tp_ids = [r.touchpoint.pk for r in self._touchpoints(self.now)]
        filters = self.filters
        rows = (
            rollup_rows(
                ctx=self.ctx, metric=filters.metric, start=first, end=month_end(self.month), touchpoint_ids=tp_ids
            )
            .annotate(**MONTH)
            .values("year", "month")
            .annotate(**stat_sums())
            .order_by()
        )
        by_month = {dt.date(r["year"], r["month"], 1): r for r in rows}
        scope_q = (
            Q(scope=Target.Scope.JOURNEY, journey=self.journey) if self.journey else Q(scope=Target.Scope.ORGANIZATION)
        )
        targets = _scope_targets(_targets(self.ctx, filters.kpi, first, month_end(self.month), scope_q))
        key = ("journey", self.journey.pk) if self.journey else ("organization", None)
        out = []
        for i in range(TREND_MONTHS):
            m = add_months(first, i)
            score = filters.score(by_month.get(m) or empty_sums(), self.min_n)
            in_force = [t for t in targets.get(key, []) if t.period_start <= month_end(m) and t.period_end >= m]
            target = pick_target(in_force, end=month_end(m))
            out.append(
                {
                    "month": m.isoformat(),
                    "n": score.n,
                    "value": _num(score.shown),
                    "moe": _num(score.moe) if score.sufficient else None,
                    "target": _num(target.value) if target else None,
                }
            )
        return out

    def data_quality(self) -> dict:
        tps = self._touchpoints(self.now)
        measured = [r for r in tps if r.assessment.score.n > 0]
        insufficient = [r for r in measured if not r.assessment.score.sufficient]
        untargeted = [r for r in tps if r.assessment.score.sufficient and r.assessment.target is None]
        start, end = self.filters.start, self.filters.end
        responses = Response.objects.for_org(self.ctx.organization).filter(
            submitted_at__gte=_local_midnight(self.ctx, start),
            submitted_at__lt=_local_midnight(self.ctx, end + dt.timedelta(days=1)),
        )
        if self.journey is not None:
            responses = responses.filter(journey=self.journey)
        issues = []
        for r in insufficient:
            issues.append({"code": "below_min_n", "params": {"name": r.touchpoint.name, "n": r.assessment.score.n}})
        for r in untargeted:
            issues.append({"code": "no_target", "params": {"name": r.touchpoint.name}})
        unmeasured = [r.touchpoint.name for r in tps if r.assessment.score.n == 0]
        if unmeasured:
            issues.append({"code": "not_measured", "params": {"names": unmeasured}})
        headline = self._headline(self.now)
        if change_between(self._headline(self.prev).score, headline.score) is None:
            issues.append({"code": "no_mom", "params": {}})
        if change_between(self._headline(self.year_ago).score, headline.score) is None:
            issues.append({"code": "no_yoy", "params": {}})
        value = self._value_status()
        if value["status"] != "ok":
            issues.append({"code": "no_value", "params": value})
        return {
            "touchpoints_measured": len(measured),
            "touchpoints_total": len(tps),
            "answers": self._headline(self.now).score.n,
            "responses": responses.count(),
            "issues": issues,
        }


def _value_reason_codes(ctx: OrgContext) -> dict[int, dict]:
    """Touchpoint id -> {code, params} of why the latest value snapshot has no figure for it."""
    from value import selectors as value_selectors

    snapshot = value_selectors.value_snapshot_latest(ctx=ctx)
    if snapshot is None:
        return {}
    return {
        int(row["touchpoint_id"]): {"code": row.get("reason_code", ""), "params": row.get("reason_params") or {}}
        for row in snapshot.results.get("touchpoints", [])
        if not row.get("supported")
    }


def _local_midnight(ctx: OrgContext, day: dt.date) -> dt.datetime:

    return dt.datetime.combine(day, dt.time.min, tzinfo=ctx.organization.zone)


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# -- KPI ecosystem -----------------------------------------------------------------------------------------------


def kpi_table(*, ctx: OrgContext, month: dt.date, journey: Journey | None) -> list[dict]:
    """Every KPI with owner, target, actual, status and the compensation flag, for the organization (or journey)."""
    start, end = month, month_end(month)
    kpis = list(Kpi.objects.for_org(ctx.organization).select_related("owner").order_by("name", "pk"))
    targets = list(Target.objects.for_org(ctx.organization).filter(kpi__in=kpis).overlapping(start, end))
    scope = Target.Scope.JOURNEY if journey else Target.Scope.ORGANIZATION
    tps = Touchpoint.objects.for_org(ctx.organization).filter(journey__is_archived=False, is_active=True)
    if journey is not None:
        tps = tps.filter(journey=journey)
    tp_ids = list(tps.values_list("pk", flat=True))
    survey_metrics = {k.metric for k in kpis if k.is_survey}
    sums: dict[str, dict[str, Any]] = {}
    if survey_metrics:
        rows = (
            Rollup.objects.for_org(ctx.organization)
            .filter(metric__in=survey_metrics, day__gte=start, day__lte=end, touchpoint_id__in=tp_ids)
            .values("metric")
            .annotate(**stat_sums())
            .order_by()
        )
        sums = {r["metric"]: dict(r) for r in rows}  # dict(): the annotations are unknown to the type checker
    imported: dict[int, dict[str, Any]] = {
        r["kpi_id"]: dict(r)
        for r in KpiValue.objects.for_org(ctx.organization)
        .filter(day__gte=start, day__lte=end, touchpoint_id__in=tp_ids)
        .values("kpi_id")
        .annotate(**_kpi_value_sums())
        .order_by()
    }
    out = []
    for kpi in kpis:
        mine = [t for t in targets if t.kpi_id == kpi.pk]
        scoped = [t for t in mine if t.scope == scope and (journey is None or t.journey_id == journey.pk)]
        target = pick_target(scoped, end=end)
        linked = any(t.linked_to_compensation for t in mine)
        entry = {
            "id": kpi.pk,
            "code": kpi.code,
            "name": kpi.name,
            "kind": kpi.kind,
            "unit": kpi.unit,
            "owner": _user_name(kpi.owner),
            "target": _num(target.value) if target else None,
            "linked_to_compensation": linked,
            "higher_is_better": kpi.higher_is_better,
            "n": None,
            "moe": None,
            "actual": None,
            "status": "insufficient",
        }
        if kpi.is_survey:
            filters = dashboards.Filters(period_key="custom", start=start, end=end, kpi=kpi)
            score = filters.score(sums.get(kpi.metric) or empty_sums(), ctx.organization.min_n)
            a = Assessment(score=score, target=target, higher_is_better=kpi.higher_is_better)
            entry.update(n=score.n, moe=_num(score.moe) if score.sufficient else None, actual=_num(score.shown))
            entry.update(status=a.status, spec=f"{filters.metric}|{filters.measure}")
        else:
            row = imported.get(kpi.pk)
            value = KpiValue.period_figure(kpi.aggregation, **row) if row else None
            entry.update(n=(row or {}).get("count") or 0, actual=_num(value))
            if value is None:
                entry["status"] = "insufficient"
            elif target is None:
                entry["status"] = "none"
            else:
                good = value >= target.value if kpi.higher_is_better else value <= target.value
                entry["status"] = "above" if good else "below"
        out.append(entry)
    return out


def _kpi_value_sums() -> dict:
    from django.db.models import Count, Sum

    # LAST is not summable across touchpoints: the organization figure of a LAST KPI is the mean of the days.
    return {
        "total": Sum("value"),
        "count": Count("id"),
        "numerator_sum": Sum("numerator"),
        "denominator_sum": Sum("denominator"),
    }


# -- closed loop -------------------------------------------------------------------------------------------------


def _seconds(delta) -> float | None:
    return delta.total_seconds() if delta is not None else None


def closed_loop(*, ctx: OrgContext, month: dt.date, journey: Journey | None) -> dict:
    """The closed-loop analytics page's figures for the month (actions.selectors.analytics)."""
    data = loop_analytics(ctx=ctx, start=month, end=month_end(month))
    total = data.total
    if journey is not None:
        tp_ids = set(Touchpoint.objects.for_org(ctx.organization).filter(journey=journey).values_list("pk", flat=True))
        rows = [r for r in data.by_touchpoint if r.key in tp_ids]
        total = _sum_loop_rows(rows)
    return {
        "detractors": total.detractors,
        "detractors_with_case": total.detractors_with_case,
        "share_with_case": _num(total.share_detractors_with_case),
        "cases": total.cases,
        "contacted": total.contacted,
        "share_contacted": _num(total.share_contacted),
        "closed": total.closed,
        "closed_in_sla": total.closed_in_sla,
        "sla_decided": total.sla_decided,
        "share_closed_in_sla": _num(total.share_closed_in_sla),
        "median_first_contact_seconds": _seconds(total.median_first_contact),
        "median_close_seconds": _seconds(total.median_close),
        "root_causes": [
            {"label": r.label, "count": r.count, "cumulative_share": r.cumulative_share}
            for r in data.pareto[:TOP_ROOT_CAUSES]
        ]
        if journey is None
        else [],
        "callbacks": [
            {
                "contacted": r.contacted,
                "n": r.n,
                "mean_before": _num(r.mean_before),
                "mean_after": _num(r.mean_after),
                "improved": r.improved,
                "share_improved": _num(r.share_improved),
                "detractors_recovered": r.detractors_recovered,
            }
            for r in data.next_score
        ]
        if journey is None
        else [],
    }


def _sum_loop_rows(rows):
    from actions.selectors.analytics import LoopRow

    total = LoopRow(None, "")
    for r in rows:
        for f in (
            "detractors",
            "detractors_with_case",
            "cases",
            "contacted",
            "closed",
            "closed_in_sla",
            "overdue_open",
        ):
            setattr(total, f, getattr(total, f) + (getattr(r, f) or 0))
    return total


# -- improvement actions -----------------------------------------------------------------------------------------

DELIVERED = [ImprovementStatus.DONE, ImprovementStatus.IMPACT_MEASURED]
PIPELINE = [ImprovementStatus.IDEA, ImprovementStatus.APPROVED, ImprovementStatus.IN_PROGRESS]


def improvements(*, ctx: OrgContext, month: dt.date, journey: Journey | None) -> dict:
    from actions.selectors.improvements import improvement_list

    qs = improvement_list(ctx=ctx)
    if journey is not None:
        qs = qs.filter(touchpoints__journey=journey).distinct()
    delivered = list(qs.filter(status__in=DELIVERED, done_date__gte=month, done_date__lte=month_end(month)))
    pipeline = list(qs.filter(status__in=PIPELINE))
    estimates = action_value_estimates(ctx=ctx, actions=pipeline)
    by_horizon: dict[str, dict] = {
        h: {"horizon": h, "count": 0, "expected_value": 0.0, "valued": 0, "actions": []} for h in Horizon.values
    }
    for a in pipeline:
        est = estimates[a.pk]
        group = by_horizon[a.horizon]
        group["count"] += 1
        if est.supported and est.value is not None:
            group["expected_value"] += est.value
            group["valued"] += 1
        group["actions"].append(
            {
                "id": a.pk,
                "title": a.title,
                "status": a.status,
                "owner": _user_name(a.owner),
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "expected_value": _num(est.value) if est.supported else None,
            }
        )
    return {
        "delivered": [_delivered(a) for a in delivered],
        "pipeline": list(by_horizon.values()),
    }


def _delivered(a: ImprovementAction) -> dict:
    return {
        "id": a.pk,
        "title": a.title,
        "owner": _user_name(a.owner),
        "done_date": a.done_date.isoformat() if a.done_date else None,
        "touchpoints": [t.name for t in a.touchpoints.all()],
        "measured": a.impact_measured_at is not None,
        "metric": a.impact_metric or a.metric,
        "measure": a.impact_measure or a.measure,
        "before": _num(a.impact_before_nps),
        "after": _num(a.impact_after_nps),
        "delta": _num(a.impact_delta),
        "before_n": a.impact_before_n,
        "after_n": a.impact_after_n,
        "significant": a.impact_significant,
        "realised_value": _num(a.realised_value),
    }


# -- customer voices ---------------------------------------------------------------------------------------------


def customer_voices(*, ctx: OrgContext, month: dt.date, journey: Journey | None) -> list[dict]:
    """Up to five comments of the month by customers who consented to be surveyed and contacted, masked."""
    qs = (
        Answer.objects.for_org(ctx.organization)
        .filter(submitted_on__gte=month, submitted_on__lte=month_end(month), customer__isnull=False)
        .filter(customer__may_survey=True, customer__may_contact=True)
        .exclude(text="")
    )
    if journey is not None:
        qs = qs.filter(touchpoint__journey=journey)
    rows = list(
        qs.order_by("-submitted_on", "-pk").values(
            "response_id", "text", "submitted_on", "touchpoint__name", "response__language"
        )[: VOICES * 4]
    )
    metric = ctx.organization.primary_metric or NPS_METRIC
    scores = dict(
        Answer.objects.filter(response_id__in=[r["response_id"] for r in rows], metric=metric)
        .exclude(value=None)
        .values_list("response_id", "value")
    )
    # One per touchpoint first, so the voices are not all from the busiest touchpoint.
    picked, seen = [], set()
    for r in rows:
        if r["touchpoint__name"] not in seen:
            picked.append(r)
            seen.add(r["touchpoint__name"])
    picked += [r for r in rows if r not in picked]
    return [
        {
            "text": mask_personal_data(r["text"]),
            "day": r["submitted_on"].isoformat(),
            "touchpoint": r["touchpoint__name"] or "",
            "language": r["response__language"],
            "score": _num(scores.get(r["response_id"])),
        }
        for r in picked[:VOICES]
    ]


# -- findings: plain-language sentences by rules (codes and parameters here; words in reports.rendering) ----------


def findings(figures: dict) -> list[dict]:
    """Three findings: the largest gap to target, the touchpoint explaining most of it, and its money."""
    summary, ranking = figures["summary"], figures["ranking"]
    out: list[dict] = []
    headline = summary["headline"]
    scope_name = figures["scope"]["journey_name"] or figures["organization"]["name"]
    # The largest gap: a journey clearly below target (beyond the margin of error) first, else the scope's own
    # figure when it misses its target, else a journey within the margin of error of its target.
    journeys = summary["journeys"] or []
    below = [j for j in journeys if j["status"] == "below" and j["shortfall"]]
    near = [j for j in journeys if j["status"] == "near" and j["shortfall"]]
    worst = max(below, key=lambda j: j["shortfall"]) if below else None
    if worst is None and headline["shortfall"]:
        worst = {**headline, "id": figures["scope"]["journey_id"], "name": scope_name}
    if worst is None and near:
        worst = max(near, key=lambda j: j["shortfall"])
    if worst is not None:
        out.append(
            {
                "code": "largest_gap",
                "params": {
                    "name": worst["name"],
                    "value": worst["value"],
                    "target": worst["target"],
                    "gap": worst["shortfall"],
                    "status": worst["status"],
                },
            }
        )
    elif headline["value"] is None:
        out.append(
            {"code": "insufficient", "params": {"name": scope_name, "n": headline["n"], "min_n": figures["min_n"]}}
        )
    else:
        out.append(
            {
                "code": "headline",
                "params": {
                    "name": scope_name,
                    "value": headline["value"],
                    "target": headline["target"],
                    "mom": headline["mom"],
                },
            }
        )

    in_scope = ranking["touchpoints"]
    if worst is not None and worst.get("id") is not None:
        in_scope = [t for t in in_scope if t["journey_id"] == worst["id"]]
    short = [t for t in in_scope if t["shortfall"]]
    top = max(short, key=lambda t: t["shortfall"] * t["n"]) if short else None
    if top is not None:
        total = sum(t["shortfall"] * t["n"] for t in short)
        out.append(
            {
                "code": "explains",
                "params": {
                    "name": top["name"],
                    "journey": top["journey_name"],
                    "gap": top["shortfall"],
                    "share": 100.0 * top["shortfall"] * top["n"] / total if total else None,
                },
            }
        )
    else:
        movers = ranking["declines"] or ranking["improvements"]
        if movers:
            t = next(t for t in ranking["touchpoints"] if t["id"] == movers[0])
            out.append({"code": "largest_change", "params": {"name": t["name"], "delta": t["mom"]["delta"]}})
        else:
            out.append({"code": "no_touchpoint_gap", "params": {}})

    value_status = summary["value_status"]
    valued = [t for t in short if t["value_at_stake"]] if short else []
    if value_status["status"] == "ok" and valued:
        out.append(
            {
                "code": "money",
                "params": {
                    "name": worst["name"] if worst else scope_name,
                    "value": sum(t["value_at_stake"] for t in valued),
                    "low": sum(t["value_low"] or t["value_at_stake"] for t in valued),
                    "high": sum(t["value_high"] or t["value_at_stake"] for t in valued),
                    "currency": figures["organization"]["currency"],
                    "touchpoints": len(valued),
                },
            }
        )
    elif value_status["status"] == "ok" and short:
        reasons = [t["value_reason"] for t in short if t["value_reason"]]
        unique = [r for i, r in enumerate(reasons) if r not in reasons[:i]]
        out.append({"code": "money_unsupported", "params": {"reasons": unique}})
    elif value_status["status"] != "ok":
        out.append({"code": "money_no_model", "params": value_status})
    else:
        out.append({"code": "money_no_gap", "params": {}})
    return out
