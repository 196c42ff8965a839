"""Plain-language reasons why a figure is not shown, in the reader's language (snapshots store only codes)."""

from __future__ import annotations

from django.utils.translation import gettext as _

CATEGORY_LABELS = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}


def _p(value) -> str:
    return "< 0.001" if value is not None and value < 0.001 else f"{value:.3f}" if value is not None else "?"


def _pct(value) -> str:
    return f"{100 * value:.1f}" if value is not None else "?"


def category_label(category: str) -> str:
    return {"promoter": _("Promoters"), "passive": _("Passives"), "detractor": _("Detractors")}.get(category, category)


def reason_text(code: str, params: dict | None = None) -> str:
    p = params or {}
    if not code:
        return ""
    if code == "too_few_customers":
        return _(
            "Only %(n)s customers have both a score and revenue data; at least %(min)s are needed before a money "
            "figure is claimed."
        ) % {"n": p.get("n"), "min": p.get("min")}
    if code == "too_few_events":
        return _(
            "Only %(events)s of these customers churned in the period; at least %(min)s churn events are needed to "
            "estimate how the score relates to churn."
        ) % {"events": p.get("events"), "min": p.get("min")}
    if code == "too_little_variation":
        return _(
            "Almost all customers fall in one NPS category here (fewer than %(min)s in every other), so the effect of "
            "the score cannot be told apart."
        ) % {"min": p.get("min")}
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
    if code == "category_too_small":
        return _("Only %(n)s %(group)s; at least %(min)s are needed.") % {
            "n": p.get("n"),
            "group": category_label(p.get("category", "")).lower(),
            "min": p.get("min"),
        }
    if code == "no_excess_churn":
        return _(
            "Detractors do not churn significantly more than promoters: the difference in one-year churn is "
            "%(diff)s percentage points (95 %% interval %(low)s to %(high)s). No revenue at risk is claimed."
        ) % {"diff": _pct(p.get("diff")), "low": _pct(p.get("low")), "high": _pct(p.get("high"))}
    if code == "no_outcome_survey":
        return _(
            "There are no relationship or journey survey answers from identified customers in the period, so there "
            "is no overall score for the touchpoints to explain."
        )
    if code == "too_few_pairs":
        return _("Only %(n)s customers answered both; at least %(min)s are needed.") % {
            "n": p.get("n"),
            "min": p.get("min"),
        }
    if code == "no_variation":
        return _("All these customers gave the same score, so no relation can be measured.")
    return _("Not enough data.")
