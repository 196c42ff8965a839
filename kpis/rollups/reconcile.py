"""Nightly reconciliation: recompute every rollup table into a temporary table and compare with the stored rows.

Differences are reported per organization (a `Reconciliation` row each) and fixed by marking the keys dirty and
running the incremental aggregation, which recomputes them from the current source rows (fixing from the temporary
table could overwrite a newer figure). Keys still waiting for aggregation (dirty, or with answers of responses not
yet processed) are left out of the comparison: they differ on purpose, for a moment.
"""

# SQL is assembled from model table names and constants of this package; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organization
from kpis.models import Reconciliation
from kpis.rollups import sql
from kpis.rollups.aggregation import aggregate_dirty, mark_dirty_for_responses, mark_dirty_keys

SAMPLE = 20
PENDING = "kpis_recon_pending"


@dataclass(frozen=True)
class Difference:
    organization_id: int
    table: str
    kind: str
    key_id: int
    day: str
    metric: str
    dims: tuple
    stored_n: int | None
    fresh_n: int | None


def _differs(stored: str, fresh: str) -> str:
    ints = [c for c in sql.STAT_COLUMNS if c not in ("total", "total_sq")]
    parts = [f"{stored}.{c} <> {fresh}.{c}" for c in ints]
    # Sums of floats may differ in the last bits when added in another order.
    parts += [f"ABS({stored}.{c} - {fresh}.{c}) > 1e-6 * (1 + ABS({fresh}.{c}))" for c in ("total", "total_sq")]
    return "(" + " OR ".join(parts) + ")"


def _pending_sql() -> str:
    return (
        f"CREATE TEMP TABLE {PENDING} AS "
        f"SELECT kind, key_id, day FROM {sql.DIRTY} "
        f"UNION SELECT {sql.KIND_OF_ANSWER}, COALESCE(a.touchpoint_id, r.journey_id, a.organization_id), "
        f"a.submitted_on "
        f"FROM {sql.RESPONSE} r JOIN {sql.ANSWER} a ON a.response_id = r.id WHERE r.processed_at IS NULL"
    )


def _compare(cursor, table: sql.RollupTable) -> tuple[list[Difference], dict[int, int]]:
    tmp = f"kpis_recon_{table.name}"
    cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
    cursor.execute(f"CREATE TEMP TABLE {tmp} AS {table.select()}")
    cursor.execute(f"SELECT organization_id, COUNT(*) FROM {tmp} GROUP BY organization_id")
    checked = dict(cursor.fetchall())
    match = " AND ".join(f"s.{c} = f.{c}" for c in table.key_columns)
    not_pending = (
        f"NOT EXISTS (SELECT 1 FROM {PENDING} p WHERE p.kind = '{table.dirty_kind}' "
        f"AND p.key_id = {{alias}}.{table.key_column} AND p.day = {{alias}}.day)"
    )
    dims = "".join(f", {{alias}}.{c}" for c in table.dim_columns)
    key = f"{{alias}}.{table.key_column}, {{alias}}.day, {{alias}}.metric{dims}"
    cursor.execute(
        f"SELECT f.organization_id, {key.format(alias='f')}, s.n, f.n FROM {tmp} f "
        f"LEFT JOIN {table.table} s ON {match} "
        f"WHERE (s.id IS NULL OR {_differs('s', 'f')}) AND {not_pending.format(alias='f')} "
        f"UNION ALL "
        f"SELECT s.organization_id, {key.format(alias='s')}, s.n, NULL FROM {table.table} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {tmp} f WHERE {match}) AND {not_pending.format(alias='s')}"
    )
    diffs = [
        Difference(
            organization_id=row[0],
            table=table.name,
            kind=table.dirty_kind,
            key_id=row[1],
            day=str(row[2]),
            metric=row[3],
            dims=tuple(row[4 : 4 + len(table.dim_columns)]),
            stored_n=row[-2],
            fresh_n=row[-1],
        )
        for row in cursor.fetchall()
    ]
    cursor.execute(f"DROP TABLE {tmp}")
    return diffs, checked


def find_differences() -> tuple[list[Difference], dict[int, int]]:
    """All rollup rows that differ from a fresh recompute, and the rows checked per organization."""
    diffs: list[Difference] = []
    checked: dict[int, int] = defaultdict(int)
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not outer:
            # One snapshot for the recompute and the comparison: otherwise a commit in between looks like an error.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute(f"DROP TABLE IF EXISTS {PENDING}")
        cursor.execute(_pending_sql())
        for table in sql.TABLES:
            table_diffs, table_checked = _compare(cursor, table)
            diffs += table_diffs
            for org_id, count in table_checked.items():
                checked[org_id] += count
        cursor.execute(f"DROP TABLE {PENDING}")
    return diffs, dict(checked)


def repair_answer_customers() -> int:
    """Answers whose copy of the customer differs from their response's (written round the ORM): set it right and
    mark their keys dirty. Returns how many responses had such answers."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {sql.ANSWER} a SET customer_id = r.customer_id FROM {sql.RESPONSE} r "
                f"WHERE r.id = a.response_id AND a.customer_id IS DISTINCT FROM r.customer_id "
                f"RETURNING a.response_id"
            )
        else:
            cursor.execute(
                f"UPDATE {sql.ANSWER} SET customer_id = (SELECT r.customer_id FROM {sql.RESPONSE} r "
                f"WHERE r.id = {sql.ANSWER}.response_id) WHERE customer_id IS NOT (SELECT r.customer_id "
                f"FROM {sql.RESPONSE} r WHERE r.id = {sql.ANSWER}.response_id) RETURNING response_id"
            )
        response_ids = sorted({row[0] for row in cursor.fetchall()})
        if response_ids:
            mark_dirty_for_responses(response_ids)
    return len(response_ids)


def reconcile_rollups(*, fix: bool = True) -> list[Reconciliation]:
    """Compare, fix (optionally) and record one `Reconciliation` per organization."""
    started = timezone.now()
    if fix:
        repair_answer_customers()
    aggregate_dirty()  # what is merely waiting is not a difference
    diffs, checked = find_differences()
    by_org: dict[int, list[Difference]] = defaultdict(list)
    for diff in diffs:
        by_org[diff.organization_id].append(diff)
    fixed: dict[int, int] = {}
    if fix and diffs:
        for org_id, org_diffs in by_org.items():
            for kind in {d.kind for d in org_diffs}:
                keys = {(d.key_id, dt.date.fromisoformat(d.day)) for d in org_diffs if d.kind == kind}
                mark_dirty_keys(organization_id=org_id, kind=kind, keys=keys)
            fixed[org_id] = len(org_diffs)
        aggregate_dirty()
    finished = timezone.now()
    records = [
        Reconciliation(
            organization_id=org_id,
            started_at=started,
            finished_at=finished,
            rows_checked=checked.get(org_id, 0),
            differences=len(by_org.get(org_id, [])),
            fixed=fixed.get(org_id, 0),
            details=[
                {
                    "table": d.table,
                    "key": d.key_id,
                    "day": d.day,
                    "metric": d.metric,
                    "dims": list(d.dims),
                    "stored_n": d.stored_n,
                    "fresh_n": d.fresh_n,
                }
                for d in by_org.get(org_id, [])[:SAMPLE]
            ],
        )
        for org_id in Organization.objects.values_list("pk", flat=True)
    ]
    return Reconciliation.objects.bulk_create(records)
