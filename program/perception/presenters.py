"""The gap in words, for the page and its tooltips: significance as a reader understands it, never a bare p-value."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.numbers import format_number
from core.scales import metric_label
from program.models import Audience
from program.perception.stats import MIN_STAFF_ANSWERS, TOO_FEW_STAFF, Comparison


def p_text(p_value: float) -> str:
    if p_value < 0.001:
        return "p < " + format_number(0.001, 3)
    return "p = " + format_number(p_value, 3 if p_value < 0.1 else 2)


def significance_words(comparison: Comparison) -> str:
    """ "unlikely to be chance (p = 0.003)", "may well be chance (p = 0.41)", or why there is no test."""
    if comparison.insufficient_reason == TOO_FEW_STAFF:
        return _("fewer than %(min)s staff answers: not shown") % {"min": MIN_STAFF_ANSWERS}
    if comparison.insufficient_reason:
        return _("fewer than %(min)s customer answers: not shown") % {"min": comparison.min_n}
    p_value = comparison.p_value
    if p_value is None:
        return _("too little spread in the answers to test")
    if comparison.significant:
        return _("unlikely to be chance (%(p)s)") % {"p": p_text(p_value)}
    return _("may well be chance (%(p)s)") % {"p": p_text(p_value)}


def gap_sentence(comparison: Comparison, *, audience: str) -> str:
    """One blind spot or hidden strength in a sentence: who predicts what, what customers give, how sure it is."""
    if not comparison.sufficient:
        return significance_words(comparison)
    params = {
        "predicted": format_number(comparison.predicted_mean, 1),
        "actual": format_number(comparison.actual_mean, 1),
        "gap": format_number(abs(comparison.difference), 1),
        "share": format_number(abs(comparison.gap_share), 0),
        "significance": significance_words(comparison),
    }
    above = comparison.difference > 0
    if audience == Audience.FRONTLINE:
        if above:
            text = _(
                "Frontline staff predict %(predicted)s, customers give %(actual)s: %(gap)s points (%(share)s %% of "
                "the scale) too high; %(significance)s."
            )
        else:
            text = _(
                "Frontline staff predict %(predicted)s, customers give %(actual)s: %(gap)s points (%(share)s %% of "
                "the scale) too low; %(significance)s."
            )
    elif above:
        text = _(
            "Leaders predict %(predicted)s, customers give %(actual)s: %(gap)s points (%(share)s %% of the scale) "
            "too high; %(significance)s."
        )
    else:
        text = _(
            "Leaders predict %(predicted)s, customers give %(actual)s: %(gap)s points (%(share)s %% of the scale) "
            "too low; %(significance)s."
        )
    return text % params


def scale_text(metric: str, low: int, high: int) -> str:
    """ "NPS question, 0-10" : which customer answers the prediction is compared with."""
    return _("%(metric)s, %(low)s–%(high)s") % {"metric": metric_label(metric), "low": low, "high": high}


def audience_label(audience: str) -> str:
    return str(Audience(audience).label) if audience in Audience.values else audience


def correlation_sentence(correlation, *, audience: str) -> str:
    """Spearman's rho between what the staff think matters and what the key-driver analysis finds, in words."""
    if correlation is None or correlation.rho is None:
        n = correlation.n if correlation is not None else 0
        return _(
            "Too few touchpoints have both a staff rating and a driver importance to compare the rankings (%(n)s)."
        ) % {"n": n}
    params = {
        "rho": format_number(correlation.rho, 2),
        "n": correlation.n,
        "significance": (
            _("unlikely to be chance (%(p)s)") % {"p": p_text(correlation.p_value)}
            if correlation.significant
            else _("may well be chance (%(p)s)") % {"p": p_text(correlation.p_value)}
            if correlation.p_value is not None
            else _("not testable")
        ),
    }
    if audience == Audience.FRONTLINE:
        text = _(
            "Rank correlation between what frontline staff think matters to customers and what the key-driver "
            "analysis finds: ρ = %(rho)s over %(n)s touchpoints; %(significance)s."
        )
    else:
        text = _(
            "Rank correlation between what leaders think matters to customers and what the key-driver analysis "
            "finds: ρ = %(rho)s over %(n)s touchpoints; %(significance)s."
        )
    return text % params
