"""Writes of the KPI engine: KPI definitions, targets (every change recorded), benchmarks, operational values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from audit import actions as audit_actions
from audit.services import audit_changes, audit_record, audit_snapshot
from kpis.models import Benchmark, Kpi, KpiValue, Target, TargetChange

KPI_FIELDS = ("code", "name", "kind", "metric", "measure", "unit", "direction", "aggregation", "owner", "description")
TARGET_FIELDS = (
    "kpi",
    "scope",
    "journey",
    "stage",
    "touchpoint",
    "segment",
    "persona",
    "period_start",
    "period_end",
    "value",
    "linked_to_compensation",
    "note",
)
# What the audit log compares of a target before and after a change (its KPI never changes: it goes in the detail).
TARGET_AUDIT_FIELDS = tuple(f for f in TARGET_FIELDS if f != "kpi")
BENCHMARK_FIELDS = (
    "kpi",
    "kind",
    "source_name",
    "journey",
    "touchpoint",
    "period_start",
    "period_end",
    "value",
    "note",
)


def _check_same_org(ctx: OrgContext, *objects: Any) -> None:
    """Defence in depth behind the form and serializer querysets: related rows must be the caller's."""
    for obj in objects:
        if obj is not None and getattr(obj, "organization_id", ctx.org_id) != ctx.org_id:
            raise ValidationError(_("Unknown related object."))


def _user(ctx: OrgContext):
    user = ctx.user
    return user if user is not None and user.is_authenticated else None


# -- KPIs -------------------------------------------------------------------------------------------------------


def kpi_create(*, ctx: OrgContext, **fields: Any) -> Kpi:
    kpi = Kpi(organization=ctx.organization, **{k: v for k, v in fields.items() if k in KPI_FIELDS})
    _check_same_org(ctx, kpi.owner)
    kpi.full_clean()
    kpi.save()
    return kpi


def kpi_update(*, ctx: OrgContext, kpi: Kpi, **fields: Any) -> Kpi:
    for name, value in fields.items():
        if name in KPI_FIELDS:
            setattr(kpi, name, value)
    _check_same_org(ctx, kpi, kpi.owner)
    kpi.full_clean()
    kpi.save()
    return kpi


def kpi_delete(*, ctx: OrgContext, kpi: Kpi) -> None:
    _check_same_org(ctx, kpi)
    kpi.delete()


# -- targets ----------------------------------------------------------------------------------------------------


def _normalise_scope(target: Target) -> None:
    """Keep only the scope object (plus its journey, denormalised) so the check constraint holds."""
    scope = target.scope
    if scope == Target.Scope.TOUCHPOINT and target.touchpoint is not None:
        target.journey, target.stage = target.touchpoint.journey, None
    elif scope == Target.Scope.STAGE and target.stage is not None:
        target.journey, target.touchpoint = target.stage.journey, None
    elif scope == Target.Scope.JOURNEY:
        target.stage = target.touchpoint = None
    elif scope == Target.Scope.ORGANIZATION:
        target.journey = target.stage = target.touchpoint = None
    if scope != Target.Scope.ORGANIZATION and target.scope_object is None:
        raise ValidationError(
            {scope: _("Choose the %(scope)s this target is for.") % {"scope": target.get_scope_display()}}
        )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _record(
    target: Target, field: str, old: Any, new: Any, *, ctx: OrgContext, reason: str, at: dt.datetime
) -> TargetChange:
    return TargetChange(
        organization_id=target.organization_id,
        target=target,
        field=field,
        old_value="" if old is None else _fmt(old),
        new_value="" if new is None else _fmt(new),
        reason=reason[:300],
        changed_by=_user(ctx),
        changed_at=at,
    )


def _audit_target(ctx: OrgContext, action: str, target: Target, old: dict | None, new: dict | None, reason: str):
    detail: dict[str, Any] = {"kpi": target.kpi_id, "changes": audit_changes(old, new)}
    if reason:
        detail["reason"] = reason[:300]
    audit_record(action=action, ctx=ctx, target=target, detail=detail)


@transaction.atomic
def target_create(*, ctx: OrgContext, reason: str = "", **fields: Any) -> Target:
    target = Target(
        organization=ctx.organization, created_by=_user(ctx), **{k: v for k, v in fields.items() if k in TARGET_FIELDS}
    )
    _normalise_scope(target)
    _check_same_org(ctx, target.kpi, target.journey, target.stage, target.touchpoint, target.persona)
    target.full_clean()
    target.save()
    _record(target, TargetChange.Field.CREATED, None, target.value, ctx=ctx, reason=reason, at=timezone.now()).save()
    _audit_target(ctx, audit_actions.TARGET_CREATE, target, None, audit_snapshot(target, TARGET_AUDIT_FIELDS), reason)
    return target


@transaction.atomic
def target_update(*, ctx: OrgContext, target: Target, reason: str = "", **fields: Any) -> Target:
    """Change a target; every changed value, period or compensation flag gets a TargetChange (who, when, old, new)."""
    _check_same_org(ctx, target)
    before = audit_snapshot(target, TARGET_AUDIT_FIELDS)
    old_value, old_period = target.value, (target.period_start, target.period_end)
    old_linked = target.linked_to_compensation
    for name, value in fields.items():
        if name in TARGET_FIELDS and name != "kpi":
            setattr(target, name, value)
    _normalise_scope(target)
    _check_same_org(ctx, target.journey, target.stage, target.touchpoint, target.persona)
    target.full_clean()
    target.save()
    now = timezone.now()
    changes = []
    if target.value != old_value:
        changes.append(
            _record(target, TargetChange.Field.VALUE, old_value, target.value, ctx=ctx, reason=reason, at=now)
        )
    new_period = (target.period_start, target.period_end)
    if new_period != old_period:
        changes.append(
            _record(
                target,
                TargetChange.Field.PERIOD,
                f"{old_period[0]}..{old_period[1]}",
                f"{new_period[0]}..{new_period[1]}",
                ctx=ctx,
                reason=reason,
                at=now,
            )
        )
    if target.linked_to_compensation != old_linked:
        changes.append(
            _record(
                target,
                TargetChange.Field.COMPENSATION,
                old_linked,
                target.linked_to_compensation,
                ctx=ctx,
                reason=reason,
                at=now,
            )
        )
    TargetChange.objects.bulk_create(changes)
    after = audit_snapshot(target, TARGET_AUDIT_FIELDS)
    if after != before:
        _audit_target(ctx, audit_actions.TARGET_CHANGE, target, before, after, reason)
    return target


@transaction.atomic
def target_delete(*, ctx: OrgContext, target: Target) -> None:
    _check_same_org(ctx, target)
    _audit_target(ctx, audit_actions.TARGET_DELETE, target, audit_snapshot(target, TARGET_AUDIT_FIELDS), None, "")
    target.delete()


# -- benchmarks -------------------------------------------------------------------------------------------------


def benchmark_create(*, ctx: OrgContext, **fields: Any) -> Benchmark:
    benchmark = Benchmark(organization=ctx.organization, **{k: v for k, v in fields.items() if k in BENCHMARK_FIELDS})
    _check_same_org(ctx, benchmark.kpi, benchmark.journey, benchmark.touchpoint)
    benchmark.full_clean()
    benchmark.save()
    return benchmark


def benchmark_update(*, ctx: OrgContext, benchmark: Benchmark, **fields: Any) -> Benchmark:
    for name, value in fields.items():
        if name in BENCHMARK_FIELDS and name != "kpi":
            setattr(benchmark, name, value)
    _check_same_org(ctx, benchmark, benchmark.journey, benchmark.touchpoint)
    benchmark.full_clean()
    benchmark.save()
    return benchmark


def benchmark_delete(*, ctx: OrgContext, benchmark: Benchmark) -> None:
    _check_same_org(ctx, benchmark)
    benchmark.delete()


# -- operational KPI values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiValueIn:
    kpi_id: int
    touchpoint_id: int
    day: dt.date
    value: float
    numerator: float | None = None
    denominator: float | None = None


class KpiValueError(ValueError):
    """A day's figures that do not fit the KPI: `field` is the one to correct."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


# A value sent with its numerator and denominator may differ from their ratio by rounding, not by more.
_RATIO_TOLERANCE = 0.05


def kpi_value_parts(
    *, ratio: bool, value: float | None, numerator: float | None, denominator: float | None
) -> tuple[float, float | None, float | None]:
    """Check one day's figures; return (value, numerator, denominator). Raise KpiValueError.

    A ratio KPI needs the numerator and the denominator (its value is 100 x numerator / denominator); any KPI may
    be given them instead of a value.
    """
    if numerator is None and denominator is None:
        if ratio:
            raise KpiValueError(
                _(
                    "This KPI is a ratio of sums: give the day's numerator and denominator (e.g. late deliveries and "
                    "all deliveries), not only a value."
                ),
                "numerator",
            )
        if value is None:
            raise KpiValueError(_("Required."), "value")
        return float(value), None, None
    if numerator is None or denominator is None:
        field = "numerator" if numerator is None else "denominator"
        raise KpiValueError(_("Give both the numerator and the denominator."), field)
    if denominator <= 0:
        raise KpiValueError(
            _("The denominator must be greater than 0 (a day without any cases has no value)."), "denominator"
        )
    computed = 100.0 * numerator / denominator
    if value is not None and abs(float(value) - computed) > _RATIO_TOLERANCE:
        raise KpiValueError(
            _("The value %(value)s is not 100 × numerator ÷ denominator (%(computed)s).")
            % {"value": f"{value:g}", "computed": f"{computed:.2f}"},
            "value",
        )
    return computed, float(numerator), float(denominator)


def kpi_value_upsert(
    *, organization_id: int, rows: Iterable[KpiValueIn], source: str = KpiValue.Source.API
) -> tuple[int, int]:
    """Insert or replace values on (kpi, touchpoint, day); returns (created, updated). Callers validate the ids
    belong to the organization (the API serializer, the import handler). Rows whose value, numerator and
    denominator did not change count as neither."""
    rows = list({(r.kpi_id, r.touchpoint_id, r.day): r for r in rows}.values())  # last value of a key wins
    if not rows:
        return 0, 0
    with transaction.atomic():
        existing = {
            (kpi_id, tp_id, day): (value, numerator, denominator)
            for kpi_id, tp_id, day, value, numerator, denominator in KpiValue.objects.filter(
                organization_id=organization_id,
                kpi_id__in={r.kpi_id for r in rows},
                touchpoint_id__in={r.touchpoint_id for r in rows},
                day__gte=min(r.day for r in rows),
                day__lte=max(r.day for r in rows),
            ).values_list("kpi_id", "touchpoint_id", "day", "value", "numerator", "denominator")
        }
        now = timezone.now()
        KpiValue.objects.bulk_create(
            [
                KpiValue(
                    organization_id=organization_id,
                    kpi_id=r.kpi_id,
                    touchpoint_id=r.touchpoint_id,
                    day=r.day,
                    value=r.value,
                    numerator=r.numerator,
                    denominator=r.denominator,
                    source=source,
                    updated_at=now,
                )
                for r in rows
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["kpi", "touchpoint", "day"],
            update_fields=["value", "numerator", "denominator", "source", "updated_at"],
        )
    created = updated = 0
    for r in rows:
        old = existing.get((r.kpi_id, r.touchpoint_id, r.day))
        if old is None:
            created += 1
        elif old != (r.value, r.numerator, r.denominator):
            updated += 1
    return created, updated
