"""Expected and realised value of improvement actions, from the value model (value.selectors).

The value model says what one NPS point at a touchpoint is worth per year (with a low/high range) or, when the data
cannot support a figure, why not. An action's expected value is its expected uplift times the value per point of
each touchpoint it targets; its payback is cost / value per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.scoping import OrgContext


@dataclass(frozen=True)
class ValueEstimate:
    value: float | None  # per year, in `currency`
    low: float | None
    high: float | None
    currency: str
    supported: bool
    reason: str = ""
    payback_years: float | None = None


def value_inputs(*, ctx: OrgContext) -> tuple[dict, str]:
    """(touchpoint id -> TouchpointValue, currency): one read of the latest value snapshot."""
    from value.selectors import currency, touchpoint_values

    return touchpoint_values(ctx=ctx), currency(ctx=ctx)


def estimate_value(
    *, uplift: float | None, touchpoint_ids: list[int], cost: Decimal | None, values: dict, currency: str
) -> ValueEstimate:
    """Value per year of `uplift` NPS points at each of the touchpoints (pure: no database)."""
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


def action_value_estimates(*, ctx: OrgContext, actions) -> dict[int, ValueEstimate]:
    """Expected value of each action (touchpoints must be prefetched); one snapshot read for all of them."""
    values, currency = value_inputs(ctx=ctx)
    return {
        a.pk: estimate_value(
            uplift=a.expected_uplift,
            touchpoint_ids=[t.pk for t in a.touchpoints.all()],
            cost=a.cost,
            values=values,
            currency=currency,
        )
        for a in actions
    }
