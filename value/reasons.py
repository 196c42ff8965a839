"""Plain-language reasons why a figure is not shown, and the labels of bands and outcomes, in the reader's language.

Snapshots store only codes and numbers (`reason_code`, `reason_params`); the sentence is made when the page is
read. A reason names what is actually missing, in the snapshot's metric (never "NPS" for a CSAT organization).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.numbers import format_number
from core.scales import metric_label, scale_for_metric

# Snapshots made before every scale had bands stored NPS categories.
LEGACY_BANDS = {"promoter": "good", "passive": "neutral", "detractor": "bad"}


def _p(value) -> str:
    if value is None:
        return "?"
    return "< 0.001" if value < 0.001 else format_number(value, 3)


def _pct(value) -> str:
    return format_number(100 * value, 1) if value is not None else "?"


def _n(value) -> str:
    return format_number(value, 0, grouping=True) if value is not None else "?"


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}\u2013{high}"


def band_label(metric: str, band: str) -> str:
    """Promoters / Passives / Detractors (NPS), Top-2-box (4-5) / Middle (3) / Bottom-2-box (1-2), Yes / No."""
    band = LEGACY_BANDS.get(band, band)
    scale = scale_for_metric(metric or "nps")
    if scale is None or scale.is_nps:
        return {"good": _("Promoters"), "neutral": _("Passives"), "bad": _("Detractors")}.get(band, band)
    if scale.is_binary:
        return {"good": _("Yes"), "neutral": _("Both yes and no"), "bad": _("No")}.get(band, band)
    if band == "good":
        label = _("Top-2-box") if scale.points > 4 else _("Top box")
        return f"{label} ({_range(scale.good_min, scale.high)})"
    if band == "bad":
        label = _("Bottom-2-box") if scale.points > 4 else _("Bottom box")
        return f"{label} ({_range(scale.low, scale.bad_max)})"
    return f"{_('Middle')} ({_range(scale.bad_max + 1, scale.good_min - 1)})"


def band_plural(metric: str, band: str) -> str:
    """The customers of a band, for sentences: "detractors", "customers in the bottom-2-box (1-2)", "customers
    who answered no"."""
    band = LEGACY_BANDS.get(band, band)
    scale = scale_for_metric(metric or "nps")
    if scale is None or scale.is_nps:
        return {"good": _("promoters"), "neutral": _("passives"), "bad": _("detractors")}.get(band, band)
    if scale.is_binary:
        return {
            "good": _("customers who answered yes"),
            "neutral": _("customers who answered both"),
            "bad": _("customers who answered no"),
        }.get(band, band)
    return _("customers in the %(band)s") % {"band": band_label(metric, band).lower()}


def metric_name(metric: str) -> str:
    return metric_label(metric or "nps")


def outcome_label(kind: str | None, metric: str = "") -> str:
    """What the key drivers explain: "relationship NPS", "journey CSAT", "satisfied (yes/no)", "churn"."""
    if kind == "relationship":
        return _("relationship-survey %(metric)s") % {"metric": metric_name(metric)}
    if kind == "journey":
        return _("journey-survey %(metric)s") % {"metric": metric_name(metric)}
    if kind == "churn":
        return _("churn (left in the period)")
    if kind == "metric" and metric:
        return metric_name(metric)
    return ""


def effect_label(effect: str) -> str:
    return {
        "negligible": _("negligible"),
        "small": _("small"),
        "medium": _("medium"),
        "large": _("large"),
    }.get(effect, effect)


def reason_text(code: str, params: dict | None = None) -> str:
    p = params or {}
    if not code:
        return ""
    metric = p.get("metric") or ""
    name = metric_name(metric) if metric else ""
    if code == "too_few_customers":
        if not metric:
            return _(
                "Only %(n)s customers have both a score and revenue data; at least %(min)s are needed before a "
                "money figure is claimed."
            ) % {"n": p.get("n"), "min": p.get("min")}
        text = _(
            "Only %(n)s customers have both a score (%(metric)s) and revenue data; at least %(min)s are needed "
            "before a money figure is claimed."
        ) % {"n": _n(p.get("n")), "metric": name, "min": _n(p.get("min"))}
        answered, with_revenue = p.get("answered"), p.get("with_revenue")
        if answered is not None and with_revenue is not None and max(answered, with_revenue) > (p.get("n") or 0):
            text += " " + _(
                "%(answered)s customers answered %(metric)s in the period and %(with_revenue)s customers have revenue."
            ) % {"answered": _n(p["answered"]), "metric": name, "with_revenue": _n(p["with_revenue"])}
        if p.get("unidentified"):
            text += " " + _("%(n)s %(metric)s answers have no customer id.") % {
                "n": _n(p["unidentified"]),
                "metric": name,
            }
        return text
    if code == "no_metric_answers":
        text = _("There are no %(metric)s answers in the period: the organization's primary metric is %(metric)s.") % {
            "metric": name
        }
        others = [metric_name(m) for m in p.get("others") or []]
        if others:
            text += " " + _(
                "Answers exist for %(others)s: an administrator can choose one of them as the primary metric."
            ) % {"others": ", ".join(others)}
        return text
    if code == "no_customer_ids":
        return _(
            "No customer has both a score (%(metric)s) and revenue: the %(n)s %(metric)s answers in the period "
            "have no customer id. Import the answers with a customer (respondent) id column."
        ) % {"metric": name, "n": _n(p.get("answers"))}
    if code == "no_scored_customers":
        return _(
            "No identified customer has a score (%(metric)s) in the period, so no customer can be put in a band."
        ) % {"metric": name}
    if code == "no_revenue":
        return _(
            "No customer has revenue data in the period, so no money figure can be computed: import revenue per "
            "customer and month."
        )
    if code == "no_revenue_match":
        return _(
            "No customer has both a score (%(metric)s) and revenue: %(customers)s customers answered and "
            "%(with_revenue)s customers have revenue, but no revenue rows match the customers who answered "
            "(check that both files use the same customer ids)."
        ) % {"metric": name, "customers": _n(p.get("customers")), "with_revenue": _n(p.get("with_revenue"))}
    if code == "too_few_events":
        return _(
            "Only %(events)s of these customers churned in the period; at least %(min)s churn events are needed to "
            "estimate how the score relates to churn."
        ) % {"events": p.get("events"), "min": p.get("min")}
    if code == "too_little_variation":
        if not metric:
            return _(
                "Almost all customers fall in one NPS category here (fewer than %(min)s in every other), so the "
                "effect of the score cannot be told apart."
            ) % {"min": p.get("min")}
        return _(
            "Almost all customers here gave the same %(metric)s score or fall in one band (fewer than %(min)s in "
            "every other), so the effect of the score cannot be told apart."
        ) % {"metric": name, "min": p.get("min")}
    if code == "not_significant":
        return _(
            "No link between this score and churn that is significant at the 95 %% level (p = %(p)s, %(n)s "
            "customers). The data do not show that improving it keeps revenue, so no amount is claimed."
        ) % {"p": _p(p.get("p")), "n": p.get("n")}
    if code == "wrong_direction":
        return _(
            "Customers with higher scores here churned more, not less (p = %(p)s). That is not a plausible effect of "
            "the experience itself (it more likely reflects who passes this touchpoint, e.g. customers already "
            "leaving), so no amount is claimed."
        ) % {"p": _p(p.get("p"))}
    if code == "model_failed":
        return _("The churn model could not be estimated on these data (for example, churn in only one group).")
    if code in ("category_too_small", "band_too_small"):
        band = p.get("band") or p.get("category", "")
        return _("Only %(n)s %(group)s; at least %(min)s are needed.") % {
            "n": p.get("n"),
            "group": band_plural(metric, band),
            "min": p.get("min"),
        }
    if code == "no_excess_churn":
        return _(
            "%(bad)s do not churn significantly more than %(good)s: the difference in one-year churn is %(diff)s "
            "percentage points (95 %% interval %(low)s to %(high)s). No revenue at risk is claimed."
        ) % {
            "bad": band_plural(metric, "bad").capitalize(),
            "good": band_plural(metric, "good"),
            "diff": _pct(p.get("diff")),
            "low": _pct(p.get("low")),
            "high": _pct(p.get("high")),
        }
    if code in ("no_outcome", "no_outcome_survey"):
        if not metric:
            return _(
                "There are no relationship or journey survey answers from identified customers in the period, so "
                "there is no overall score for the touchpoints to explain."
            )
        return _(
            "No relationship or journey survey answers in %(metric)s from identified customers in the period, and no "
            "other question asked outside touchpoints: choose an outcome for the key drivers (for example churn, or "
            "an overall question)."
        ) % {"metric": name}
    if code == "no_outcome_answers":
        return _(
            "No identified customer answered %(outcome)s in the period: choose another outcome for the key drivers."
        ) % {"outcome": metric_name(p.get("outcome", ""))}
    if code == "no_churn_events":
        return _("No churn events in the period: import churn data (the day each customer left, and why).")
    if code == "no_revenue_for_churn":
        return _(
            "No revenue data in the period, so the customers at risk and their revenue are unknown: import revenue "
            "per customer and month."
        )
    if code == "no_touchpoint_answers":
        return _(
            "No touchpoint answers from identified customers in the period: key drivers need customers who answered "
            "at touchpoints and whose outcome is known."
        )
    if code == "outcome_is_every_driver":
        return _(
            "Every question asked at touchpoints is %(outcome)s itself, the chosen outcome: a question cannot explain "
            "itself. Choose another outcome for the key drivers (for example churn)."
        ) % {"outcome": metric_name(p.get("outcome", ""))}
    if code == "too_few_pairs":
        return _("Only %(n)s customers answered both; at least %(min)s are needed.") % {
            "n": p.get("n"),
            "min": p.get("min"),
        }
    if code == "no_variation":
        return _("All these customers gave the same score, so no relation can be measured.")
    if code == "no_outcome_variation":
        if p.get("outcome") == "churn":
            return _("None of these customers churned (or all did), so no relation can be measured.")
        return _("All these customers have the same outcome, so no relation can be measured.")
    return _("Not enough data.")
