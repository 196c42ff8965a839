"""Customer experiences as numpy columns: one row per identified customer response, its primary score and whether it
was poor, in (customer, time, response) order.

The compound-failure view needs every identified customer response of 15 months (a million at a large customer), so
nothing here makes a Python object per row. Two reads, one per table, each column as one array:
- responses of customer surveys (never employee or leadership surveys: surveys.Survey.INTERNAL_KINDS) of identified
  customers in [since, until): id, customer, time in milliseconds since the epoch (and the journey when asked);
- answers with a value of identified customers of those days, by metric key: response, value (Answer.submitted_on,
  a copy of the response's day, with two days to spare on each side, only narrows the read; the responses decide).
On PostgreSQL both come as array_agg through a binary COPY (program.synergy.pgarrays; no join on the server: two
scans cost less than hashing a million responses), outside a transaction on two connections at once, the responses
sorted by (customer, time) on their thread while the answers still arrive; elsewhere (the SQLite demo) through the
ORM. Then numpy joins answers to responses (a lookup table of ids) and keeps each response's primary score: the
lowest rank (nps > csat > ces > rating; yes/no and text are no score), then the lowest answer id, read only for the
responses that need it (two answers of the best rank), and bands the scores with core.scales, once per distinct
metric key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from django.db import connections
from django.db.models import BigIntegerField, QuerySet
from django.db.models.functions import Coalesce

from core.scales import CES, CSAT, NPS, RATING, Scale, scale_for_metric
from program.synergy import pgarrays, stats
from surveys.models import Answer, Response, Survey

T = TypeVar("T")
U = TypeVar("U")
CHUNK = 20_000  # rows per fetch on the ORM path
TIE_CHUNK = 5_000  # responses per query when breaking ties
DENSE_FACTOR = 4  # ids spread over at most 4 x their number: found through a lookup table (int32, <= 16 B/id)
# The score a response is read on when it has several: lower rank first, then the lowest answer id.
METRIC_RANK = {NPS: 0, CSAT: 1, CES: 2, RATING: 3}
MS = dt.timedelta(milliseconds=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def metric_rank(metric: str) -> tuple[int, Scale] | None:
    """(rank, scale) of a metric key that can be a response's primary score; None for yes/no and non-scores."""
    scale = scale_for_metric(metric)
    if scale is None or scale.kind not in METRIC_RANK:
        return None
    return METRIC_RANK[scale.kind], scale


def is_poor(scale: Scale, value: float) -> bool:
    """The bad band of the scale: an NPS detractor, else the bottom box(es) (core.scales)."""
    return scale.band(value) == "bad"


def normalised(scale: Scale, value: float) -> float:
    """A score on 0-100 whatever its scale, so NPS, CSAT and ratings can be averaged together."""
    return (value - scale.low) / (scale.high - scale.low) * 100.0


def customer_survey_ids(organization) -> list[int]:
    """The organization's surveys answered by customers (never employee or leadership surveys)."""
    return list(
        Survey.objects.for_org(organization).exclude(kind__in=Survey.INTERNAL_KINDS).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Experiences:
    """One row per identified customer response with a score, in (customer, time, response) order."""

    response_id: np.ndarray  # int64
    customer_id: np.ndarray  # int64
    t_ms: np.ndarray  # int64, milliseconds since 1970-01-01 UTC
    journey_id: np.ndarray | None  # int64, 0 without a journey; None when not read
    value: np.ndarray  # float64, the primary score
    is_nps: np.ndarray  # bool
    poor: np.ndarray  # bool
    normalised: np.ndarray  # float64, the score on 0-100

    def __len__(self) -> int:
        return int(self.response_id.size)

    def customers(self) -> tuple[np.ndarray, np.ndarray]:
        """(the distinct customer ids, ascending; each row's position among them): the rows are sorted by customer,
        so this is one pass."""
        ids = self.customer_id
        if ids.size == 0:
            return ids, np.zeros(0, dtype=np.int64)
        change = np.concatenate(([True], ids[1:] != ids[:-1]))
        return ids[change], np.cumsum(change, dtype=np.int64) - 1


def _responses(organization, since: dt.datetime, until: dt.datetime, survey_ids: list[int]) -> QuerySet:
    return (
        Response.objects.for_org(organization)
        .filter(submitted_at__gte=since, submitted_at__lt=until, survey_id__in=survey_ids, customer_id__isnull=False)
        .order_by()
    )


def _answers(organization, since: dt.datetime, until: dt.datetime) -> QuerySet:
    # The metric key decides in Python whether an answer is a score (yes/no and text have none); only answers with
    # a value can be one.
    margin = dt.timedelta(days=2)
    return (
        Answer.objects.for_org(organization)
        .filter(
            value__isnull=False,
            customer_id__isnull=False,
            submitted_on__gte=since.astimezone(dt.UTC).date() - margin,
            submitted_on__lte=until.astimezone(dt.UTC).date() + margin,
        )
        .order_by()
    )


# -- reading the columns -----------------------------------------------------------------------------------------


def _aggregated(qs: QuerySet, names: list[str], group: str | None = None) -> tuple[str, list]:
    """SELECT [group,] array_agg(name), ... over the queryset's rows: one row (per group), no sort on the server."""
    columns = ([group] if group else []) + names
    sql, params = qs.values_list(*columns).query.sql_with_params()
    aliases = [f"c{i}" for i in range(len(columns))]
    select = (["q.c0"] if group else []) + [f"array_agg(q.{a})" for a in aliases[1 if group else 0 :]]
    tail = " GROUP BY q.c0" if group else ""
    return f"SELECT {', '.join(select)} FROM ({sql}) AS q ({', '.join(aliases)}){tail}", list(params)  # noqa: S608


def _response_columns_copy(qs: QuerySet, journeys: bool) -> dict[str, np.ndarray]:
    names = ["pk", "customer_id", "submitted_at"] + (["journey_or_0"] if journeys else [])
    if journeys:
        qs = qs.annotate(journey_or_0=Coalesce("journey_id", 0, output_field=BigIntegerField()))
    sql, params = _aggregated(qs, names)
    (row,) = pgarrays.copy_rows(sql, params, [pgarrays.ARRAY] * len(names))
    if row[0] is None:  # no row at all
        return _empty_responses(journeys)
    out = {"response_id": row[0], "customer_id": row[1], "t_ms": pgarrays.ms_from_timestamps(row[2])}
    if journeys:
        out["journey_id"] = row[3]
    return out


def _answer_columns_copy(qs: QuerySet) -> tuple[list[str], dict[str, np.ndarray]]:
    sql, params = _aggregated(qs, ["response_id", "value"], group="metric")
    rows = pgarrays.copy_rows(sql, params, [pgarrays.TEXT, pgarrays.ARRAY, pgarrays.ARRAY])
    if not rows:
        return [], _empty_answers()
    return [row[0] for row in rows], {
        "metric": np.repeat(np.arange(len(rows), dtype=np.int32), [row[1].size for row in rows]),
        "response_id": np.concatenate([row[1] for row in rows]),
        "value": np.concatenate([row[2] for row in rows]),
    }


def _empty_answers() -> dict[str, np.ndarray]:
    return {
        "metric": np.zeros(0, dtype=np.int32),
        "response_id": np.zeros(0, dtype=np.int64),
        "value": np.zeros(0, dtype=np.float64),
    }


def _empty_responses(journeys: bool) -> dict[str, np.ndarray]:
    out = {name: np.zeros(0, dtype=np.int64) for name in ("response_id", "customer_id", "t_ms")}
    if journeys:
        out["journey_id"] = np.zeros(0, dtype=np.int64)
    return out


def _response_columns_orm(qs: QuerySet, journeys: bool) -> dict[str, np.ndarray]:
    rows = list(qs.values_list("pk", "customer_id", "submitted_at", "journey_id").iterator(chunk_size=CHUNK))
    if not rows:
        return _empty_responses(journeys)
    ids, customers, moments, journey_ids = zip(*rows, strict=True)
    out = {
        "response_id": np.array(ids, dtype=np.int64),
        "customer_id": np.array(customers, dtype=np.int64),
        # Exact integer arithmetic: floor to the millisecond, as the PostgreSQL path does.
        "t_ms": np.array([(m - EPOCH) // MS for m in moments], dtype=np.int64),
    }
    if journeys:
        out["journey_id"] = np.array([j or 0 for j in journey_ids], dtype=np.int64)
    return out


def _answer_columns_orm(qs: QuerySet) -> tuple[list[str], dict[str, np.ndarray]]:
    rows = list(qs.values_list("metric", "response_id", "value").iterator(chunk_size=CHUNK))
    if not rows:
        return [], _empty_answers()
    metric_keys, response_ids, values = zip(*rows, strict=True)
    metrics = sorted(set(metric_keys))
    code = {m: i for i, m in enumerate(metrics)}
    return metrics, {
        "metric": np.array([code[m] for m in metric_keys], dtype=np.int32),
        "response_id": np.array(response_ids, dtype=np.int64),
        "value": np.array(values, dtype=np.float64),
    }


@dataclass(frozen=True)
class Columns:
    """What the database gave: response columns (in (customer, time, response) order), the distinct metric keys,
    answer columns (metric: position in `metrics`), and how to break a tie (see `lowest_answers`)."""

    responses: dict[str, np.ndarray]
    metrics: list[str]
    answers: dict[str, np.ndarray]
    ties: Callable[[np.ndarray], dict[int, tuple[str, float]]]


def lowest_answers(answers: QuerySet, response_ids: np.ndarray) -> dict[int, tuple[str, float]]:
    """Per response, (metric, value) of its primary answer, read with the answer ids: the tie-break of responses
    with several answers of the best rank (two NPS or two rating questions), rare enough not to read every answer's
    id for it."""
    best: dict[int, tuple[tuple[int, int], str, float]] = {}
    ids = [int(i) for i in response_ids]
    for i in range(0, len(ids), TIE_CHUNK):
        rows = answers.filter(response_id__in=ids[i : i + TIE_CHUNK]).values_list(
            "response_id", "pk", "metric", "value"
        )
        for response_id, pk, metric, value in rows:
            ranked = metric_rank(metric)
            if ranked is not None and (response_id not in best or (ranked[0], pk) < best[response_id][0]):
                best[response_id] = ((ranked[0], pk), metric, value)
    return {response_id: (metric, value) for response_id, (_key, metric, value) in best.items()}


def _concurrently(here: Callable[[], T], there: Callable[[], U], alias: str) -> tuple[T, U]:
    """`there` on a connection of its own in a thread while `here` runs on this one: PostgreSQL scans the two
    tables on two cores. The two reads see two snapshots a moment apart; a response committed in between is then
    read without its answers or the other way round, and left out, as if it came a moment later."""

    def on_own_connection() -> U:
        try:
            return there()
        finally:
            connections[alias].close()  # this thread's connection, never the caller's

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(on_own_connection)
        result = here()
        return result, future.result()


def read_columns(
    organization,
    *,
    since: dt.datetime,
    until: dt.datetime,
    journeys: bool = False,
    fast: bool | None = None,
    concurrent: bool | None = None,
) -> Columns:
    """The columns of [since, until). `fast`: through the binary COPY (default: where the database allows it);
    `concurrent`: the two tables read at once on two connections (default: when fast and not inside a transaction,
    whose uncommitted rows another connection would not see)."""
    survey_ids = customer_survey_ids(organization)
    answers = _answers(organization, since, until)

    def ties(response_ids: np.ndarray) -> dict[int, tuple[str, float]]:
        return lowest_answers(answers, response_ids)

    if not survey_ids:
        return Columns(_empty_responses(journeys), [], _empty_answers(), ties)
    responses = _responses(organization, since, until, survey_ids)
    fast = pgarrays.available() if fast is None else fast
    if not fast:
        metrics, answer_columns = _answer_columns_orm(answers)
        return Columns(in_order(_response_columns_orm(responses, journeys)), metrics, answer_columns, ties)
    if concurrent is None:
        concurrent = not connections[answers.db].in_atomic_block
    if concurrent:
        (metrics, answer_columns), response_columns = _concurrently(
            lambda: _answer_columns_copy(answers),
            lambda: in_order(_response_columns_copy(responses, journeys)),  # sorted there, while answers arrive
            answers.db,
        )
    else:
        metrics, answer_columns = _answer_columns_copy(answers)
        response_columns = in_order(_response_columns_copy(responses, journeys))
    return Columns(response_columns, metrics, answer_columns, ties)


# -- one row per response ----------------------------------------------------------------------------------------


def _metric_tables(metrics: list[str]) -> dict[str, np.ndarray]:
    """Per metric key (by its position in `metrics`): rank (-1: not a score), scale bounds and bands, is NPS."""
    rows = []
    for metric in metrics:
        ranked = metric_rank(metric)
        if ranked is None:
            rows.append((-1, 0.0, 1.0, np.nan, np.nan, False))
        else:
            order, scale = ranked
            rows.append((order, scale.low, scale.high, scale.bad_max, scale.good_min, metric == NPS))
    rank, low, high, bad_max, good_min, nps = zip(*rows, strict=True) if rows else ((),) * 6
    return {
        "rank": np.array(rank, dtype=np.int8),
        "low": np.array(low, dtype=np.float64),
        "high": np.array(high, dtype=np.float64),
        "bad_max": np.array(bad_max, dtype=np.float64),
        "good_min": np.array(good_min, dtype=np.float64),
        "is_nps": np.array(nps, dtype=bool),
    }


def _positions(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in `ids`, found) of each wanted id; `ids` unique. A lookup table where the ids are dense enough (an
    organization's responses mostly are), else a binary search."""
    if ids.size == 0:
        return np.zeros(wanted.size, dtype=np.int64), np.zeros(wanted.size, dtype=bool)
    low, high = int(ids.min()), int(ids.max())
    if high - low < DENSE_FACTOR * ids.size and ids.size < 2**31:
        # One slot more on each side, holding -1: ids outside [low, high] are clipped onto them.
        table = np.full(high - low + 3, -1, dtype=np.int32)
        table[ids - (low - 1)] = np.arange(ids.size, dtype=np.int32)
        slot = wanted - (low - 1)
        np.clip(slot, 0, table.size - 1, out=slot)
        pos = table[slot]
        return pos, pos >= 0
    order = np.argsort(ids, kind="stable")
    pos = order[np.minimum(np.searchsorted(ids[order], wanted), ids.size - 1)]
    return pos, ids[pos] == wanted


def _primary_scores(
    response_ids: np.ndarray, ranks: np.ndarray, columns: Columns, code_of: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(metric code, value) of each response's primary answer (lowest rank, then lowest answer id); code -1 without
    a score. `ranks` per answer (int8, -1: not a score)."""
    answers = columns.answers
    code = np.full(response_ids.size, -1, dtype=np.int32)
    value = np.full(response_ids.size, np.nan, dtype=np.float64)
    if response_ids.size == 0 or answers["response_id"].size == 0:
        return code, value
    pos, found = _positions(response_ids, answers["response_id"])
    found &= ranks >= 0
    index = np.flatnonzero(found)  # the score answers of the responses read
    del found
    at, rank = pos[index], ranks[index]
    del pos
    best = np.full(response_ids.size, np.iinfo(np.int8).max, dtype=np.int8)
    np.minimum.at(best, at, rank)
    keep = rank == best[at]
    index, at = index[keep], at[keep]
    del keep, rank, best
    count = np.bincount(at, minlength=response_ids.size)
    single = count[at] == 1
    code[at[single]] = answers["metric"][index[single]]
    value[at[single]] = answers["value"][index[single]]
    tied = np.flatnonzero(count > 1)
    if tied.size:
        # A response deleted since the first read has no answer left: it is left out as unscored.
        resolved = columns.ties(response_ids[tied])
        missing = ("", np.nan)
        code[tied] = [code_of.get(resolved.get(int(r), missing)[0], -1) for r in response_ids[tied]]
        value[tied] = [resolved.get(int(r), missing)[1] for r in response_ids[tied]]
    return code, value


def _customer_time_order(customer: np.ndarray, t_ms: np.ndarray, response_id: np.ndarray) -> np.ndarray:
    """The permutation to (customer, time, response) order. One int64 key of customer and time where they fit in it
    (one sort, a third quicker than numpy's lexsort); responses of one customer in the same millisecond are then put
    in id order run by run."""
    if customer.size == 0:
        return np.zeros(0, dtype=np.int64)
    t_low, c_low = int(t_ms.min()), int(customer.min())
    span = int(t_ms.max()) - t_low + 1
    if (int(customer.max()) - c_low + 1) * span >= stats.KEY_LIMIT:
        return np.lexsort((response_id, t_ms, customer))
    key = (customer - c_low) * span + (t_ms - t_low)
    order = np.argsort(key)  # ties are put in order below
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if same.any():  # runs of equal keys: reorder the rows within each run by response id
        in_run = np.zeros(order.size, dtype=bool)
        in_run[1:] |= same
        in_run[:-1] |= same
        at = np.flatnonzero(in_run)
        rows = order[at]
        order[at] = rows[np.lexsort((response_id[rows], key[rows]))]
    return order


def in_order(responses: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The response columns in (customer, time, response) order."""
    order = _customer_time_order(responses["customer_id"], responses["t_ms"], responses["response_id"])
    return {name: column[order] for name, column in responses.items()}


def build(columns: Columns) -> Experiences:
    """Join, reduce to the primary score and band (see the module docstring); the responses come in (customer,
    time, response) order (read_columns sorts them) and keep it."""
    responses, tables = columns.responses, _metric_tables(columns.metrics)
    code_of = {m: i for i, m in enumerate(columns.metrics)}
    ranks = tables["rank"][columns.answers["metric"]]
    code, value = _primary_scores(responses["response_id"], ranks, columns, code_of)
    del ranks
    scored = code >= 0
    code, value = code[scored], value[scored]
    low = tables["low"][code]
    normalised = (value - low) / (tables["high"][code] - low) * 100.0  # as normalised() above, to the last bit
    return Experiences(
        response_id=responses["response_id"][scored],
        customer_id=responses["customer_id"][scored],
        t_ms=responses["t_ms"][scored],
        journey_id=responses["journey_id"][scored] if "journey_id" in responses else None,
        value=value,
        is_nps=tables["is_nps"][code],
        # As Scale.band: the good band wins where a tiny scale's bands touch.
        poor=(value < tables["good_min"][code]) & (value <= tables["bad_max"][code]),
        normalised=normalised,
    )


def experiences(
    organization,
    *,
    since: dt.datetime,
    until: dt.datetime,
    journeys: bool = False,
    fast: bool | None = None,
    concurrent: bool | None = None,
) -> Experiences:
    """Every identified customer response in [since, until) with its primary score, in (customer, time, response)
    order; `journeys`: also read each response's journey (`fast`, `concurrent`: see read_columns)."""
    columns = read_columns(organization, since=since, until=until, journeys=journeys, fast=fast, concurrent=concurrent)
    return build(columns)


def days_ms(days: int) -> int:
    return int(days) * 86_400_000
