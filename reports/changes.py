"""What changed between two versions of a month's report: the headline figures side by side (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Change:
    label: str
    before: float | str | None
    after: float | str | None
    kind: str = "score"  # score (in the report's measure), count, share (%), text

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def delta(self) -> float | None:
        if isinstance(self.before, int | float) and isinstance(self.after, int | float):
            return self.after - self.before
        return None


def _score_rows(label: str, before: dict | None, after: dict | None) -> list[Change]:
    before, after = before or {}, after or {}
    return [
        Change(label, before.get("value"), after.get("value")),
        Change(f"{label}: n", before.get("n"), after.get("n"), "count"),
    ]


def headline_changes(before: dict, after: dict) -> list[Change]:
    """The headline figures of two snapshots (older first), changed or not, in report order."""
    rows: list[Change] = []
    hb, ha = before.get("summary", {}).get("headline", {}), after.get("summary", {}).get("headline", {})
    scope = after.get("scope", {}).get("journey_name") or after.get("organization", {}).get("name", "")
    rows += _score_rows(scope, hb, ha)
    rows.append(Change(_("%(name)s: target") % {"name": scope}, hb.get("target"), ha.get("target")))
    rows.append(Change(_("%(name)s: status") % {"name": scope}, hb.get("status"), ha.get("status"), "text"))
    journeys_b = {j["id"]: j for j in before.get("summary", {}).get("journeys", [])}
    for j in after.get("summary", {}).get("journeys", []):
        rows += _score_rows(j["name"], journeys_b.get(j["id"]), j)
    tps_b = {t["id"]: t for t in before.get("ranking", {}).get("touchpoints", [])}
    for t in after.get("ranking", {}).get("touchpoints", []):
        rows += _score_rows(t["name"], tps_b.get(t["id"]), t)
    kpis_b = {k["id"]: k for k in before.get("kpis", [])}
    for k in after.get("kpis", []):
        rows.append(
            Change(
                _("KPI %(name)s") % {"name": k["name"]}, kpis_b.get(k["id"], {}).get("actual"), k["actual"], "number"
            )
        )
    lb, la = before.get("closed_loop", {}), after.get("closed_loop", {})
    for key, label in (
        ("detractors", _("Detractors")),
        ("cases", _("Cases")),
        ("closed", _("Cases closed")),
        ("closed_in_sla", _("Closed within SLA")),
    ):
        rows.append(Change(label, lb.get(key), la.get(key), "count"))
    qb, qa = before.get("data_quality", {}), after.get("data_quality", {})
    rows.append(Change(_("Responses"), qb.get("responses"), qa.get("responses"), "count"))
    rows.append(
        Change(_("Touchpoints measured"), qb.get("touchpoints_measured"), qa.get("touchpoints_measured"), "count")
    )
    return rows
