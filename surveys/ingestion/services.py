"""Writes of response ingestion: submit a response, process it once, sweep what was not processed.

A response row is its own outbox: it is committed first (2xx only after commit), follow-up work is enqueued on
commit, and `processed_at IS NULL` marks what still has to run. If the broker is down the enqueue is skipped and
the periodic sweep picks the response up later, so an outage delays work but loses nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Organization
from core.rawrows import execute_prepared
from core.tasks import enqueue_coalesced
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.idempotency import fingerprints_conflict
from surveys.ingestion.errors import (
    IdempotencyConflict,
    IdempotencyKeyTooLong,
    InvitationExpired,
    InvitationUsed,
    SubmissionMismatch,
)
from surveys.ingestion.validation import clean_answers
from surveys.models import Answer, Invitation, Response, Survey, SurveyVersion
from surveys.public.selectors import published_questions
from surveys.signals import response_processed, responses_processed

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_MAX_LENGTH = 100


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


class _KeyTaken(Exception):
    pass


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
    idempotency_fingerprint: str = "",
) -> tuple[Response, bool]:
    """Validate and store one response with its answers; return (response, created).

    A repeated `idempotency_key` returns the stored response with created=False: the unique constraint decides,
    also when two requests race. The key's `idempotency_fingerprint` (surveys.idempotency.payload_fingerprint) is
    stored with it: the same key with another payload raises IdempotencyConflict. Raises AnswerValidationError,
    InvitationUsed, InvitationExpired, SubmissionMismatch, IdempotencyKeyTooLong; nothing is written then.
    """
    idempotency_key = (idempotency_key or "").strip() or None
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        # Refused, never cut: two keys cut to the same prefix would make a new response look like a retry.
        raise IdempotencyKeyTooLong()
    # No look-up of the key first: a retry is the rare case, and the unique constraint answers it anyway (below).
    _check_belongs(
        organization=organization,
        survey=survey,
        version=version,
        touchpoint=touchpoint,
        customer=customer,
        invitation=invitation,
    )
    cleaned = clean_answers(published_questions(version), answers, customer_survey=survey.is_customer_survey)
    if invitation is not None:
        touchpoint = touchpoint or invitation.touchpoint
        customer = customer or invitation.customer
        language = language or invitation.language
    now = timezone.now()
    submitted_at = submitted_at or now
    if timezone.is_naive(submitted_at):
        submitted_at = timezone.make_aware(submitted_at, organization.zone)
    # Answer.submitted_on is the organization's calendar day (imports use the same rule).
    submitted_on = submitted_at.astimezone(organization.zone).date()
    response = Response(
        organization=organization,
        survey=survey,
        version=version,
        touchpoint=touchpoint,
        customer=customer,
        invitation=invitation,
        journey_id=touchpoint.journey_id if touchpoint is not None else survey.journey_id,
        language=(language or "")[:8],
        channel=channel or "",
        source=source,
        submitted_at=submitted_at,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=idempotency_fingerprint if idempotency_key else "",
        processed_at=None,
        created_at=now,
    )
    try:
        if invitation is not None:
            with transaction.atomic():
                _claim_invitation(invitation=invitation, now=now)
                answer_ids = _insert_response(response, cleaned, submitted_on)
                if answer_ids is None:
                    raise _KeyTaken  # roll the claim back: this request stores nothing
        else:
            # One statement in autocommit mode: a transaction of its own, one round trip.
            answer_ids = _insert_response(response, cleaned, submitted_on)
    except (IntegrityError, InvitationUsed, _KeyTaken):
        answer_ids = None
        if not idempotency_key:
            raise
    if answer_ids is None:
        # The key was used before (or a concurrent request with it committed first): that response is the answer.
        existing = (
            _existing_response(organization=organization, idempotency_key=idempotency_key) if idempotency_key else None
        )
        if existing is None:
            raise InvitationUsed() if invitation is not None else IntegrityError("response not stored")
        if fingerprints_conflict(existing.idempotency_fingerprint, idempotency_fingerprint):
            raise IdempotencyConflict()
        return existing, False
    answers_created = [
        _saved(
            Answer(
                id=pk,
                organization=organization,
                response=response,
                question=a.question,
                touchpoint=touchpoint,
                customer=customer,
                submitted_on=submitted_on,
                metric=a.metric,
                value=a.value,
                text=a.text,
                choices=a.choices,
            )
        )
        for pk, a in zip(answer_ids, cleaned, strict=True)
    ]
    _hand_over_answers(response, answers_created)
    transaction.on_commit(partial(response_enqueue_processing, response_id=response.pk))
    return response, True


def _saved(instance):
    """Mark a row inserted by hand as saved, as Model.save does after its INSERT."""
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def _hand_over_answers(response: Response, answers: list[Answer]) -> None:
    """Give the new response its answers as prefetch_related would, so the caller shows them without a query.

    Kept for speed: read back with prefetch_related_objects, an API submission costs 2.3 -> 3.4 ms Django + 0.7 ->
    1.3 ms PostgreSQL CPU (bench_submissions --in-process 1000, spot "prefetch", 2026-12-07).
    """
    prefetched: Any = response.answers.all()  # Django's own prefetch attributes, which the stubs do not declare
    prefetched._result_cache, prefetched._prefetch_done = answers, True
    response._prefetched_objects_cache = {"answers": prefetched}  # type: ignore[attr-defined]


_INSERT_RESPONSE = f"""
WITH r AS (
    INSERT INTO {Response._meta.db_table} (organization_id, survey_id, version_id, touchpoint_id, journey_id,
        customer_id, invitation_id, language, channel, source, submitted_at, idempotency_key,
        idempotency_fingerprint, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING id
), a AS (
    INSERT INTO {Answer._meta.db_table} (organization_id, response_id, question_id, touchpoint_id, submitted_on,
        metric, value, text, choices, customer_id)
    SELECT %s, r.id, v.question_id, %s, %s::date, v.metric, v.value, v.text, v.choices::jsonb, %s::bigint
    FROM r CROSS JOIN unnest(%s::bigint[], %s::text[], %s::float8[], %s::text[], %s::text[])
        WITH ORDINALITY AS v(question_id, metric, value, text, choices, n)
    ORDER BY v.n
    RETURNING id, question_id
)
SELECT r.id, (SELECT array_agg(a.question_id) FROM a), (SELECT array_agg(a.id) FROM a) FROM r
"""  # noqa: S608 (table names from the models, values as parameters)


def _insert_response(response: Response, cleaned: list, submitted_on: dt.date) -> list[int] | None:
    """Insert the response and its answers; None when its idempotency key is taken (nothing is written then).

    Sets response.pk and returns the answers' ids in the order of `cleaned`. On PostgreSQL this is one statement
    (one round trip, its own transaction in autocommit mode) that goes round the ORM: it is the platform's hottest
    write. Kept for speed: as save() + bulk_create() (_insert_response_orm) a submission costs 1.8-2.3 -> 3.4-3.5 ms
    Django + 0.5-0.7 -> 1.1-1.2 ms PostgreSQL CPU (bench_submissions --in-process 1000, spot "insert", 2026-12-07).
    """
    r = response
    if connection.vendor != "postgresql":
        return _insert_response_orm(response, cleaned, submitted_on)
    params = [
        r.organization_id, r.survey_id, r.version_id, r.touchpoint_id, r.journey_id, r.customer_id,
        r.invitation_id, r.language, r.channel, r.source, r.submitted_at, r.idempotency_key,
        r.idempotency_fingerprint, r.created_at,
        r.organization_id, r.touchpoint_id, submitted_on, r.customer_id,
        [a.question.pk for a in cleaned],
        [a.metric for a in cleaned],
        [a.value for a in cleaned],
        [a.text for a in cleaned],
        [json.dumps(a.choices) for a in cleaned],
    ]  # fmt: skip
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cx_insert_response", _INSERT_RESPONSE, params)
        row = cursor.fetchone()
    if row is None:
        return None
    r.pk = row[0]
    _saved(r)
    ids = dict(zip(row[1] or [], row[2] or [], strict=True))
    return [ids[a.question.pk] for a in cleaned]


def _insert_response_orm(response: Response, cleaned: list, submitted_on: dt.date) -> list[int] | None:
    """The same through the ORM, for SQLite (the embedded demo default)."""
    if response.idempotency_key and _existing_response(
        organization=response.organization, idempotency_key=response.idempotency_key
    ):
        return None
    with transaction.atomic():
        response.save(force_insert=True)
        created = Answer.objects.bulk_create(
            Answer(
                organization_id=response.organization_id,
                response=response,
                question=a.question,
                touchpoint_id=response.touchpoint_id,
                submitted_on=submitted_on,
                metric=a.metric,
                value=a.value,
                text=a.text,
                choices=a.choices,
            )
            for a in cleaned
        )
    return [a.pk for a in created]


# Follow-up work is not queued once per response: under load that publish was a tenth of a submission's CPU.
# After a commit, a process schedules one drain task KICK_DELAY_SECONDS ahead, unless one it scheduled earlier will
# still start after this commit; the drain processes every unprocessed response (SKIP LOCKED, in batches). So at
# most a few publishes a second per process, and a response is followed up within about half a second.
KICK_DELAY_SECONDS = 0.25
KICK_MARGIN_SECONDS = 0.05
KICK_KEY = "surveys:process-pending:scheduled"
# A batch is one claim, one `responses_processed` signal (a few set-based statements in the receivers) and one
# commit, whatever its size: large batches make the follow-up of an import about as fast as the import.
FOLLOW_UP_BATCH_SIZE = 5000
# A run gives up after this many responses whose follow-up fails on its own (they stay for the next sweep): a
# broken receiver must not make every run retry the whole backlog row by row.
MAX_FAILED_PER_RUN = 50


def response_enqueue_processing(*, response_id: int) -> bool:
    """Make sure the follow-up of a committed response will run; never raise (a broker outage must not fail it).

    Eager mode (demo, tests) processes this response in-process at once; otherwise the drain is coalesced in this
    process's memory (no I/O on the hot path) for as long as the one scheduled earlier has not started.
    """
    from surveys.ingestion.tasks import process_pending, process_response

    if process_response.app.conf.task_always_eager:
        return enqueue_coalesced(process_response, args=(response_id,), after_commit=False)
    return enqueue_coalesced(
        process_pending,
        KICK_KEY,
        countdown=KICK_DELAY_SECONDS,
        window=KICK_DELAY_SECONDS - KICK_MARGIN_SECONDS,
        shared=False,
        after_commit=False,
    )


def responses_follow_up_kick() -> bool:
    """Make sure every unprocessed response (e.g. a chunk an import just committed) is followed up soon.

    Call it after the commit. Eager mode (demo, tests) runs the drain in-process at once, until nothing committed
    before the call is left; otherwise one drain task is queued. Never raises: the periodic sweep catches whatever
    a lost kick leaves.
    """
    from surveys.ingestion.tasks import process_pending

    return enqueue_coalesced(process_pending, after_commit=False)


def response_process(*, response_id: int) -> bool:
    """Run the follow-up work of one response once: claim it, tell the receivers, commit together.

    Returns False when it was already processed (or does not exist). If a receiver raises, the claim is rolled
    back and the sweep tries again later.
    """
    with transaction.atomic():
        claimed = _claim_batch(ids=[response_id])
        if not claimed:
            return False
        _follow_up(claimed)
    return True


def _id_filter(ids: list[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _claim_batch(
    *,
    older_than: dt.datetime | None = None,
    limit: int | None = None,
    ids: list[int] | None = None,
    exclude: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[int, int]]:
    """Claim unprocessed responses in one statement: set their processed_at and return (id, organization_id).

    The oldest first (up to `limit`, created before `older_than`), or those of `ids` still unprocessed. SKIP
    LOCKED: two drains (or a drain and the sweep) never wait on or take the same rows. The caller's transaction
    holds the claim: if its follow-up fails, the rollback leaves the rows unprocessed.
    """
    where, params = ["processed_at IS NULL"], []
    if ids is not None:
        if not ids:
            return []
        sql, values = _id_filter(ids)
        where.append(f"id {sql}")
        params += values
    if older_than is not None:
        where.append("created_at < %s")
        params.append(connection.ops.adapt_datetimefield_value(older_than))
    if exclude:
        sql, values = _id_filter(sorted(exclude))
        where.append(f"NOT (id {sql})")
        params += values
    # The oldest first, read in order from the partial index of unprocessed responses.
    order = " ORDER BY created_at" if ids is None else ""
    if limit:
        order += " LIMIT %s"
        params.append(limit)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    table = Response._meta.db_table
    statement = (
        f"UPDATE {table} SET processed_at = %s WHERE id IN "  # noqa: S608 (table name from the model)
        f"(SELECT id FROM {table} WHERE {' AND '.join(where)}{order}{lock}) RETURNING id, organization_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [connection.ops.adapt_datetimefield_value(timezone.now()), *params])
        return cursor.fetchall()


def _follow_up(claimed: list[tuple[int, int]]) -> None:
    """Tell the receivers about a claimed batch (inside the claiming transaction)."""
    ids = sorted(pk for pk, _org in claimed)
    organization_ids = sorted({org for _pk, org in claimed})
    responses_processed.send(sender=Response, organization_ids=organization_ids, response_ids=ids)
    if not response_processed.has_listeners(Response):
        return  # nobody wants the rows one by one: they are not even loaded
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for response in (
            Response.objects.filter(pk__in=chunk).select_related("survey", "touchpoint", "customer").order_by("pk")
        ):
            response_processed.notify(sender=Response, response=response)


def _follow_up_in_parts(ids: list[int], failed: set[int]) -> int:
    """Follow up the ids of a failed batch in halves, down to single rows; a row that fails alone is skipped."""
    done = 0
    middle = len(ids) // 2
    for part in (ids[:middle], ids[middle:]):
        if not part or len(failed) >= MAX_FAILED_PER_RUN:
            continue
        try:
            with transaction.atomic():
                claimed = _claim_batch(ids=part)
                if claimed:
                    _follow_up(claimed)
            done += len(claimed)
        except Exception:
            if len(part) > 1:
                done += _follow_up_in_parts(part, failed)
            else:
                failed.add(part[0])
                logger.exception("Follow-up of response %s failed; it stays unprocessed.", part[0])
    return done


def responses_sweep_unprocessed(
    *, min_age_seconds: float = 60, batch_size: int = FOLLOW_UP_BATCH_SIZE, time_budget_seconds: float | None = 45
) -> int:
    """Follow up unprocessed responses (the drain after submissions, imports, what a lost task left), in batches.

    Each batch is one transaction: claimed with one statement (SKIP LOCKED, processed_at set), followed up with one
    `responses_processed` signal, committed. A batch whose follow-up fails is retried in halves down to single rows,
    so one bad response does not hold the others back. Runs until no response created more than `min_age_seconds`
    before the call is left, or `time_budget_seconds` (None: no limit; the work is still bounded, as responses
    created after the call are not taken). Returns how many responses were processed.
    """
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    older_than = timezone.now() - dt.timedelta(seconds=min_age_seconds)
    done = 0
    failed: set[int] = set()
    while deadline is None or time.monotonic() < deadline:
        claimed: list[tuple[int, int]] = []
        try:
            with transaction.atomic():
                claimed = _claim_batch(older_than=older_than, limit=batch_size, exclude=failed)
                if claimed:
                    _follow_up(claimed)
        except Exception:
            if not claimed:
                raise  # the claim itself failed (the database): nothing to retry here
            logger.exception("Follow-up of a batch of %s responses failed; retrying it in parts.", len(claimed))
            done += _follow_up_in_parts(sorted(pk for pk, _org in claimed), failed)
            if len(failed) >= MAX_FAILED_PER_RUN:
                logger.error("%s responses failed their follow-up; the rest waits for the next sweep.", len(failed))
                break
            continue
        done += len(claimed)
        if len(claimed) < batch_size:
            break  # nothing more to claim (rows other drains hold are theirs)
    return done
