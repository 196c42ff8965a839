"""Writes of the privacy app: export and erase one person, retention policies and runs, the consent log.

Every action is written to the audit log in its own transaction, naming the customer only as "customer #<id>"
(the label must stay harmless after an erasure).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.scoping import OrgContext
from audit.services import audit_purge, audit_record
from core.masking import MASK
from core.tasks import enqueue_coalesced
from customers.models import Customer
from customers.signals import change_source
from imports.models import ImportJob
from privacy import erasure, export, selectors
from privacy.models import ConsentEvent, ErasureRecord, RetentionPolicy, RetentionRun
from surveys.models import Answer
from voice.services import analyses_forget_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

CUSTOMER_FLAGS: dict[str, str] = {ConsentEvent.Kind.SURVEY: "may_survey", ConsentEvent.Kind.CONTACT: "may_contact"}
SYSTEM = "system"


def subject_label(customer_id: int) -> str:
    """How logs and records name a person: never by their identity."""
    return f"customer #{customer_id}"


def _actor(ctx: OrgContext | None) -> tuple[User | None, str]:
    if ctx is None:
        return None, SYSTEM
    if ctx.api_key is not None:
        return None, f"API key {ctx.api_key.name} ({ctx.api_key.prefix})"
    user = ctx.user
    if user is None or not user.is_authenticated:
        return None, SYSTEM
    return user, (user.get_full_name() or user.get_username())[:200]


# --- consent -------------------------------------------------------------------------------------------------------


def consent_record(
    *, customer: Customer, kind: str, granted: bool, source: str, at: dt.datetime | None = None
) -> ConsentEvent:
    """Append one consent change (call it in the transaction that changes the customer's flag)."""
    if kind not in ConsentEvent.Kind.values:
        raise ValueError(f"unknown consent kind {kind!r}")
    return ConsentEvent.objects.create(
        organization_id=customer.organization_id,
        customer=customer,
        kind=kind,
        granted=bool(granted),
        at=at or timezone.now(),
        source=(source or SYSTEM)[:120],
    )


def consent_changes_record(
    sender=None, *, organization_id: int, changes: Iterable[tuple[str, str, bool]], source: str, **kwargs
) -> int:
    """customers.signals.consent_changed: one event per changed flag of the customers a write touched (a form, the
    API, an import batch), in the write's transaction. `changes` are (external id, kind, granted)."""
    changes = list(changes)
    if not changes:
        return 0
    ids = dict(
        Customer.objects.filter(
            organization_id=organization_id, external_id__in={ext for ext, _kind, _granted in changes}
        ).values_list("external_id", "pk")
    )
    at = timezone.now()
    rows = [
        ConsentEvent(
            organization_id=organization_id,
            customer_id=ids[ext],
            kind=kind,
            granted=bool(granted),
            at=at,
            source=(source or SYSTEM)[:120],
        )
        for ext, kind, granted in changes
        if ext in ids
    ]
    ConsentEvent.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def consent_set(
    *,
    ctx: OrgContext,
    customer: Customer,
    kind: str,
    granted: bool,
    source: str = "",
    request: HttpRequest | None = None,
) -> ConsentEvent:
    """A consent change told to staff or sent by an integration: the customer's flag (survey, contact) changes and
    the change is logged. Marketing consent has no flag here; it is only logged."""
    selectors.require_privacy_access(ctx, write=True)
    if customer.organization_id != ctx.org_id:
        raise ValueError("customer of another organization")
    source = source.strip()[:80]
    full_source = change_source(ctx) + (f" ({source})" if source else "")
    with transaction.atomic():
        flag = CUSTOMER_FLAGS.get(kind)
        if flag is not None:
            # The flag is set here, not through customers.services.customer_update, so that the event is recorded
            # once whether or not that function records consent changes itself.
            now = timezone.now()
            Customer.objects.filter(pk=customer.pk).update(**{flag: granted, "updated_at": now})
            setattr(customer, flag, granted)
            customer.updated_at = now
        event = consent_record(customer=customer, kind=kind, granted=granted, source=full_source)
        audit_record(
            action="privacy.consent_change",
            ctx=ctx,
            target_type="customers.customer",
            target_id=customer.pk,
            target_label=subject_label(customer.pk),
            detail={"consent": kind, "granted": bool(granted)},
            request=request,
        )
    return event


# --- export and erasure --------------------------------------------------------------------------------------------


def subject_export(*, ctx: OrgContext, customer: Customer, request: HttpRequest | None = None) -> bytes:
    """The zip of everything held about the customer (data.json + one CSV per kind); the access is logged."""
    selectors.require_privacy_access(ctx)
    if customer.organization_id != ctx.org_id:
        raise ValueError("customer of another organization")
    data = export.subject_data(customer=customer)
    content = export.export_zip(data=data, organization_name=ctx.organization.name)
    audit_record(
        action="privacy.export",
        ctx=ctx,
        target_type="customers.customer",
        target_id=customer.pk,
        target_label=subject_label(customer.pk),
        detail={"kinds": {kind: len(rows) for kind, rows in data.items()}},
        request=request,
    )
    return content


def subject_export_filename(customer: Customer) -> str:
    return f"personal-data-customer-{customer.pk}-{timezone.localdate():%Y%m%d}.zip"


def subject_erase(*, ctx: OrgContext, customer: Customer, request: HttpRequest | None = None) -> ErasureRecord:
    """Erase the customer everywhere (see privacy.erasure); record what was done, never who it was."""
    selectors.require_privacy_access(ctx, write=True)
    if customer.organization_id != ctx.org_id:
        raise ValueError("customer of another organization")
    pk = customer.pk
    actor, actor_label = _actor(ctx)
    with transaction.atomic():
        outcome = erasure.customers_erase(organization_id=ctx.org_id, customer_ids=[pk])
        record = ErasureRecord.objects.create(
            organization_id=ctx.org_id,
            reason=ErasureRecord.Reason.REQUEST,
            customer_ids=outcome.customer_ids,
            actor=actor,
            actor_label=actor_label,
            counts={**outcome.counts, "other_tables": outcome.other_tables},
            leftovers=outcome.leftovers,
        )
        audit_record(
            action="privacy.erase",
            ctx=ctx,
            target_type="customers.customer",
            target_id=pk,
            target_label=subject_label(pk),
            detail={"erasure_record": record.pk, "counts": outcome.counts},
            request=request,
        )
        files = outcome.files_to_delete
        transaction.on_commit(lambda: erasure.delete_files(files))
    if outcome.leftovers:
        logger.warning("erasure %s left identifiers in %s", record.pk, sorted(outcome.leftovers))
    return record


# --- retention -----------------------------------------------------------------------------------------------------


def retention_policy_save(
    *, ctx: OrgContext, request: HttpRequest | None = None, **months: int | None
) -> RetentionPolicy:
    selectors.require_privacy_access(ctx, write=True)
    unknown = set(months) - set(RetentionPolicy.MONTH_FIELDS)
    if unknown:
        raise TypeError(f"not a retention field: {sorted(unknown)}")
    with transaction.atomic():
        policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(organization_id=ctx.org_id)
        old = policy.as_dict()
        for name, value in months.items():
            setattr(policy, name, value)
        policy.updated_by = ctx.user if ctx.user is not None and ctx.user.is_authenticated else None
        policy.save()
        new = policy.as_dict()
        if new != old:
            audit_record(
                action="privacy.retention_change",
                ctx=ctx,
                target=policy,
                target_label="retention policy",
                detail={"old": old, "new": new},
                request=request,
            )
    return policy


def _cutoff(now: dt.datetime, months: int) -> dt.datetime:
    return now - relativedelta(months=months)


def retention_run(
    *,
    organization_id: int,
    trigger: str = RetentionRun.Trigger.SCHEDULE,
    ctx: OrgContext | None = None,
    now: dt.datetime | None = None,
) -> RetentionRun:
    """Apply the organization's policy now, in this process (the nightly task), and store the report."""
    now = now or timezone.now()
    policy = selectors.retention_policy_get(organization_id=organization_id)
    _actor_user, actor_label = _actor(ctx)
    run = RetentionRun.objects.create(
        organization_id=organization_id,
        trigger=trigger,
        state=RetentionRun.State.RUNNING,
        started_at=now,
        progress_at=timezone.now(),
        policy=policy.as_dict(),
        actor_label=actor_label,
    )
    _retention_apply(run, policy=policy, now=now)
    return run


def retention_run_request(*, ctx: OrgContext, request: HttpRequest | None = None) -> tuple[RetentionRun, bool]:
    """Queue a run of the organization's policy for a worker ("apply now"); returns the run and whether it is new.

    While a run of the organization is queued or running, that run is returned and no second one is queued."""
    from privacy.tasks import run_retention_one

    selectors.require_privacy_access(ctx, write=True)
    _actor_user, actor_label = _actor(ctx)
    with transaction.atomic():
        # The policy row is the organization's lock: two clicks at once queue one run.
        policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(organization_id=ctx.org_id)
        unfinished = (
            RetentionRun.objects.filter(organization_id=ctx.org_id, state__in=RetentionRun.UNFINISHED)
            .order_by("-pk")
            .first()
        )
        if unfinished is not None:
            return unfinished, False
        run = RetentionRun.objects.create(
            organization_id=ctx.org_id,
            trigger=RetentionRun.Trigger.MANUAL,
            state=RetentionRun.State.QUEUED,
            policy=policy.as_dict(),
            actor_label=actor_label,
        )
        audit_record(
            action="privacy.retention_run_request",
            ctx=ctx,
            target=run,
            target_label=f"retention run {run.pk}",
            detail={"policy": run.policy},
            request=request,
        )
        enqueue_coalesced(run_retention_one, args=[run.pk])  # after the commit; eager (demo): runs right then
    return run, True


def retention_run_process(*, run_id: int) -> RetentionRun | None:
    """Claim a queued run (queued -> running, so two workers never take it) and apply the policy as it is now."""
    now = timezone.now()
    claimed = RetentionRun.objects.filter(pk=run_id, state=RetentionRun.State.QUEUED).update(
        state=RetentionRun.State.RUNNING, started_at=now, progress_at=now
    )
    if not claimed:
        return None
    run = RetentionRun.objects.get(pk=run_id)
    policy = selectors.retention_policy_get(organization_id=run.organization_id)
    run.policy = policy.as_dict()
    run.save(update_fields=["policy"])
    _retention_apply(run, policy=policy, now=now)
    return run


def retention_runs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again the runs whose task was lost (broker down); fail the runs whose worker died (no progress)."""
    from privacy.tasks import run_retention_one

    now = now or timezone.now()
    lost = RetentionRun.objects.filter(
        state=RetentionRun.State.QUEUED,
        progress_at__lt=now - dt.timedelta(seconds=settings.PRIVACY_RETENTION_REQUEUE_AFTER_SECONDS),
    )
    requeued = 0
    for run_id in lost.values_list("pk", flat=True)[:100]:
        RetentionRun.objects.filter(pk=run_id, state=RetentionRun.State.QUEUED).update(progress_at=now)
        requeued += enqueue_coalesced(run_retention_one, args=[run_id], after_commit=False)
    # Running past the task's hard time limit without progress: its worker is gone. Applying again is left to the
    # next run (nightly or on request), so a run that always dies is never retried in a loop.
    interrupted = RetentionRun.objects.filter(
        state=RetentionRun.State.RUNNING,
        progress_at__lt=now - dt.timedelta(seconds=settings.PRIVACY_RETENTION_STALE_SECONDS),
    ).update(
        state=RetentionRun.State.FAILED,
        finished_at=now,
        error="Interrupted: the worker stopped before the run finished. The next run applies the policy again.",
    )
    return {"requeued": requeued, "interrupted": interrupted}


def _retention_apply(run: RetentionRun, *, policy: RetentionPolicy, now: dt.datetime) -> None:
    """The steps of a run; its counts are stored after each step (and each batch of erasures) for the page."""
    organization_id = run.organization_id
    counts: dict[str, int] = {}

    def progress(**step_counts: int) -> None:
        counts.update(step_counts)
        RetentionRun.objects.filter(pk=run.pk).update(counts=dict(counts), progress_at=timezone.now())

    try:
        if policy.import_files_months is not None:
            progress(
                import_files_deleted=_retain_import_files(organization_id, _cutoff(now, policy.import_files_months))
            )
        if policy.comments_months is not None:
            progress(**_retain_comments(organization_id, _cutoff(now, policy.comments_months)))
        if policy.identities_months is not None:
            _retain_identities(organization_id, _cutoff(now, policy.identities_months), progress=progress)
        if policy.audit_log_months is not None:
            progress(
                audit_events_deleted=audit_purge(
                    organization_id=organization_id, before=_cutoff(now, policy.audit_log_months)
                )
            )
    except Exception as exc:
        logger.exception("retention run %s of organization %s failed", run.pk, organization_id)
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
    run.counts = counts
    run.state = RetentionRun.State.FAILED if run.error else RetentionRun.State.DONE
    run.finished_at = run.progress_at = timezone.now()
    run.save(update_fields=["counts", "state", "finished_at", "progress_at", "error"])
    audit_record(
        action="privacy.retention_run",
        ctx=None,
        organization=organization_id,
        target=run,
        target_label=f"retention run {run.pk}",
        detail={"counts": counts, "error": bool(run.error), "trigger": run.trigger},
    )


def _retain_comments(organization_id: int, cutoff: dt.datetime) -> dict[str, int]:
    day = timezone.localdate(cutoff)
    with transaction.atomic():
        masked = (
            Answer.objects.filter(organization_id=organization_id, submitted_on__lt=day)
            .exclude(text="")
            .exclude(text=MASK)
            .update(text=MASK)
        )
        analyses_forget_text(organization_id=organization_id, before=day)
        reports = erasure.reports_mask(organization_id=organization_id, pattern=None, before=day.replace(day=1))
    return {"comments_masked": masked, "reports_rewritten": len(reports)}


def _retain_identities(organization_id: int, cutoff: dt.datetime, *, progress: Callable[..., None]) -> None:
    batch = settings.PRIVACY_RETENTION_BATCH
    limit = settings.PRIVACY_RETENTION_MAX_PER_RUN
    erased = leftover_rows = 0
    while erased < limit:
        ids = list(
            selectors.customers_inactive_since(organization_id=organization_id, cutoff=cutoff).values_list(
                "pk", flat=True
            )[: min(batch, limit - erased)]
        )
        if not ids:
            break
        with transaction.atomic():
            outcome = erasure.customers_erase(organization_id=organization_id, customer_ids=ids)
            ErasureRecord.objects.create(
                organization_id=organization_id,
                reason=ErasureRecord.Reason.RETENTION,
                customer_ids=outcome.customer_ids,
                actor_label=SYSTEM,
                counts={**outcome.counts, "other_tables": outcome.other_tables},
                leftovers=outcome.leftovers,
            )
            transaction.on_commit(partial(erasure.delete_files, outcome.files_to_delete))
        erased += len(outcome.customer_ids)
        leftover_rows += sum(outcome.leftovers.values())
        progress(customers_erased=erased, leftover_rows=leftover_rows)
        if not outcome.customer_ids:
            break
    progress(customers_erased=erased, leftover_rows=leftover_rows)


def _retain_import_files(organization_id: int, cutoff: dt.datetime) -> int:
    jobs = (
        ImportJob.objects.filter(organization_id=organization_id, created_at__lt=cutoff)
        .exclude(status__in=(ImportJob.Status.PENDING, ImportJob.Status.RUNNING))
        .exclude(file="", error_report="")
    )
    names: list[str] = []
    for job in jobs.only("pk", "file", "error_report"):
        names += [f.name for f in (job.file, job.error_report) if f.name]
        ImportJob.objects.filter(pk=job.pk).update(file="", error_report="")
    transaction.on_commit(lambda: erasure.delete_files(names))
    return len(names)


def retention_run_all(*, now: dt.datetime | None = None) -> list[int]:
    """Nightly: every organization with a policy; returns the run ids."""
    runs = []
    org_ids = RetentionPolicy.objects.values_list("organization_id", flat=True)
    for org_id in Organization.objects.filter(pk__in=org_ids).values_list("pk", flat=True):
        if selectors.retention_policy_get(organization_id=org_id).is_empty:
            continue
        runs.append(retention_run(organization_id=org_id, now=now).pk)
    return runs
