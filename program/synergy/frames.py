"""Customer experiences as columns: one row per customer response, its primary score and whether it was poor.

The compound-failure view needs every identified customer response of a period (hundreds of thousands), so rows are
read column-wise in chunks from a server-side cursor (PostgreSQL; SQLite reads in chunks too) into compact pandas
columns: no model objects, no per-value conversions in Python. Each response keeps one score, its primary metric
(nps > csat > ces > rating; the lowest answer id among ratings), banded with core.scales.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from core.scales import CES, CSAT, NPS, RATING, Scale, scale_for_metric
from surveys.models import Answer, Survey

CHUNK = 50_000
COLUMNS = ["answer_id", "response_id", "customer_id", "submitted_at", "touchpoint_id", "journey_id", "metric", "value"]
OUT_COLUMNS = [
    "response_id",
    "customer_id",
    "submitted_at",
    "t_ms",
    "touchpoint_id",
    "journey_id",
    "metric",
    "value",
    "is_nps",
    "poor",
    "normalised",
]
# The score a response is read on when it has several: lower rank first.
METRIC_RANK = {NPS: 0, CSAT: 1, CES: 2, RATING: 3}


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


def score_answers(
    organization, *, since: dt.datetime, until: dt.datetime, customer_ids: list[int] | None = None
) -> QuerySet:
    """Score answers of identified customers to customer surveys submitted in [since, until)."""
    qs = Answer.objects.for_org(organization).filter(
        value__isnull=False,
        customer_id__isnull=False,
        response__submitted_at__gte=since,
        response__submitted_at__lt=until,
        response__survey_id__in=customer_survey_ids(organization),
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    # Staff surveys store no metric key, and yes/no questions are no experience score.
    return qs.exclude(metric="").exclude(metric__endswith=":yes")


def _chunk_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601")
    frame["value"] = frame["value"].astype(float)
    frame["touchpoint_id"] = frame["touchpoint_id"].astype("Int64")
    frame["journey_id"] = frame["journey_id"].astype("Int64")
    frame["metric"] = frame["metric"].astype("category")
    return frame


def _read(qs: QuerySet) -> pd.DataFrame:
    try:
        sql, params = qs.values_list(
            "pk",
            "response_id",
            "customer_id",
            "response__submitted_at",
            "touchpoint_id",
            "response__journey_id",
            "metric",
            "value",
        ).query.sql_with_params()
    except EmptyResultSet:  # no customer survey at all: an empty IN ()
        return pd.DataFrame(columns=COLUMNS)
    frames = []
    # A server-side cursor on PostgreSQL: the client holds one chunk of rows at a time, not the whole result.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            frames.append(_reduce(_chunk_frame(rows)))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    # A response's answers may straddle two chunks: reduce once more over the (much smaller) union.
    return _reduce(pd.concat(frames, ignore_index=True))


def _per_category(metric: pd.Series, value_of) -> np.ndarray:
    """`value_of(metric key)` for every row, computed once per distinct key (the column is categorical)."""
    codes = metric.cat.codes.to_numpy()
    table = np.array([value_of(str(m)) for m in metric.cat.categories] + [np.nan], dtype=float)
    return table[codes]  # code -1 (a missing key) reads the trailing NaN


def _rank(metric: str) -> float:
    ranked = metric_rank(metric)
    return float(ranked[0]) if ranked else np.nan


def _reduce(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per response: its primary score (lowest rank, then lowest answer id)."""
    if not isinstance(frame["metric"].dtype, pd.CategoricalDtype):
        frame = frame.assign(metric=frame["metric"].astype("category"))
    frame = frame.assign(rank=_per_category(frame["metric"], _rank))
    frame = frame[frame["rank"].notna()]
    frame = frame.sort_values(["response_id", "rank", "answer_id"], kind="stable")
    return frame.drop_duplicates("response_id", keep="first").drop(columns="rank")


def experience_frame(
    organization, *, since: dt.datetime, until: dt.datetime, customer_ids: list[int] | None = None
) -> pd.DataFrame:
    """One row per identified customer response in [since, until), in (customer, time) order: response_id,
    customer_id, submitted_at (UTC), t_ms (milliseconds since the epoch), touchpoint_id, journey_id, metric, value,
    is_nps, poor, normalised (0-100)."""
    frame = _read(score_answers(organization, since=since, until=until, customer_ids=customer_ids))
    if frame.empty:
        return pd.DataFrame(
            {
                "response_id": pd.Series(dtype="int64"),
                "customer_id": pd.Series(dtype="int64"),
                "submitted_at": pd.Series(dtype="datetime64[ms, UTC]"),
                "t_ms": pd.Series(dtype="int64"),
                "touchpoint_id": pd.Series(dtype="Int64"),
                "journey_id": pd.Series(dtype="Int64"),
                "metric": pd.Series(dtype="object"),
                "value": pd.Series(dtype="float64"),
                "is_nps": pd.Series(dtype="bool"),
                "poor": pd.Series(dtype="bool"),
                "normalised": pd.Series(dtype="float64"),
            }
        )
    metric = frame["metric"].astype("category")
    scales = {str(m): scale_for_metric(str(m)) for m in metric.cat.categories}
    low = _per_category(metric, lambda m: scales[m].low)
    high = _per_category(metric, lambda m: scales[m].high)
    bad_max = _per_category(metric, lambda m: scales[m].bad_max)
    good_min = _per_category(metric, lambda m: scales[m].good_min)
    value = frame["value"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "response_id": frame["response_id"].astype("int64"),
            "customer_id": frame["customer_id"].astype("int64"),
            "submitted_at": frame["submitted_at"],
            "t_ms": frame["submitted_at"].dt.as_unit("ms").astype("int64"),
            "touchpoint_id": frame["touchpoint_id"],
            "journey_id": frame["journey_id"],
            "metric": metric.astype(str),
            "value": value,
            "is_nps": (metric == NPS).to_numpy(dtype=bool),
            # As Scale.band: the good band wins where a tiny scale's bands touch.
            "poor": (value < good_min) & (value <= bad_max),
            "normalised": (value - low) / (high - low) * 100.0,
        }
    )
    return out.sort_values(["customer_id", "t_ms", "response_id"], kind="stable").reset_index(drop=True)


def days_ms(days: int) -> int:
    return int(days) * 86_400_000


def codes_of(customer_ids: pd.Series) -> np.ndarray:
    """Dense 0..k-1 codes of customer ids (for the sort keys of program.synergy.stats)."""
    codes, _uniques = pd.factorize(customer_ids, sort=True)
    return codes.astype(np.int64)
