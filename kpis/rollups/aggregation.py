"""Incremental and full aggregation of the rollup tables.

Incremental: receivers mark (touchpoint or journey, day) keys dirty (an idempotent upsert, one statement per
response); `aggregate_dirty` claims a batch of keys by deleting them (SKIP LOCKED on PostgreSQL) and recomputes
exactly those keys from the source answers in the same transaction, so a crash puts the keys back and two workers
never work on the same key. Recomputing from source (never incrementing) makes every run idempotent.
"""

# SQL is assembled from model table names and constants of this package; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction

from core.tasks import enqueue_coalesced
from kpis.models import DirtyRollup
from kpis.rollups import sql

CLAIM_BATCH = 2000
# SQLite limits the number of parameters per statement; PostgreSQL passes keys as two arrays.
SQLITE_KEY_CHUNK = 400
DEBOUNCE_KEY = "kpis:aggregate-dirty:queued"
DEBOUNCE_SECONDS = 5
DEBOUNCE_TIMEOUT = 120
# Planner settings for the recompute statements (PostgreSQL; transaction-local, restored afterwards). The planner
# expects a handful of answers per key (the lateral hides them), so it sorts the segment GROUP BY (tens of thousands
# of answers, six sort keys) where hashing into a few thousand groups is about twice as fast; the recompute
# statements are index lookups per key and need no sort otherwise. The memory keeps the hash table off disk.
RECOMPUTE_SETTINGS = {"enable_sort": "off", "work_mem": "64MB"}


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def mark_dirty_for_responses(response_ids: Iterable[int]) -> None:
    """Mark every key touched by these responses' answers (call inside the transaction that changed them)."""
    # Fresh responses have neighbouring ids: their span is read as one range (any other response in it is marked
    # too, which only recomputes a key once more).
    _mark(sql.mark_response_sql(connection.vendor), list(response_ids), superset_ok=True)


def _mark(statement: str, ids: list[int], *, superset_ok: bool = False) -> None:
    vendor = connection.vendor
    size = max(len(ids), 1) if vendor == "postgresql" else SQLITE_KEY_CHUNK
    with connection.cursor() as cursor:
        for chunk in _chunks(ids, size):
            where, params = sql.id_filter(vendor, chunk, superset_ok=superset_ok)
            cursor.execute(statement.format(ids=where), params * statement.count("{ids}"))


def mark_dirty_for_answer(answer_id: int) -> None:
    """Mark the key an answer row currently has in the database."""
    with connection.cursor() as cursor:
        cursor.execute(sql.MARK_ANSWER, [answer_id])


def mark_dirty_for_customers(customer_ids: Iterable[int]) -> None:
    """A customer's segment or persona changed: their answers' segment slices must be recomputed."""
    _mark(sql.MARK_CUSTOMERS, list(customer_ids))


def clear_answer_customer(customer_id: int) -> None:
    """The customer is being deleted: their answers' copy of the customer goes as the responses' does."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {sql.ANSWER} SET customer_id = NULL WHERE customer_id = %s "
            f"AND response_id IN (SELECT id FROM {sql.RESPONSE} WHERE customer_id = %s)",
            [customer_id, customer_id],
        )


def mark_dirty_keys(*, organization_id: int, kind: str, keys: Iterable[tuple[int, dt.date]]) -> int:
    rows = [DirtyRollup(organization_id=organization_id, kind=kind, key_id=k, day=d) for k, d in keys]
    DirtyRollup.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def mark_dirty_for_range(
    touchpoint_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    *,
    journey_ids: Iterable[int] = (),
    relationship_organization_ids: Iterable[int] = (),
) -> int:
    """Mark every day of [start, end] of these touchpoints (and journeys, and organizations' relationship-survey
    figures) dirty, e.g. after a bulk import."""
    from accounts.models import Organization
    from journeys.models import Journey, Touchpoint

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    marked = 0
    for model, kind, ids in (
        (Touchpoint, DirtyRollup.Kind.TOUCHPOINT, list(touchpoint_ids)),
        (Journey, DirtyRollup.Kind.JOURNEY, list(journey_ids)),
        (Organization, DirtyRollup.Kind.RELATIONSHIP, list(relationship_organization_ids)),
    ):
        org_field = "pk" if model is Organization else "organization_id"  # a relationship key is its organization
        for pk, org_id in model.objects.filter(pk__in=ids).values_list("pk", org_field):
            marked += mark_dirty_keys(organization_id=org_id, kind=kind, keys=((pk, d) for d in days))
    return marked


def schedule_aggregation() -> None:
    """Queue `kpis.aggregate_dirty` once the current transaction commits, at most once per debounce window.

    A run already queued claims these keys too; if the broker is down, the periodic run picks them up.
    """
    from kpis.tasks import aggregate_dirty_task

    enqueue_coalesced(aggregate_dirty_task, DEBOUNCE_KEY, countdown=DEBOUNCE_SECONDS, window=DEBOUNCE_TIMEOUT)


@dataclass
class AggregationResult:
    keys: int = 0
    batches: int = 0
    seconds: float = 0.0
    retries: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def recompute_keys(kind: str, keys: list[tuple[int, dt.date | str]]) -> None:
    """Recompute the rollup rows of these keys from the answers (delete, then one GROUP BY upsert per table)."""
    vendor = connection.vendor
    # Segment slices first: the touchpoint rows are then their sums (one pass over the answers, not two).
    order = (sql.SEGMENT, sql.TOUCHPOINT, sql.JOURNEY, sql.RELATIONSHIP)
    tables = [t for t in order if t.dirty_kind == kind]
    size = len(keys) if vendor == "postgresql" else SQLITE_KEY_CHUNK
    join = "lateral" if vendor == "postgresql" else "join"
    with connection.cursor() as cursor:
        previous = _set_local(cursor, RECOMPUTE_SETTINGS) if vendor == "postgresql" else {}
        for chunk in _chunks(keys, max(size, 1)):
            cte, params = sql.keys_cte(vendor, [(k, str(d)) for k, d in chunk])
            for table in tables:
                cursor.execute(cte + table.delete_for_keys(vendor), params)
                select = sql.touchpoint_from_segments() if table is sql.TOUCHPOINT else table.select(keys_join=join)
                cursor.execute(cte + table.insert_from(select), params)
        if previous:
            _set_local(cursor, previous)


def _set_local(cursor, settings: dict[str, str]) -> dict[str, str]:
    """Set planner settings until the end of the transaction; returns their previous values (to restore them)."""
    previous = {}
    for name, value in settings.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        previous[name] = cursor.fetchone()[0]
    return previous


def _aggregate_batch(batch_size: int) -> dict[str, int]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql.claim_sql(connection.vendor), [batch_size])
            claimed = cursor.fetchall()
        by_kind: dict[str, list[tuple[int, dt.date]]] = {}
        for kind, key_id, day in claimed:
            by_kind.setdefault(kind, []).append((key_id, day))
        for kind, keys in by_kind.items():
            # Sorted keys keep lock order stable between workers.
            recompute_keys(kind, sorted(keys, key=lambda k: (k[0], str(k[1]))))
    return {kind: len(keys) for kind, keys in by_kind.items()}


def aggregate_dirty(*, batch_size: int = CLAIM_BATCH, max_batches: int | None = None) -> AggregationResult:
    """Claim and recompute dirty keys until none are left (or `max_batches` ran). Safe to run concurrently."""
    result = AggregationResult()
    started = time.perf_counter()
    while max_batches is None or result.batches < max_batches:
        try:
            counts = _aggregate_batch(batch_size)
        except OperationalError as exc:
            # A deadlock or serialization failure rolled the batch back (keys are dirty again): retry a few times.
            if result.retries >= 3 or ("deadlock" not in str(exc).lower() and "serializ" not in str(exc).lower()):
                raise
            result.retries += 1
            continue
        claimed = sum(counts.values())
        if not claimed:
            break
        result.batches += 1
        result.keys += claimed
        for kind, count in counts.items():
            result.by_kind[kind] = result.by_kind.get(kind, 0) + count
        if claimed < batch_size:
            break
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class RebuildResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def lock_rollups_for_rebuild(cursor) -> None:
    """Hold incremental writers (they need ROW EXCLUSIVE) while a rebuild or fix replaces rows; readers go on."""
    if connection.vendor == "postgresql":
        tables = ", ".join(t.table for t in sql.TABLES)
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def rebuild_rollups(*, organization_id: int | None = None, tables: Iterable[str] | None = None) -> RebuildResult:
    """Recompute the rollup tables from all answers (of one organization, or all) with one GROUP BY each."""
    wanted = set(tables) if tables else {t.name for t in sql.TABLES}
    result = RebuildResult()
    with transaction.atomic(), connection.cursor() as cursor:
        lock_rollups_for_rebuild(cursor)
        # Keys dirty now are covered by this rebuild; keys a worker holds are skipped (it recomputes them itself).
        cursor.execute(
            sql.clear_dirty_sql(connection.vendor, by_org=organization_id is not None),
            [] if organization_id is None else [organization_id],
        )
        for table in sql.TABLES:
            if table.name not in wanted:
                continue
            started = time.perf_counter()
            select = table.select(org_filter=organization_id is not None)
            params = [] if organization_id is None else [organization_id]
            if connection.vendor == "postgresql":
                # PostgreSQL runs INSERT ... SELECT without parallel workers, but CREATE TABLE AS with them: the
                # GROUP BY over every answer goes into a temporary table first. It is then merged: only rows that
                # differ are written, so rebuilding correct rollups writes (almost) nothing.
                tmp = f"kpis_rebuild_{table.name}"
                cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
                cursor.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS {select}", params)
                rows = cursor.rowcount
                match = " AND ".join(f"t.{c} = {table.table}.{c}" for c in table.key_columns)
                org_only = "" if organization_id is None else " AND organization_id = %s"
                cursor.execute(
                    f"DELETE FROM {table.table} WHERE NOT EXISTS (SELECT 1 FROM {tmp} t WHERE {match}){org_only}",
                    params,
                )
                # The table lock keeps other writers out, so a plain UPDATE of the rows that differ and an INSERT of
                # the missing ones are safe, and cheaper than INSERT ... ON CONFLICT (no speculative insertion).
                values = ["organization_id", *sql.STAT_COLUMNS]
                stored = ", ".join(f"{table.table}.{c}" for c in values)
                fresh = ", ".join(f"t.{c}" for c in values)
                updates = ", ".join(f"{c} = t.{c}" for c in values)
                changed = f"({stored}) IS DISTINCT FROM ({fresh})"
                cursor.execute(f"UPDATE {table.table} SET {updates} FROM {tmp} t WHERE {match} AND {changed}")
                columns = ", ".join(table.columns)
                cursor.execute(
                    f"INSERT INTO {table.table} ({columns}) SELECT {columns} FROM {tmp} t "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {table.table} WHERE {match})"
                )
                result.rows[table.name] = rows
            else:
                cursor.execute(f"DELETE FROM {table.table}{' WHERE organization_id = %s' if params else ''}", params)
                cursor.execute(table.insert_from(select), params)
                result.rows[table.name] = cursor.rowcount
            result.seconds[table.name] = time.perf_counter() - started
    return result
