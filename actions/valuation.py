"""Expected and realised value of improvement actions, from the value model (value.selectors), and the units their
figures are shown in.

The value model says what one point of a metric at a touchpoint is worth per year (with a low/high range) or, when
the data cannot support a figure, why not. Its per-point values are points of the metric and measure its latest
snapshot was computed on (NPS points, CSAT points, percentage points of top-2-box): they are used for an action only
when that is the action's own metric and measure, so an uplift in CSAT points is never priced per NPS point.
An action's expected value is its expected uplift times the value per point of each touchpoint it targets; its
payback is cost / value per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from core.numbers import format_number, round_half_away
from core.scales import MEASURE_NPS, MEASURE_TOP_BOX, measure_label, metric_code, metric_label, scale_for_metric


@dataclass(frozen=True)
class ValueEstimate:
    value: float | None  # per year, in `currency`
    low: float | None
    high: float | None
    currency: str
    supported: bool
    reason: str = ""
    payback_years: float | None = None


# -- units -----------------------------------------------------------------------------------------------------


def basis(metric: str | None, measure: str | None) -> tuple[str, str]:
    """(metric key, resolved measure: nps / mean / top_box) of a stored metric and measure ('' = the scale's own)."""
    metric = metric or "nps"
    scale = scale_for_metric(metric)
    return metric, (scale.measure(measure) if scale is not None else MEASURE_NPS)


def figure_label(metric: str, measure: str) -> str:
    """The figure's name: "NPS", "CSAT, mean", "CSAT, top-2-box %", "recommend, % yes"."""
    return measure_label(*basis(metric, measure))


def _decimals(measure: str) -> int:
    return 0 if measure == MEASURE_NPS else (1 if measure == MEASURE_TOP_BOX else 2)


def _signed(value: float, decimals: int) -> str:
    rounded = round_half_away(value, decimals)
    text = format_number(abs(rounded), decimals)
    return text if rounded == 0 else ("+" if rounded > 0 else "\u2212") + text


def figure_text(metric: str, measure: str, value: float | None) -> str:
    """One period's figure: NPS signed and whole (+33), a mean with 2 decimals (4.21), a share in per cent (81.3 %)."""
    if value is None:
        return "\u2013"
    metric, measure = basis(metric, measure)
    if measure == MEASURE_NPS:
        return _signed(value, 0)
    if measure == MEASURE_TOP_BOX:
        return f"{format_number(value, 1)}\u00a0%"
    return format_number(value, 2)


def change_text(metric: str, measure: str, delta: float | None) -> str:
    """A change with its unit: "NPS +6", "CSAT +0.21 (mean)", "CSAT top-2-box +4.3 points", "recommend % yes +2.0
    points"."""
    if delta is None:
        return "\u2013"
    metric, measure = basis(metric, measure)
    scale = scale_for_metric(metric)
    change = _signed(delta, _decimals(measure))
    if measure == MEASURE_NPS or scale is None:
        return _("NPS %(change)s") % {"change": change}
    if measure == MEASURE_TOP_BOX:
        if scale.is_binary:
            return _("%(metric)s %% yes %(change)s points") % {"metric": metric_code(metric), "change": change}
        if scale.points > 4:
            return _("%(metric)s top-2-box %(change)s points") % {"metric": metric_label(metric), "change": change}
        return _("%(metric)s top-box %(change)s points") % {"metric": metric_label(metric), "change": change}
    return _("%(metric)s %(change)s (mean)") % {"metric": metric_label(metric), "change": change}


# -- value -----------------------------------------------------------------------------------------------------


def value_inputs(*, ctx: OrgContext, metric: str | None = None, measure: str | None = None) -> tuple[dict, str]:
    """(touchpoint id -> TouchpointValue, currency): one read of the latest value snapshot, or {} when it was
    computed on another metric or measure than the one asked for (default: the organization's primary metric)."""
    from value.selectors import currency, touchpoint_values

    if metric is None:
        metric, measure = ctx.organization.primary_metric, ctx.organization.primary_measure
    metric, measure = basis(metric, measure)
    return touchpoint_values(ctx=ctx, metric=metric, measure=measure), currency(ctx=ctx)


def basis_reason(*, ctx: OrgContext, metric: str, measure: str) -> str:
    """Why the value model has no per-point values for this metric: no run yet, or a run on another metric."""
    from value.selectors import snapshot_metric, value_snapshot_latest

    snapshot = value_snapshot_latest(ctx=ctx)
    if snapshot is None:
        return _("The value model has not run yet.")
    theirs = snapshot_metric(snapshot)
    if basis(*theirs) == basis(metric, measure):
        return ""
    return _(
        "The value model's latest run values a point of %(theirs)s, not of %(ours)s; no value is shown in "
        "another metric's points. It runs on the organization's primary metric tonight or on request."
    ) % {"theirs": figure_label(*theirs), "ours": figure_label(metric, measure)}


def estimate_value(
    *, uplift: float | None, touchpoint_ids: list[int], cost: Decimal | None, values: dict, currency: str
) -> ValueEstimate:
    """Value per year of `uplift` points at each of the touchpoints (pure: no database).

    `values` must be per point of the uplift's own metric and measure (see `value_inputs`)."""
    if uplift is None:
        return ValueEstimate(None, None, None, currency, False, _("No expected uplift given."))
    if not touchpoint_ids:
        return ValueEstimate(None, None, None, currency, False, _("The action targets no touchpoint."))
    supported = [values[t] for t in touchpoint_ids if t in values and values[t].supported]
    missing = [values[t].reason for t in touchpoint_ids if t in values and not values[t].supported]
    unknown = [t for t in touchpoint_ids if t not in values]
    if not supported:
        reason = " ".join(sorted({r for r in missing if r})) or _(
            "The value model has no figure for these touchpoints yet."
        )
        return ValueEstimate(None, None, None, currency, False, reason)
    value = uplift * sum(v.value_per_point for v in supported)
    low = uplift * sum(v.low for v in supported if v.low is not None)
    high = uplift * sum(v.high for v in supported if v.high is not None)
    reason = ""
    if missing or unknown:
        reason = _("%(n)s of %(total)s touchpoints have no value figure; counted as zero.") % {
            "n": len(missing) + len(unknown),
            "total": len(touchpoint_ids),
        }
    payback = float(cost) / value if cost is not None and value > 0 else None
    return ValueEstimate(value, low, high, currency, True, reason, payback)


def value_of_change(
    *,
    ctx: OrgContext,
    metric: str,
    measure: str,
    uplift: float | None,
    touchpoint_ids: list[int],
    cost: Decimal | None = None,
    cache: dict | None = None,
) -> ValueEstimate:
    """Value per year of `uplift` points of (metric, measure) at the touchpoints; when the value model's latest run
    is on another metric, unsupported with that reason. `cache` shares snapshot reads between calls."""
    cache = cache if cache is not None else {}
    key = basis(metric, measure)
    if key not in cache:
        cache[key] = value_inputs(ctx=ctx, metric=key[0], measure=key[1])
    values, currency = cache[key]
    estimate = estimate_value(uplift=uplift, touchpoint_ids=touchpoint_ids, cost=cost, values=values, currency=currency)
    if not values and uplift is not None and touchpoint_ids:
        reason_key = ("reason", *key)
        if reason_key not in cache:
            cache[reason_key] = basis_reason(ctx=ctx, metric=key[0], measure=key[1])
        if cache[reason_key]:
            estimate = ValueEstimate(None, None, None, currency, False, cache[reason_key])
    return estimate


def action_value_estimates(*, ctx: OrgContext, actions) -> dict[int, ValueEstimate]:
    """Expected value of each action in its own metric's points (touchpoints must be prefetched); one snapshot read
    per metric the actions are measured on (usually one)."""
    cache: dict = {}
    return {
        a.pk: value_of_change(
            ctx=ctx,
            metric=a.metric,
            measure=a.measure,
            uplift=a.expected_uplift,
            touchpoint_ids=[t.pk for t in a.touchpoints.all()],
            cost=a.cost,
            cache=cache,
        )
        for a in actions
    }
