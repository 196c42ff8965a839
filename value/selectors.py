"""Reads of the value app, always scoped by an `OrgContext`.

Contract for other apps (kpis: value at stake; actions: expected value of an improvement):
- `touchpoint_values(ctx=, metric=, measure=) -> dict[int, TouchpointValue]` from the latest finished snapshot only
  (no model run, no scan of facts: one query); {} unless the snapshot was computed on that metric and measure
  (a value per NPS point says nothing about a CSAT point);
- `snapshot_metric(snapshot) -> (metric, measure)`: what the snapshot's "per point" figures are points of;
- `currency(ctx=) -> str`, the currency those values are in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from core.scales import metric_label, scale_for_metric
from value.models import ChurnEvent, CustomerRevenue, ValueSettings, ValueSnapshot
from value.reasons import reason_text

if TYPE_CHECKING:
    from accounts.models import Organization
    from accounts.scoping import OrgContext


# A queued or running recompute older than this is considered lost (worker died): a new request may start one.
STALE_AFTER = dt.timedelta(hours=2)


@dataclass(frozen=True)
class TouchpointValue:
    """What one point of the snapshot's metric (an NPS point, a CSAT point, a percentage point of top-2-box) at a
    touchpoint is worth, per year, in the snapshot's currency.

    `value_per_point`, `low` and `high` are None when `supported` is False; `reason` then says why in plain words.
    """

    touchpoint_id: int
    value_per_point: float | None
    low: float | None
    high: float | None
    n_customers: int
    supported: bool
    reason: str = ""


def value_snapshot_latest(*, ctx: OrgContext) -> ValueSnapshot | None:
    """The most recent finished snapshot of the organization (what every dashboard shows)."""
    return ValueSnapshot.objects.for_org(ctx.organization).done().order_by("-computed_at", "-pk").first()


def value_snapshot_in_progress(*, ctx: OrgContext) -> ValueSnapshot | None:
    """A queued or running recomputation, if any (older ones count as lost: their worker or broker failed)."""
    return (
        ValueSnapshot.objects.for_org(ctx.organization)
        .filter(
            status__in=[ValueSnapshot.Status.PENDING, ValueSnapshot.Status.RUNNING],
            requested_at__gte=timezone.now() - STALE_AFTER,
        )
        .order_by("-requested_at")
        .first()
    )


def value_snapshot_list(*, ctx: OrgContext) -> QuerySet[ValueSnapshot]:
    return ValueSnapshot.objects.for_org(ctx.organization).defer("results").order_by("-requested_at", "-pk")


def touchpoint_values_from_snapshot(snapshot: ValueSnapshot | None) -> dict[int, TouchpointValue]:
    if snapshot is None:
        return {}
    values: dict[int, TouchpointValue] = {}
    for row in snapshot.results.get("touchpoints", []):
        supported = bool(row.get("supported"))
        values[int(row["touchpoint_id"])] = TouchpointValue(
            touchpoint_id=int(row["touchpoint_id"]),
            value_per_point=row.get("value_per_point") if supported else None,
            low=row.get("low") if supported else None,
            high=row.get("high") if supported else None,
            n_customers=int(row.get("n_customers") or 0),
            supported=supported,
            reason=reason_text(row.get("reason_code", ""), row.get("reason_params")),
        )
    return values


def snapshot_metric(snapshot: ValueSnapshot) -> tuple[str, str]:
    """(metric key, measure) the snapshot's per-point values are in (snapshots before scales: NPS)."""
    params = snapshot.parameters or {}
    return params.get("metric") or "nps", params.get("measure") or "nps"


def value_settings_for(organization: Organization) -> ValueSettings:
    """The organization's key-driver settings (an unsaved row with the defaults when it has none)."""
    row = ValueSettings.objects.for_org(organization).first()
    return row if row is not None else ValueSettings(organization=organization)


def value_settings_get(*, ctx: OrgContext) -> ValueSettings:
    return value_settings_for(ctx.organization)


def effective_min_effect(row: ValueSettings) -> float:
    """The minimum practical |r| for a driver: the organization's own, else settings.VALUE_DRIVER_MIN_EFFECT."""
    if row.driver_min_effect is not None:
        return float(row.driver_min_effect)
    return float(getattr(settings, "VALUE_DRIVER_MIN_EFFECT", 0.1))


def outcome_metrics(*, ctx: OrgContext) -> list[tuple[str, str]]:
    """(metric key, label) of every score question in the organization's customer surveys: the outcomes a key-driver
    analysis can be run on (relationship NPS, an overall satisfaction rating, a yes/no label...)."""
    from surveys.models import Question, Survey

    rows = (
        Question.objects.for_org(ctx.organization)
        .exclude(version__survey__kind__in=Survey.INTERNAL_KINDS)
        .values_list("kind", "code", "scale_min", "scale_max")
        .distinct()
    )
    found = set()
    for kind, code, low, high in rows:
        metric = Question(kind=kind, code=code, scale_min=low, scale_max=high).metric
        if metric and scale_for_metric(metric) is not None:
            found.add(metric)
    return [(metric, metric_label(metric)) for metric in sorted(found)]


def touchpoint_values(
    *, ctx: OrgContext, metric: str | None = None, measure: str | None = None
) -> dict[int, TouchpointValue]:
    """Touchpoint id -> value of one point per year, from the latest stored snapshot ({} if none yet, or if it was
    computed on another metric or measure than the one asked for)."""
    snapshot = value_snapshot_latest(ctx=ctx)
    if snapshot is not None and metric is not None and snapshot_metric(snapshot) != (metric, measure):
        return {}
    return touchpoint_values_from_snapshot(snapshot)


def currency(*, ctx: OrgContext) -> str:
    """The currency of the latest snapshot's amounts (the organization's currency when there is none yet)."""
    snapshot = (
        ValueSnapshot.objects.for_org(ctx.organization)
        .done()
        .order_by("-computed_at", "-pk")
        .values_list("currency", flat=True)
        .first()
    )
    return snapshot or ctx.organization.currency


def revenue_list(
    *,
    ctx: OrgContext,
    customer_external_id: str | None = None,
    month_from: dt.date | None = None,
    month_to: dt.date | None = None,
) -> QuerySet[CustomerRevenue]:
    qs = CustomerRevenue.objects.for_org(ctx.organization).select_related("customer")
    if customer_external_id:
        qs = qs.filter(customer__external_id=customer_external_id)
    if month_from:
        qs = qs.filter(month__gte=month_from)
    if month_to:
        qs = qs.filter(month__lte=month_to)
    return qs.order_by("-month", "customer_id")


def churn_event_list(
    *,
    ctx: OrgContext,
    customer_external_id: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[ChurnEvent]:
    qs = ChurnEvent.objects.for_org(ctx.organization).select_related("customer")
    if customer_external_id:
        qs = qs.filter(customer__external_id=customer_external_id)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("-date", "customer_id")
