"""Writes of response ingestion: submit a response, process it once, sweep what was not processed.

A response row is its own outbox: it is committed first (2xx only after commit), follow-up work is enqueued on
commit, and `processed_at IS NULL` marks what still has to run. If the broker is down the enqueue is skipped and
the periodic sweep picks the response up later, so an outage delays work but loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections.abc import Mapping
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.ingestion.errors import InvitationExpired, InvitationUsed, SubmissionMismatch
from surveys.ingestion.validation import clean_answers
from surveys.models import Answer, Invitation, Response, Survey, SurveyVersion
from surveys.signals import response_processed

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_MAX_LENGTH = 100
# After a failed enqueue, skip the broker for a few seconds: during an outage every submission would otherwise
# pay the connection timeout, and the sweep catches up anyway.
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0
# One connection attempt, no waiting: kombu otherwise retries for seconds before giving up (even with retry=False,
# the connection itself is retried), and the client would wait for nothing.
FAIL_FAST = {"max_retries": 0, "interval_start": 0, "interval_step": 0, "interval_max": 0}


def _organization_tz(organization: Organization) -> dt.tzinfo:
    # Answer.submitted_on is the organization's calendar day (imports use the same rule).
    try:
        return zoneinfo.ZoneInfo(organization.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _existing_response(*, organization: Organization, idempotency_key: str) -> Response | None:
    return Response.objects.for_org(organization).filter(idempotency_key=idempotency_key).first()


def _check_belongs(
    *,
    organization: Organization,
    survey: Survey,
    version: SurveyVersion,
    touchpoint: Touchpoint | None,
    customer: Customer | None,
    invitation: Invitation | None,
) -> None:
    org_id = organization.pk
    if survey.organization_id != org_id or version.organization_id != org_id or version.survey_id != survey.pk:
        raise SubmissionMismatch("The survey version does not belong to this survey.")
    for obj in (touchpoint, customer, invitation):
        if obj is not None and obj.organization_id != org_id:
            raise SubmissionMismatch()
    if invitation is not None and invitation.survey_id != survey.pk:
        raise SubmissionMismatch("The invitation is for another survey.")


def _claim_invitation(*, invitation: Invitation, now: dt.datetime) -> None:
    """Mark the invitation used, unless someone else did first (the UPDATE is the lock)."""
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if claimed:
        invitation.used_at = now
        return
    state = Invitation.objects.filter(pk=invitation.pk).values("used_at").first()
    if state is None or state["used_at"] is not None:
        raise InvitationUsed()
    raise InvitationExpired()


def response_submit(
    *,
    organization: Organization,
    survey: Survey,
    version: SurveyVersion,
    answers: Mapping[str, object],
    touchpoint: Touchpoint | None = None,
    customer: Customer | None = None,
    invitation: Invitation | None = None,
    language: str,
    channel: str = "",
    source: str = Response.Source.WEB,
    submitted_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> tuple[Response, bool]:
    """Validate and store one response with its answers; return (response, created).

    A repeated `idempotency_key` returns the stored response with created=False: the unique constraint decides,
    also when two requests race. Raises AnswerValidationError, InvitationUsed, InvitationExpired,
    SubmissionMismatch; nothing is written then.
    """
    idempotency_key = (idempotency_key or "").strip()[:IDEMPOTENCY_KEY_MAX_LENGTH] or None
    # No look-up of the key first: a retry is the rare case, and the unique constraint answers it anyway (below).
    _check_belongs(
        organization=organization,
        survey=survey,
        version=version,
        touchpoint=touchpoint,
        customer=customer,
        invitation=invitation,
    )
    cleaned = clean_answers(version.questions.all(), answers)
    if invitation is not None:
        touchpoint = touchpoint or invitation.touchpoint
        customer = customer or invitation.customer
        language = language or invitation.language
    now = timezone.now()
    submitted_at = submitted_at or now
    if timezone.is_naive(submitted_at):
        submitted_at = timezone.make_aware(submitted_at, _organization_tz(organization))
    try:
        with transaction.atomic():
            if invitation is not None:
                _claim_invitation(invitation=invitation, now=now)
            response = Response.objects.create(
                organization=organization,
                survey=survey,
                version=version,
                touchpoint=touchpoint,
                journey_id=touchpoint.journey_id if touchpoint is not None else survey.journey_id,
                customer=customer,
                invitation=invitation,
                language=(language or "")[:8],
                channel=channel or "",
                source=source,
                submitted_at=submitted_at,
                idempotency_key=idempotency_key,
            )
            submitted_on = submitted_at.astimezone(_organization_tz(organization)).date()
            answers_created = Answer.objects.bulk_create(
                Answer(
                    organization=organization,
                    response=response,
                    question=a.question,
                    touchpoint=touchpoint,
                    submitted_on=submitted_on,
                    metric=a.metric,
                    value=a.value,
                    text=a.text,
                    choices=a.choices,
                )
                for a in cleaned
            )
            # Mark the answers as prefetched, as prefetch_related would: the caller can show them without a query.
            prefetched = response.answers.all()
            prefetched._result_cache, prefetched._prefetch_done = answers_created, True
            response._prefetched_objects_cache = {"answers": prefetched}
            transaction.on_commit(partial(response_enqueue_processing, response_id=response.pk))
    except (IntegrityError, InvitationUsed):
        # Lost a race with the same request: the other transaction committed the response (and used the
        # invitation) first. Anything else is a real error.
        if idempotency_key:
            existing = _existing_response(organization=organization, idempotency_key=idempotency_key)
            if existing is not None:
                return existing, False
        raise
    return response, True


def response_enqueue_processing(*, response_id: int) -> bool:
    """Queue the follow-up task; never raise (a broker outage must not fail a committed submission)."""
    global _broker_down_until
    from surveys.ingestion.tasks import process_response

    eager = bool(process_response.app.conf.task_always_eager)
    if not eager and time.monotonic() < _broker_down_until:
        logger.info("Broker marked down; response %s left for the sweep.", response_id)
        return False
    try:
        if eager:
            process_response.apply(args=[response_id], throw=True)
        else:
            process_response.apply_async(args=[response_id], retry=True, retry_policy=FAIL_FAST)
    except Exception:
        if not eager:
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.exception("Could not run or enqueue processing of response %s; the sweep will retry.", response_id)
        return False
    return True


def response_process(*, response_id: int) -> bool:
    """Run the follow-up work of one response once: claim it, tell the receivers, commit together.

    Returns False when it was already processed (or does not exist). If a receiver raises, the claim is rolled
    back and the sweep tries again later.
    """
    with transaction.atomic():
        claimed = Response.objects.filter(pk=response_id, processed_at__isnull=True).update(processed_at=timezone.now())
        if not claimed:
            return False
        response = Response.objects.select_related("survey", "touchpoint", "customer").get(pk=response_id)
        response_processed.send(sender=Response, response=response)
    return True


def _claim_batch(*, older_than: dt.datetime, limit: int) -> list[int]:
    # SKIP LOCKED: two sweeps (or a sweep and a task) never wait on or take the same rows.
    return list(
        Response.objects.unprocessed()
        .filter(created_at__lt=older_than)
        .order_by("created_at")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )


def responses_sweep_unprocessed(
    *, min_age_seconds: float = 60, batch_size: int = 500, time_budget_seconds: float = 45
) -> int:
    """Process responses whose follow-up never ran (broker down, worker crash, imports), in batches.

    Each batch is one transaction: rows locked with SKIP LOCKED, one signal per response, processed_at set.
    A batch whose receiver fails is retried row by row so one bad response does not block the rest.
    Returns how many responses were processed.
    """
    deadline = time.monotonic() + time_budget_seconds
    older_than = timezone.now() - dt.timedelta(seconds=min_age_seconds)
    done = 0
    failed: set[int] = set()
    while time.monotonic() < deadline:
        ids: list[int] = []
        try:
            with transaction.atomic():
                ids = _claim_batch(older_than=older_than, limit=batch_size + len(failed))
                ids = [pk for pk in ids if pk not in failed][:batch_size]
                if not ids:
                    break
                responses = Response.objects.filter(pk__in=ids).select_related("survey", "touchpoint", "customer")
                for response in responses:
                    response_processed.send(sender=Response, response=response)
                Response.objects.filter(pk__in=ids).update(processed_at=timezone.now())
            done += len(ids)
        except Exception:
            logger.exception("Sweep batch failed; retrying its responses one by one.")
            for pk in ids:
                try:
                    if response_process(response_id=pk):
                        done += 1
                except Exception:
                    failed.add(pk)
                    logger.exception("Processing response %s failed; it stays unprocessed.", pk)
            if len(failed) >= batch_size:
                break
    return done
