"""The report's body (no site layout, no navigation) from a version's frozen figures, in any language.

`render_report_body(report, language=...)` reads only `report.figures`: the same snapshot renders in sv, nb, da and en.
Sentences (findings, data-quality notes) are made here from rule codes and parameters. Charts are placeholders
`<div class="report-chart" data-chart="NAME" ...></div>`: the web page draws them from `report.figures["charts"]`
(static charts.js, via `data-plotly`), the PDF replaces them with SVG.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core.numbers import format_number
from core.scales import measure_label
from core.templatetags.cx_numbers import score as score_text
from kpis.scores import STATUS_LABELS
from value.reasons import reason_text

CHART_ID_PREFIX = "report-chart-"


def chart_element_id(name: str) -> str:
    """The id of the json_script that holds a chart's figure on the web page."""
    return f"{CHART_ID_PREFIX}{name}"


def _metric_of(figures: dict) -> tuple[str, str]:
    metric = figures.get("metric") or {}
    return metric.get("key", "nps"), metric.get("measure", "")


def _spec(figures: dict) -> str:
    return f"{figures['metric']['key']}|{figures['metric']['measure']}"


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "\u2013"
    if abs(value) >= 1_000_000:
        return _("%(amount)s M %(currency)s") % {"amount": format_number(value / 1_000_000, 1), "currency": currency}
    return f"{format_number(value, 0, grouping=True)} {currency}"


def _decimals(measure: str) -> int:
    return 0 if measure == "nps" else (1 if measure == "top_box" else 2)


def _points(value: float | None, measure: str) -> str:
    return format_number(value, _decimals(measure))


def finding_text(finding: dict, figures: dict) -> str:
    """One plain-language sentence for a finding (rule code + parameters), in the active language."""
    code, p = finding["code"], finding.get("params", {})
    spec = _spec(figures)
    metric, measure = figures["metric"]["key"], figures["metric"]["measure"]
    label = measure_label(metric, measure)
    if code == "largest_gap" and p.get("status") == "near":
        return _(
            "%(name)s is %(gap)s points below target, within the margin of error (%(metric)s %(value)s against a "
            "target of %(target)s)."
        ) % {
            "name": p["name"],
            "gap": _points(p["gap"], measure),
            "metric": label,
            "value": score_text(p["value"], spec),
            "target": score_text(p["target"], spec),
        }
    if code == "largest_gap":
        return _("%(name)s is %(gap)s points below target (%(metric)s %(value)s against a target of %(target)s).") % {
            "name": p["name"],
            "gap": _points(p["gap"], measure),
            "metric": label,
            "value": score_text(p["value"], spec),
            "target": score_text(p["target"], spec),
        }
    if code == "insufficient":
        return _("%(name)s had %(n)s answers this month, fewer than the minimum of %(min_n)s: no figure is shown.") % p
    if code == "headline":
        if p.get("target") is None:
            return _("%(name)s: %(metric)s %(value)s; no target is set.") % {
                "name": p["name"],
                "metric": label,
                "value": score_text(p["value"], spec),
            }
        return _("%(name)s meets its target: %(metric)s %(value)s against %(target)s.") % {
            "name": p["name"],
            "metric": label,
            "value": score_text(p["value"], spec),
            "target": score_text(p["target"], spec),
        }
    if code == "explains":
        if p.get("share") is not None:
            return _(
                "Of the touchpoints below target with enough answers, %(name)s (%(journey)s) weighs most: "
                "%(gap)s points below its target, %(share)s %% of their shortfall weighted by answers."
            ) % {
                "name": p["name"],
                "journey": p["journey"],
                "gap": _points(p["gap"], measure),
                "share": format_number(p["share"], 0),
            }
        return _("%(name)s (%(journey)s) has the largest shortfall.") % p
    if code == "largest_change":
        return _("The largest significant change this month: %(name)s, %(delta)s points.") % {
            "name": p["name"],
            "delta": _points(p["delta"], measure),
        }
    if code == "no_touchpoint_gap":
        return _("No touchpoint is below its target with enough answers.")
    if code == "money":
        return _(
            "At the value model's rate, closing that gap is worth %(value)s a year (%(low)s to %(high)s), "
            "from %(count)s valued touchpoints."
        ) % {
            "value": _money(p["value"], p["currency"]),
            "low": _money(p["low"], p["currency"]),
            "high": _money(p["high"], p["currency"]),
            "count": p["touchpoints"],
        }
    if code == "money_unsupported":
        reasons = " ".join(reason_text(r["code"], r.get("params")) for r in p.get("reasons", []) if r.get("code"))
        return _("The value model cannot price this gap: %(reason)s") % {"reason": reasons or _("too little data.")}
    if code == "money_no_model":
        return _("The gap is not priced: %(reason)s") % {"reason": value_status_text(p, figures)}
    if code == "money_no_gap":
        return _("There is no gap to target to price this month.")
    return ""


def value_status_text(status: dict, figures: dict) -> str:
    """Why the value model prices no point of the report's metric (the sentences of actions.valuation.basis_reason)."""
    from actions.valuation import figure_label

    if status.get("status") == "other_metric" and status.get("theirs"):
        return _(
            "The value model's latest run values a point of %(theirs)s, not of %(ours)s; no value is shown in "
            "another metric's points. It runs on the organization's primary metric tonight or on request."
        ) % {"theirs": figure_label(*status["theirs"]), "ours": figure_label(*_metric_of(figures))}
    if status.get("status") == "no_values":
        return _("The value model has no figure for these touchpoints yet.")
    return _("The value model has not run yet.")


def issue_text(issue: dict, figures: dict) -> str:
    code, p = issue["code"], issue.get("params", {})
    if code == "below_min_n":
        return _("%(name)s: too few answers (n=%(n)s), no figure.") % p
    if code == "no_target":
        return _("%(name)s: no target, so no gap.") % p
    if code == "not_measured":
        return _("Not measured this month: %(names)s.") % {"names": ", ".join(p["names"])}
    if code == "no_mom":
        return _("No month-on-month change: one of the two months has too few answers.")
    if code == "no_yoy":
        return _("No year-on-year change: one of the two months has too few answers.")
    if code == "no_value":
        return _("No value at stake: %(reason)s") % {"reason": value_status_text(p, figures)}
    return ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2013"
    hours = seconds / 3600
    if hours < 48:
        return _("%(n)s h") % {"n": format_number(hours, 1)}
    return _("%(n)s days") % {"n": format_number(hours / 24, 1)}


def _labelled(entries: list[dict]) -> list[dict]:
    """Copies of score entries with their status in words (the snapshot stores the code only)."""
    return [{**e, "status_label": str(STATUS_LABELS.get(e.get("status"), ""))} for e in entries]


def body_context(report, *, language: str) -> dict:
    """The template context of the body (call inside translation.override(language))."""
    from actions.models import Horizon, ImprovementStatus
    from actions.valuation import change_text, figure_text

    figures = dict(report.figures or {})
    if figures.get("summary"):
        summary = dict(figures["summary"])
        summary["headline"] = _labelled([summary["headline"]])[0]
        summary["journeys"] = _labelled(summary.get("journeys", []))
        figures["summary"] = summary
    if figures.get("ranking"):
        figures["ranking"] = {**figures["ranking"], "touchpoints": _labelled(figures["ranking"]["touchpoints"])}
    if figures.get("kpis") is not None:
        figures["kpis"] = _labelled(figures["kpis"])
    if figures.get("improvements"):
        pipeline = []
        for group in figures["improvements"].get("pipeline", []):
            actions = [{**a, "status_label": str(ImprovementStatus(a["status"]).label)} for a in group["actions"]]
            pipeline.append({**group, "label": str(Horizon(group["horizon"]).label), "actions": actions})
        delivered = [
            {
                **a,
                "change_text": change_text(a["metric"], a["measure"], a["delta"]) if a["measured"] else "",
                "before_text": figure_text(a["metric"], a["measure"], a["before"]),
                "after_text": figure_text(a["metric"], a["measure"], a["after"]),
            }
            for a in figures["improvements"].get("delivered", [])
        ]
        figures["improvements"] = {**figures["improvements"], "pipeline": pipeline, "delivered": delivered}
    tps = {t["id"]: t for t in figures.get("ranking", {}).get("touchpoints", [])}
    month = dt.date.fromisoformat(figures["month"]) if figures.get("month") else report.month
    org_tz = (figures.get("organization") or {}).get("timezone") or report.organization.timezone
    generated = None
    if report.generated_at is not None:
        with timezone.override(org_tz):
            generated = formats.date_format(timezone.localtime(report.generated_at), "DATETIME_FORMAT")
    loop = figures.get("closed_loop") or {}
    return {
        "report": report,
        "f": figures,
        "language": language,
        "spec": _spec(figures) if figures.get("metric") else "nps|nps",
        "metric_label": measure_label(figures["metric"]["key"], figures["metric"]["measure"])
        if figures.get("metric")
        else "",
        "decimals": _decimals(figures["metric"]["measure"]) if figures.get("metric") else 0,
        "month_label": formats.date_format(month, "YEAR_MONTH_FORMAT"),
        "generated": generated,
        "findings": [finding_text(x, figures) for x in figures.get("summary", {}).get("findings", [])],
        "issues": [issue_text(x, figures) for x in figures.get("data_quality", {}).get("issues", [])],
        "improvements_up": [tps[i] for i in figures.get("ranking", {}).get("improvements", []) if i in tps],
        "declines": [tps[i] for i in figures.get("ranking", {}).get("declines", []) if i in tps],
        "by_value": [tps[i] for i in figures.get("ranking", {}).get("by_value", []) if i in tps][:10],
        "median_first_contact": _duration(loop.get("median_first_contact_seconds")),
        "median_close": _duration(loop.get("median_close_seconds")),
        "currency": (figures.get("organization") or {}).get("currency", ""),
        "chart_names": list((figures.get("charts") or {}).keys()),
    }


def render_report_body(report, *, language: str) -> str:
    """The report's body HTML from its frozen figures, in `language`, times in the organization's time zone."""
    with translation.override(language), timezone.override(report.organization.zone):
        return render_to_string("reports/monthly/_body.html", body_context(report, language=language))
