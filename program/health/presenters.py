"""The words of the health page and API: each criterion's title and evidence sentence (in the reader's language,
from the stored evidence params), its value and threshold as text, the stages' names and what they mean."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.money import format_money
from core.numbers import DASH, format_number
from program.health.decision import MET, NOT_APPLICABLE
from program.health.rules import RULES_BY_CODE, STAGES
from program.health.window import fix_url
from program.models import Stage

STAGE_DESCRIPTIONS = {
    "engagement": gettext_lazy(
        "Customers are asked at the touchpoints, and the program, its journeys and touchpoints have owners."
    ),
    "insight": gettext_lazy(
        "Targets and benchmarks say where you stand; the value model, key drivers and themes say what matters."
    ),
    "action": gettext_lazy("Every detractor is followed up in time, root causes are found and improvements delivered."),
    "integration": gettext_lazy("CX is tied to pay and to money, and leaders read the reports."),
}

TITLES = {
    "survey_coverage": gettext_lazy("Touchpoints surveyed"),
    "response_rate": gettext_lazy("Response rate"),
    "touchpoint_owners": gettext_lazy("Touchpoint owners"),
    "journeys_mapped": gettext_lazy("Journeys mapped"),
    "program_owner": gettext_lazy("Program owner and steering group"),
    "targets": gettext_lazy("Touchpoint targets"),
    "benchmarks": gettext_lazy("Benchmarks"),
    "value_model": gettext_lazy("Value model"),
    "key_drivers": gettext_lazy("Key drivers"),
    "themes_coverage": gettext_lazy("Themes in comments"),
    "perception_gap": gettext_lazy("Perception gap measured"),
    "detractor_followup": gettext_lazy("Detractors followed up"),
    "case_sla": gettext_lazy("Contacted within the SLA"),
    "root_causes": gettext_lazy("Root causes recorded"),
    "improvement_actions": gettext_lazy("Improvement actions started"),
    "actions_on_time": gettext_lazy("Actions delivered on time"),
    "compensation": gettext_lazy("KPIs linked to compensation"),
    "impact_measured": gettext_lazy("Impact measured"),
    "realised_value": gettext_lazy("Realised value"),
    "reports_read": gettext_lazy("Reports read"),
    "operational_kpis": gettext_lazy("Operational KPIs at touchpoints"),
}


def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def _n(value) -> str:
    return format_number(value, 0, grouping=True)


def pct(value) -> str:
    if value is None:
        return DASH
    return f"{format_number(float(value) * 100, 0)}\u00a0%"


def _model_date(iso: str | None) -> str:
    import datetime as dt

    from django.utils.formats import date_format

    return date_format(dt.date.fromisoformat(iso), "SHORT_DATE_FORMAT") if iso else DASH


def sentence(criterion: dict) -> str:
    """The evidence of one criterion in a sentence (the reader's language)."""
    code, e = criterion["code"], dict(criterion.get("evidence") or {})
    days = e.get("days")
    if code == "survey_coverage":
        if not e.get("total"):
            return _("No active touchpoints yet: map your journeys first.")
        return ngettext(
            "Active touchpoints with a published customer survey and at least %(min_n)s customer response in the "
            "last %(days)s days: %(covered)s of %(total)s.",
            "Active touchpoints with a published customer survey and at least %(min_n)s customer responses in the "
            "last %(days)s days: %(covered)s of %(total)s.",
            e["min_n"],
        ) % {"min_n": _n(e["min_n"]), "days": days, "covered": _n(e["covered"]), "total": _n(e["total"])}
    if code == "response_rate":
        if not e.get("sent"):
            return _("No customer survey invitations were sent in the last %(days)s days.") % {"days": days}
        return _("Customer survey invitations of the last %(days)s days answered: %(answered)s of %(sent)s.") % {
            "days": days,
            "answered": _n(e["answered"]),
            "sent": _n(e["sent"]),
        }
    if code == "touchpoint_owners":
        if not e.get("total"):
            return _("No active touchpoints yet: map your journeys first.")
        return _("Active touchpoints with an accountable owner: %(owned)s of %(total)s.") % {
            "owned": _n(e["owned"]),
            "total": _n(e["total"]),
        }
    if code == "journeys_mapped":
        if not e.get("total"):
            return _("No active journey yet.")
        return _("Active journeys with stages and active touchpoints: %(mapped)s of %(total)s.") % {
            "mapped": _n(e["mapped"]),
            "total": _n(e["total"]),
        }
    if code == "program_owner":
        params = {"steering": _n(e.get("steering", 0)), "min": _n(e.get("min_steering", 0))}
        if criterion["status"] == MET:
            return (
                ngettext(
                    "The program has an owner and a steering group of %(steering)s member.",
                    "The program has an owner and a steering group of %(steering)s members.",
                    e.get("steering", 0),
                )
                % params
            )
        if e.get("has_owner"):
            return (
                _("The program has an owner; steering group members: %(steering)s (at least %(min)s needed).") % params
            )
        return _("No program owner is named; steering group members: %(steering)s (at least %(min)s needed).") % params
    if code == "targets":
        return _(
            "Active touchpoints with a target in force (on the touchpoint, its stage or its journey): %(covered)s of "
            "%(total)s."
        ) % {"covered": _n(e.get("covered", 0)), "total": _n(e.get("total", 0))}
    if code == "benchmarks":
        return _(
            "Active touchpoints with a benchmark of their own or of their journey, from the last %(days)s days: "
            "%(covered)s of %(total)s."
        ) % {"days": days, "covered": _n(e.get("covered", 0)), "total": _n(e.get("total", 0))}
    if code in ("value_model", "key_drivers") and not e.get("computed_on"):
        return _("The value model has not been computed yet.")
    if code == "value_model":
        return _("Touchpoints with a supported value in the value model of %(date)s: %(supported)s of %(total)s.") % {
            "date": _model_date(e["computed_on"]),
            "supported": _n(e["supported"]),
            "total": _n(e["touchpoints"]),
        }
    if code == "key_drivers":
        return _("Key drivers found by the value model of %(date)s: %(drivers)s.") % {
            "date": _model_date(e["computed_on"]),
            "drivers": _n(e["drivers"]),
        }
    if code == "themes_coverage":
        if criterion["status"] == NOT_APPLICABLE:
            return _("No voice-of-the-customer themes are set up, so comments are not sorted into themes.")
        if not e.get("total"):
            return _("No analysed comments in the last %(days)s days.") % {"days": days}
        return _("Comments of the last %(days)s days with at least one theme: %(themed)s of %(total)s.") % {
            "days": days,
            "themed": _n(e["themed"]),
            "total": _n(e["total"]),
        }
    if code == "perception_gap":
        if not e.get("surveys"):
            return _("No perception survey yet: ask leaders what score they think customers give.")
        return _(
            "Responses to the best-answered perception survey in the last 12 months: %(responses)s (at least "
            "%(min)s needed)."
        ) % {"responses": _n(e["responses"]), "min": _n(e["min"])}
    if code == "detractor_followup":
        if not e.get("detractors"):
            return _("No detractors (NPS 0-6) in the last %(days)s days.") % {"days": days}
        return _("Detractors (NPS 0-6) of the last %(days)s days with a feedback case: %(with_case)s of %(total)s.") % {
            "days": days,
            "with_case": _n(e["with_case"]),
            "total": _n(e["detractors"]),
        }
    if code == "case_sla":
        if not e.get("cases"):
            return _("No feedback cases due in the last %(days)s days.") % {"days": days}
        return _("Cases of the last %(days)s days contacted within their SLA: %(in_sla)s of %(total)s.") % {
            "days": days,
            "in_sla": _n(e["in_sla"]),
            "total": _n(e["cases"]),
        }
    if code == "root_causes":
        if not e.get("closed"):
            return _("No feedback cases closed after contact in the last %(days)s days.") % {"days": days}
        return _(
            "Cases closed after contact in the last %(days)s days with a root cause: %(with_root_cause)s of %(total)s."
        ) % {
            "days": days,
            "with_root_cause": _n(e["with_root_cause"]),
            "total": _n(e["closed"]),
        }
    if code == "improvement_actions":
        return _("Improvement actions created from a root cause or a touchpoint gap in the last 6 months: %(n)s.") % {
            "n": _n(e.get("actions", 0))
        }
    if code == "actions_on_time":
        if not e.get("done"):
            return _("No improvement action with a due date was done in the last 12 months.")
        return _("Improvement actions done in the last 12 months by their due date: %(on_time)s of %(total)s.") % {
            "on_time": _n(e["on_time"]),
            "total": _n(e["done"]),
        }
    if code == "compensation":
        return _("KPI targets in force that are linked to compensation: %(n)s.") % {"n": _n(e.get("targets", 0))}
    if code == "impact_measured":
        if not e.get("eligible"):
            return _("No improvement action done in the last 12 months has reached the end of its after-period yet.")
        return _(
            "Improvement actions done in the last 12 months and past their after-period, with their impact "
            "measured: %(measured)s of %(total)s."
        ) % {"measured": _n(e["measured"]), "total": _n(e["eligible"])}
    if code == "realised_value":
        return _("Value realised by improvement actions measured in the last 12 months: %(amount)s.") % {
            "amount": format_money(e.get("amount", 0), e.get("currency", ""))
        }
    if code == "reports_read":
        if not e.get("sent"):
            return _("No monthly report e-mails were sent in the last 3 months.")
        return _("Monthly report e-mails of the last 3 months opened by their recipient: %(read)s of %(total)s.") % {
            "read": _n(e["read"]),
            "total": _n(e["sent"]),
        }
    if code == "operational_kpis":
        return _("Imported operational KPIs with values at touchpoints in the last %(days)s days: %(n)s.") % {
            "days": days,
            "n": _n(e.get("kpis", 0)),
        }
    return ""


def value_text(criterion: dict) -> str:
    rule = RULES_BY_CODE.get(criterion["code"])
    value = criterion.get("value")
    if criterion["status"] == NOT_APPLICABLE or rule is None:
        return DASH
    if rule.kind == "flag":
        return _("Yes") if criterion["status"] == MET else _("No")
    if rule.kind == "share":
        return pct(value)
    if rule.kind == "amount":
        return format_money(value or 0, (criterion.get("evidence") or {}).get("currency", ""), compact=True)
    return _n(value)


def threshold_text(criterion: dict) -> str:
    rule = RULES_BY_CODE.get(criterion["code"])
    if rule is None:
        return ""
    if rule.kind == "flag":
        minimum = (criterion.get("evidence") or {}).get("min_steering", 0)
        return _("Owner and at least %(n)s in the steering group") % {"n": _n(minimum)}
    if rule.kind == "share":
        return f"\u2265\u00a0{pct(rule.threshold)}"
    if rule.kind == "amount":
        return f">\u00a0{_n(rule.threshold)}"
    return f"\u2265\u00a0{_n(rule.threshold)}"


STATUS_LABELS = {
    "met": gettext_lazy("Met"),
    "not_met": gettext_lazy("Not met"),
    "not_applicable": gettext_lazy("Not applicable"),
}


def criterion_view(criterion: dict) -> dict:
    """Everything the page and the API show of one criterion."""
    code = criterion["code"]
    rule = RULES_BY_CODE.get(code)
    return {
        **criterion,
        "title": str(TITLES.get(code, code)),
        "sentence": sentence(criterion),
        "value_text": value_text(criterion),
        "threshold_text": threshold_text(criterion),
        "status_label": str(STATUS_LABELS.get(criterion["status"], criterion["status"])),
        # The page where it is fixed today (a stored URL may predate a move), else the stored one.
        "url": (fix_url(code) if rule is not None else "") or criterion.get("url", ""),
        "today_only": bool(rule and rule.today_only),
    }


def stage_views(summary: dict) -> list[dict]:
    """The four stages in order, each with its score, whether it is reached and its criteria."""
    views = []
    for stage in STAGES:
        criteria = [criterion_view(c) for c in summary["criteria"] if c["stage"] == stage]
        views.append(
            {
                "stage": stage,
                "label": stage_label(stage),
                "description": str(STAGE_DESCRIPTIONS[stage]),
                "score": summary["scores"].get(stage),
                "reached": stage in summary["reached"],
                "current": stage == summary["stage"],
                "criteria": criteria,
            }
        )
    return views
