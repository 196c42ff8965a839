"""SQL text for the rollup tables: one GROUP BY over the answers table per rollup table.

Works on PostgreSQL and SQLite (>= 3.35: RETURNING, upsert, aggregate FILTER). Identifiers come from model
metadata and constants here, never from input; values always go through query parameters.
"""

# SQL is assembled from model table names and constants of this package; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Customer
from kpis.models import NPS_METRIC, DirtyRollup, JourneyRollup, RelationshipRollup, Rollup, SegmentRollup
from surveys.models import Answer, Response, Survey

ANSWER = Answer._meta.db_table
RESPONSE = Response._meta.db_table
SURVEY = Survey._meta.db_table
# Responses of relationship surveys (customers only: employee and leadership surveys are other kinds).
RELATIONSHIP_SURVEYS = f"(SELECT s.id FROM {SURVEY} s WHERE s.kind = '{Survey.Kind.RELATIONSHIP.value}')"
CUSTOMER = Customer._meta.db_table
DIRTY = DirtyRollup._meta.db_table

STAT_COLUMNS = ["n", "promoters", "passives", "detractors", "total", "total_sq"] + [f"c{i}" for i in range(11)]

# Every statistic is additive, so any period's figure is a SUM over rollup rows. NPS bands only for the NPS metric.
STAT_EXPRESSIONS = [
    "COUNT(*)",
    f"COUNT(*) FILTER (WHERE a.metric = '{NPS_METRIC}' AND a.value >= 9)",
    f"COUNT(*) FILTER (WHERE a.metric = '{NPS_METRIC}' AND a.value >= 7 AND a.value < 9)",
    f"COUNT(*) FILTER (WHERE a.metric = '{NPS_METRIC}' AND a.value < 7)",
    "SUM(a.value)",
    "SUM(a.value * a.value)",
] + [f"COUNT(*) FILTER (WHERE a.value = {i})" for i in range(11)]

# What counts as a scored answer: a numeric value under a metric code (free text and choices have neither).
SCORED = "a.value IS NOT NULL AND a.metric <> ''"

# The answer columns any rollup reads (keys, statistics, the response to join); see `Answer.Meta.indexes`.
LATERAL_COLUMNS = "a.organization_id, a.response_id, a.customer_id, a.touchpoint_id, a.submitted_on, a.metric, a.value"


@dataclass(frozen=True)
class RollupTable:
    """How one rollup table is computed from the answers."""

    name: str  # short name used in reports
    table: str
    key_column: str  # touchpoint_id or journey_id
    dirty_kind: str  # DirtyRollup.Kind of the keys that invalidate it
    joins: str  # joins after the answers (aliased a)
    key_expr: str  # expression of the key in the source
    where: str  # which answers belong to this table
    # How the answers of one key are found by index (k = the keys CTE); the rest of the key goes in WHERE.
    key_lookup: str = "a.touchpoint_id = k.key_id AND a.submitted_on = k.day"
    dim_columns: tuple[str, ...] = ()
    dim_exprs: tuple[str, ...] = ()

    @property
    def key_columns(self) -> list[str]:
        return [self.key_column, "day", "metric", *self.dim_columns]

    @property
    def _leads_with_org(self) -> bool:
        """Every table starts with organization_id, unless the organization is the key itself (relationship)."""
        return self.key_column != "organization_id"

    @property
    def columns(self) -> list[str]:
        return [*(["organization_id"] if self._leads_with_org else []), *self.key_columns, *STAT_COLUMNS]

    def select(self, *, keys_join: str | None = None, org_filter: bool = False) -> str:
        """The GROUP BY producing this table's rows, over all answers, one organization's, or those of `keys`.

        keys_join: None (all answers), "lateral" (PostgreSQL: an index lookup per key, so the cost follows the
        number of keys and not the size of the table; a plain join lets the planner pick a full scan) or "join".
        """
        lead = ["a.organization_id"] if self._leads_with_org else []
        group = [*lead, self.key_expr, "a.submitted_on", "a.metric", *self.dim_exprs]
        # Aliased with the table's column names so the same SELECT can also fill a temporary table.
        named = [f"{expr} AS {col}" for expr, col in zip(group + STAT_EXPRESSIONS, self.columns, strict=True)]
        where = f"{SCORED} AND {self.where}"
        if keys_join == "lateral":
            # OFFSET 0 keeps the planner from flattening the subquery back into a join it may run as a full scan.
            # Only the columns the rollups read: they are all in the covering answer index, so the answers of a
            # key come from an index-only scan instead of one heap visit each.
            lateral = f"(SELECT {LATERAL_COLUMNS} FROM {ANSWER} a WHERE {self.key_lookup} OFFSET 0)"
            source = f"keys k CROSS JOIN LATERAL {lateral} a{self.joins}"
            where += f" AND {self.key_expr} = k.key_id"
        elif keys_join:
            source = f"{ANSWER} a{self.joins} JOIN keys k ON k.key_id = {self.key_expr} AND k.day = a.submitted_on"
        else:
            source = f"{ANSWER} a{self.joins}"
        if org_filter:
            where += " AND a.organization_id = %s"
        return f"SELECT {', '.join(named)} FROM {source} WHERE {where} GROUP BY {', '.join(group)}"

    def upsert_suffix(self) -> str:
        updates = ", ".join(f"{c} = excluded.{c}" for c in ["organization_id", *STAT_COLUMNS])
        return f" ON CONFLICT ({', '.join(self.key_columns)}) DO UPDATE SET {updates}"

    def insert_from(self, select_sql: str) -> str:
        return f"INSERT INTO {self.table} ({', '.join(self.columns)}) {select_sql}{self.upsert_suffix()}"

    def delete_for_keys(self, vendor: str) -> str:
        if vendor == "postgresql":
            # A join the planner drives from the few keys through the unique index.
            return f"DELETE FROM {self.table} t USING keys k WHERE t.{self.key_column} = k.key_id AND t.day = k.day"
        return (
            f"DELETE FROM {self.table} WHERE EXISTS (SELECT 1 FROM keys k "
            f"WHERE k.key_id = {self.table}.{self.key_column} AND k.day = {self.table}.day)"
        )


TOUCHPOINT = RollupTable(
    name="touchpoint",
    table=Rollup._meta.db_table,
    key_column="touchpoint_id",
    dirty_kind=DirtyRollup.Kind.TOUCHPOINT,
    joins="",
    key_expr="a.touchpoint_id",
    where="a.touchpoint_id IS NOT NULL",
)

SEGMENT = RollupTable(
    name="segment",
    table=SegmentRollup._meta.db_table,
    key_column="touchpoint_id",
    dirty_kind=DirtyRollup.Kind.TOUCHPOINT,
    # The answer carries its response's customer: no visit to the responses.
    joins=f" LEFT JOIN {CUSTOMER} c ON c.id = a.customer_id",
    key_expr="a.touchpoint_id",
    where="a.touchpoint_id IS NOT NULL",
    dim_columns=("segment", "persona_key"),
    dim_exprs=("COALESCE(c.segment, '')", "COALESCE(c.persona_id, 0)"),
)

# Journey surveys: answers without a touchpoint whose response names a journey.
JOURNEY = RollupTable(
    name="journey",
    table=JourneyRollup._meta.db_table,
    key_column="journey_id",
    dirty_kind=DirtyRollup.Kind.JOURNEY,
    joins=f" JOIN {RESPONSE} r ON r.id = a.response_id",
    key_expr="r.journey_id",
    where="a.touchpoint_id IS NULL AND r.journey_id IS NOT NULL",
    key_lookup="a.touchpoint_id IS NULL AND a.submitted_on = k.day",
)

# Relationship surveys: answers with neither a touchpoint nor a journey, of relationship surveys only, per
# organization (the key) and day.
RELATIONSHIP = RollupTable(
    name="relationship",
    table=RelationshipRollup._meta.db_table,
    key_column="organization_id",
    dirty_kind=DirtyRollup.Kind.RELATIONSHIP,
    joins=f" JOIN {RESPONSE} r ON r.id = a.response_id",
    key_expr="a.organization_id",
    where=f"a.touchpoint_id IS NULL AND r.journey_id IS NULL AND r.survey_id IN {RELATIONSHIP_SURVEYS}",
    # The organization is in the covering answer index: other organizations' answers of the day are skipped there.
    key_lookup="a.touchpoint_id IS NULL AND a.submitted_on = k.day AND a.organization_id = k.key_id",
)

TABLES = (TOUCHPOINT, SEGMENT, JOURNEY, RELATIONSHIP)


def touchpoint_from_segments() -> str:
    """Touchpoint rows of the `keys` as sums of their (just recomputed) segment slices.

    Every statistic is additive and the slices partition a touchpoint-day's answers, so this equals the GROUP BY
    over the answers while reading a few hundred slice rows instead of the answers a second time. The nightly
    reconciliation still checks both tables against the answers independently.
    """
    stats = ", ".join(f"SUM(s.{c}) AS {c}" for c in STAT_COLUMNS)
    return (
        f"SELECT s.organization_id, s.touchpoint_id, s.day, s.metric, {stats} "
        f"FROM {SEGMENT.table} s JOIN keys k ON s.touchpoint_id = k.key_id AND s.day = k.day "
        f"WHERE true GROUP BY s.organization_id, s.touchpoint_id, s.day, s.metric"
    )


def keys_cte(vendor: str, keys: list[tuple[int, str]]) -> tuple[str, list]:
    """A `keys(key_id, day)` CTE over the given keys, as SQL and parameters."""
    if vendor == "postgresql":
        ids = [k for k, _ in keys]
        days = [d for _, d in keys]
        return "WITH keys(key_id, day) AS (SELECT * FROM unnest(%s::bigint[], %s::date[])) ", [ids, days]
    values = ", ".join(["(%s, %s)"] * len(keys))
    params = [p for key in keys for p in key]
    return f"WITH keys(key_id, day) AS (VALUES {values}) ", params


# Marks every (touchpoint, journey or organization, day) a response's answers touch. Touchpoint answers carry their
# key; only answers without a touchpoint need their response: its journey (a journey survey) or, without one, its
# organization if it is a relationship survey. The answers are read once, by response id (a CTE): asked separately
# for "no touchpoint", the planner would scan every journey answer in the index.
def mark_response_sql(vendor: str) -> str:
    materialized = "MATERIALIZED " if vendor == "postgresql" else ""
    return (
        f"WITH ra AS {materialized}(SELECT a.organization_id, a.response_id, a.touchpoint_id, a.submitted_on "
        f"FROM {ANSWER} a WHERE a.response_id {{ids}}) "
        f"INSERT INTO {DIRTY} (organization_id, kind, key_id, day) "
        f"SELECT DISTINCT ra.organization_id, 't', ra.touchpoint_id, ra.submitted_on FROM ra "
        f"WHERE ra.touchpoint_id IS NOT NULL "
        f"UNION "
        f"SELECT DISTINCT ra.organization_id, CASE WHEN r.journey_id IS NULL THEN 'r' ELSE 'j' END, "
        f"COALESCE(r.journey_id, ra.organization_id), ra.submitted_on "
        f"FROM ra JOIN {RESPONSE} r ON r.id = ra.response_id "
        f"WHERE ra.touchpoint_id IS NULL AND (r.journey_id IS NOT NULL OR r.survey_id IN {RELATIONSHIP_SURVEYS}) "
        f"ON CONFLICT (kind, key_id, day) DO NOTHING"
    )


# The dirty kind of an answer `a` of response `r` (its key: COALESCE(a.touchpoint_id, r.journey_id, a.organization_id)).
KIND_OF_ANSWER = "CASE WHEN a.touchpoint_id IS NOT NULL THEN 't' WHEN r.journey_id IS NOT NULL THEN 'j' ELSE 'r' END"

MARK_ANSWER = (
    f"INSERT INTO {DIRTY} (organization_id, kind, key_id, day) "
    f"SELECT a.organization_id, {KIND_OF_ANSWER}, "
    f"COALESCE(a.touchpoint_id, r.journey_id, a.organization_id), a.submitted_on "
    f"FROM {ANSWER} a JOIN {RESPONSE} r ON r.id = a.response_id "
    f"WHERE a.id = %s AND (a.touchpoint_id IS NOT NULL OR r.journey_id IS NOT NULL "
    f"OR r.survey_id IN {RELATIONSHIP_SURVEYS}) "
    f"ON CONFLICT (kind, key_id, day) DO NOTHING"
)

MARK_CUSTOMERS = (
    f"INSERT INTO {DIRTY} (organization_id, kind, key_id, day) "
    f"SELECT DISTINCT a.organization_id, 't', a.touchpoint_id, a.submitted_on "
    f"FROM {ANSWER} a JOIN {RESPONSE} r ON r.id = a.response_id "
    f"WHERE r.customer_id {{ids}} AND a.touchpoint_id IS NOT NULL "
    f"ON CONFLICT (kind, key_id, day) DO NOTHING"
)


def claim_sql(vendor: str) -> str:
    """Delete (claim) up to %s dirty keys and return them; SKIP LOCKED lets several workers claim disjoint sets."""
    lock = " FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    return (
        f"DELETE FROM {DIRTY} WHERE id IN (SELECT id FROM {DIRTY} ORDER BY id LIMIT %s{lock}) "
        f"RETURNING kind, key_id, day"
    )


def clear_dirty_sql(vendor: str, *, by_org: bool) -> str:
    lock = " FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    where = " WHERE organization_id = %s" if by_org else ""
    return f"DELETE FROM {DIRTY} WHERE id IN (SELECT id FROM {DIRTY}{where}{lock})"


def id_filter(vendor: str, ids: list[int], *, superset_ok: bool = False) -> tuple[str, list]:
    """`= ANY(array)` on PostgreSQL (one parameter however many ids), `IN (...)` elsewhere.

    superset_ok: the caller may match ids beyond the given ones (marking a key dirty twice is harmless), so ids that
    fill at least half of their span become `BETWEEN min AND max`: one index range scan instead of one descent per
    id (a batch of 10,000 fresh responses: 4 ms instead of 22 ms).
    """
    if vendor == "postgresql":
        if superset_ok and ids and max(ids) - min(ids) + 1 <= 2 * len(ids):
            return "BETWEEN %s AND %s", [min(ids), max(ids)]
        return "= ANY(%s)", [ids]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)
