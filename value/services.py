"""Writes of the value app: revenue and churn upserts, and runs of the value model."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.scoping import WRITE_PROGRAM_ROLES
from core.scales import NPS, NPS_SCALE, scale_for_metric
from core.tasks import enqueue_coalesced
from value import frames
from value.analysis.inputs import Parameters
from value.analysis.model import run
from value.models import ChurnEvent, CustomerRevenue, ValueSettings, ValueSnapshot
from value.selectors import STALE_AFTER, effective_min_effect, value_settings_for, value_snapshot_in_progress
from value.validation import ChurnRow, RevenueRow

if TYPE_CHECKING:
    from accounts.scoping import OrgContext

logger = logging.getLogger(__name__)


def revenue_upsert(*, organization: Organization, rows: list[RevenueRow]) -> tuple[int, int]:
    """Insert or update monthly revenue on (customer, month); return (created, updated). Unchanged rows are skipped."""
    if not rows:
        return 0, 0
    existing = {
        (c, m): (pk, amount)
        for pk, c, m, amount in CustomerRevenue.objects.for_org(organization)
        .filter(customer_id__in={r.customer_id for r in rows}, month__in={r.month for r in rows})
        .values_list("pk", "customer_id", "month", "amount")
    }
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        if row.customer_id is None:  # the importer creates missing customers before it stores their revenue
            raise ValueError(f"Revenue row for {row.external_id!r} has no customer.")
        found = existing.get((row.customer_id, row.month))
        if found is None:
            new.append(
                CustomerRevenue(
                    organization=organization, customer_id=row.customer_id, month=row.month, amount=row.amount
                )
            )
        elif found[1] != row.amount:
            changed.append(CustomerRevenue(pk=found[0], amount=row.amount, updated_at=now))
    with transaction.atomic():
        # update_conflicts: a concurrent import of the same rows must not fail the batch.
        CustomerRevenue.objects.bulk_create(
            new, batch_size=2000, update_conflicts=True, unique_fields=["customer", "month"], update_fields=["amount"]
        )
        CustomerRevenue.objects.bulk_update(changed, ["amount", "updated_at"], batch_size=2000)
    return len(new), len(changed)


def churn_event_upsert(*, organization: Organization, rows: list[ChurnRow]) -> tuple[int, int]:
    """Insert or update churn events on (customer, date); a row without reason leaves the stored reason alone."""
    if not rows:
        return 0, 0
    existing = {
        (c, d): (pk, reason)
        for pk, c, d, reason in ChurnEvent.objects.for_org(organization)
        .filter(customer_id__in={r.customer_id for r in rows}, date__in={r.date for r in rows})
        .values_list("pk", "customer_id", "date", "reason")
    }
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        if row.customer_id is None:  # as for revenue: customers are created first
            raise ValueError(f"Churn row for {row.external_id!r} has no customer.")
        found = existing.get((row.customer_id, row.date))
        if found is None:
            new.append(
                ChurnEvent(
                    organization=organization, customer_id=row.customer_id, date=row.date, reason=row.reason or ""
                )
            )
        elif row.reason is not None and row.reason != found[1]:
            changed.append(ChurnEvent(pk=found[0], reason=row.reason, updated_at=now))
    with transaction.atomic():
        ChurnEvent.objects.bulk_create(
            new, batch_size=2000, update_conflicts=True, unique_fields=["customer", "date"], update_fields=["reason"]
        )
        ChurnEvent.objects.bulk_update(changed, ["reason", "updated_at"], batch_size=2000)
    return len(new), len(changed)


def default_parameters(organization: Organization) -> Parameters:
    """The model's parameters for an organization: its primary metric and measure, its key-driver choices."""
    metric = organization.primary_metric or NPS
    scale = scale_for_metric(metric)
    if scale is None:
        metric, scale = NPS, NPS_SCALE
    choice = value_settings_for(organization)
    return Parameters(
        min_customers=settings.VALUE_MIN_CUSTOMERS,
        min_events=settings.VALUE_MIN_CHURN_EVENTS,
        min_n=organization.min_n,
        window_months=settings.VALUE_WINDOW_MONTHS,
        metric=metric,
        measure=scale.measure(organization.primary_measure),
        driver_outcome=choice.driver_outcome or ValueSettings.AUTO,
        driver_min_effect=effective_min_effect(choice),
    )


@transaction.atomic
def value_settings_update(*, ctx: OrgContext, driver_outcome: str, driver_min_effect: float | None) -> ValueSettings:
    """Store the organization's key-driver outcome and minimum effect (the nightly run uses them)."""
    ctx.require(WRITE_PROGRAM_ROLES)
    row, _created = ValueSettings.objects.select_for_update().get_or_create(organization=ctx.organization)
    row.driver_outcome = driver_outcome
    row.driver_min_effect = driver_min_effect
    row.updated_by = ctx.user if ctx.user is not None and ctx.user.is_authenticated else None
    row.save()
    return row


def value_recompute_request(*, ctx: OrgContext) -> ValueSnapshot:
    """Queue a model run for the context's organization (at most one waiting or running at a time)."""
    from value.tasks import run_model

    org = ctx.organization
    with transaction.atomic():
        # Lock the organization row so two clicks cannot both queue a run.
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        busy = value_snapshot_in_progress(ctx=ctx)
        if busy is not None:
            return busy
        snapshot = ValueSnapshot.objects.create(
            organization=org, requested_by=ctx.user if ctx.user and ctx.user.is_authenticated else None
        )
        # A broker outage must not turn the click into an error page: the request stays queued until it goes stale,
        # and the nightly run recomputes anyway.
        enqueue_coalesced(run_model, kwargs={"organization_id": org.pk, "snapshot_id": snapshot.pk})
    return snapshot


def _claim(organization: Organization, snapshot_id: int | None) -> ValueSnapshot | None:
    """Mark the snapshot running with a conditional UPDATE, so two workers never compute the same request."""
    now = timezone.now()
    if snapshot_id is None:
        return ValueSnapshot.objects.create(
            organization=organization, status=ValueSnapshot.Status.RUNNING, started_at=now
        )
    claimed = (
        ValueSnapshot.objects.for_org(organization)
        .filter(pk=snapshot_id, status=ValueSnapshot.Status.PENDING)
        .update(status=ValueSnapshot.Status.RUNNING, started_at=now)
    )
    return ValueSnapshot.objects.get(pk=snapshot_id) if claimed else None


def value_model_run(
    *, organization: Organization, snapshot_id: int | None = None, as_of: dt.date | None = None
) -> ValueSnapshot | None:
    """Compute the value model for one organization and store it as a snapshot; None if already taken."""
    snapshot = _claim(organization, snapshot_id)
    if snapshot is None:
        return None
    as_of = as_of or timezone.localdate()
    parameters = default_parameters(organization)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        data = frames.model_input(organization, as_of=as_of, parameters=parameters)
        timings["frames"] = time.perf_counter() - started
        results = run(data, timings=timings)
        timings["total"] = time.perf_counter() - started
        results["timings"] = timings
    except Exception as exc:
        logger.exception("value model failed for organization %s", organization.pk)
        snapshot.status = ValueSnapshot.Status.FAILED
        snapshot.message = f"{type(exc).__name__}: {exc}"[:2000]
        snapshot.computed_at = timezone.now()
        snapshot.save(update_fields=["status", "message", "computed_at"])
        return snapshot
    snapshot.status = ValueSnapshot.Status.DONE
    snapshot.computed_at = timezone.now()
    snapshot.currency = organization.currency
    snapshot.parameters = {**parameters.as_dict(), "as_of": as_of.isoformat()}
    snapshot.results = results
    snapshot.explanations = _explanations(results)
    snapshot.save()
    _prune(organization)
    return snapshot


def _explanations(results: dict) -> list[dict]:
    """Run-level notes: every section that could not be supported, with its reason code."""
    notes = []
    sections = [(key, results.get(key) or {}) for key in ("categories", "revenue_at_risk", "drivers")]
    sections += [(f"churn_{key}", (results.get("churn") or {}).get(key) or {}) for key in ("rate", "reasons")]
    for key, section in sections:
        if not section.get("supported"):
            notes.append(
                {
                    "section": key,
                    "reason_code": section.get("reason_code", ""),
                    "reason_params": section.get("reason_params", {}),
                }
            )
    return notes


def _prune(organization: Organization) -> None:
    """Keep the latest finished snapshots; drop requests whose worker was lost long ago."""
    ValueSnapshot.objects.for_org(organization).filter(
        status__in=[ValueSnapshot.Status.PENDING, ValueSnapshot.Status.RUNNING],
        requested_at__lt=timezone.now() - STALE_AFTER,
    ).delete()
    keep = settings.VALUE_SNAPSHOTS_KEPT
    old = list(
        ValueSnapshot.objects.for_org(organization)
        .filter(status__in=[ValueSnapshot.Status.DONE, ValueSnapshot.Status.FAILED])
        .order_by("-computed_at", "-pk")
        .values_list("pk", flat=True)[keep:]
    )
    if old:
        ValueSnapshot.objects.filter(pk__in=old).delete()
