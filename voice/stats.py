"""Theme statistics: the monthly ThemeStat rollup and the pure maths the insight pages apply to it.

`recompute_stats(organization_id, months)` rebuilds an organization's ThemeStat rows for some months from the
analysed comments with two set-based INSERT ... SELECT ... GROUP BY (the same SQL on PostgreSQL and SQLite):

- theme_key 0: every analysed comment, per (month, touchpoint, journey, language, metric);
- theme_key = a theme's id: the comments tagged with that theme or with one of its sub-themes (a comment about
  "invoice > late invoice" is a comment about "invoice"; tagged with both, it counts once).

Every column is additive (counts, sums, sums of squares), so the figure of any period and scope is a SUM over rows,
and "without the theme" is the totals of theme_key 0 minus the theme's row. The functions below (`welch`,
`two_proportions`, `nps`, `mean`) take those sums; they import no Django and are unit-tested without a database.
"""

# SQL is assembled from model table names and constants of this module; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from django.db import connection, transaction
from scipy import stats as sps

from voice.models import CommentAnalysis, CommentTheme, Theme, ThemeStat

NPS = "nps"
# A theme's impact is called significant when p < ALPHA and both sides have at least MIN_N scored comments.
ALPHA = 0.05
MIN_N = 10

# pg_advisory_xact_lock(namespace, organization id): one recompute of an organization's statistics at a time.
LOCK_NAMESPACE = 0x766F6963  # "voic"

STAT = ThemeStat._meta.db_table
ANALYSIS = CommentAnalysis._meta.db_table
LINK = CommentTheme._meta.db_table
THEME = Theme._meta.db_table

INSERT_COLUMNS = (
    "organization_id, month, theme_key, touchpoint_key, journey_key, language, metric, comments, scored, score_sum, "
    "score_sumsq, promoters, detractors, positive, negative, mixed, sentiment_sum"
)

# NPS bands as in the KPI rollups: promoters 9-10, detractors 0-6 (scores are whole numbers).
STAT_SELECT = f"""
    COUNT(*),
    COUNT(ca.score),
    COALESCE(SUM(ca.score), 0),
    COALESCE(SUM(ca.score * ca.score), 0),
    COUNT(*) FILTER (WHERE ca.metric = '{NPS}' AND ca.score >= 9),
    COUNT(*) FILTER (WHERE ca.metric = '{NPS}' AND ca.score < 7),
    COUNT(*) FILTER (WHERE ca.sentiment_label = 'positive'),
    COUNT(*) FILTER (WHERE ca.sentiment_label = 'negative'),
    COUNT(*) FILTER (WHERE ca.sentiment_label = 'mixed'),
    COALESCE(SUM({{sentiment}}), 0)
"""

# The key after the theme: touchpoint and journey (0 = none), language, metric.
KEY = "COALESCE(ca.touchpoint_id, 0), COALESCE(ca.journey_id, 0), ca.language, ca.metric"


def _in_months(alias: str, months: list[dt.date]) -> str:
    """The organization's analysed comments of `months` (parameters: organization id, status, the months)."""
    placeholders = ", ".join(["%s"] * len(months))
    return f"{alias}.organization_id = %s AND {alias}.status = %s AND {alias}.month IN ({placeholders})"


def _all_comments_sql(months: list[dt.date]) -> str:
    return (
        f"INSERT INTO {STAT} ({INSERT_COLUMNS}) "
        f"SELECT ca.organization_id, ca.month, 0, {KEY}, {STAT_SELECT.format(sentiment='ca.sentiment')} "
        f"FROM {ANALYSIS} ca WHERE {_in_months('ca', months)} "
        f"GROUP BY ca.organization_id, ca.month, {KEY}"
    )


def _theme_sql(months: list[dt.date]) -> str:
    """Per theme: each (comment, theme) once, a sub-theme's comments also under its parent; the theme's sentiment is
    that of the sentences mentioning it (the mean over its sub-themes' when reached through them), else the
    comment's."""
    links = (
        f"SELECT ct.analysis_id, ct.theme_id AS theme_key, ct.sentiment FROM {LINK} ct "
        f"JOIN {ANALYSIS} a ON a.answer_id = ct.analysis_id WHERE {_in_months('a', months)} "
        "UNION ALL "
        f"SELECT ct.analysis_id, t.parent_id, ct.sentiment FROM {LINK} ct "
        f"JOIN {THEME} t ON t.id = ct.theme_id "
        f"JOIN {ANALYSIS} a ON a.answer_id = ct.analysis_id "
        f"WHERE {_in_months('a', months)} AND t.parent_id IS NOT NULL"
    )
    tagged = (
        "SELECT x.analysis_id, x.theme_key, AVG(x.sentiment) AS sentiment "
        f"FROM ({links}) x GROUP BY x.analysis_id, x.theme_key"
    )
    return (
        f"INSERT INTO {STAT} ({INSERT_COLUMNS}) "
        f"SELECT ca.organization_id, ca.month, tg.theme_key, {KEY}, "
        f"{STAT_SELECT.format(sentiment='COALESCE(tg.sentiment, ca.sentiment)')} "
        f"FROM ({tagged}) tg JOIN {ANALYSIS} ca ON ca.answer_id = tg.analysis_id "
        f"GROUP BY ca.organization_id, ca.month, tg.theme_key, {KEY}"
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of every month from start's month to end's month, inclusive."""
    month, last, out = month_start(start), month_start(end), []
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def recompute_stats(organization_id: int, months: Iterable[dt.date]) -> None:
    """Delete and rebuild the organization's ThemeStat rows of `months` (any day of a month stands for it).

    Idempotent. On PostgreSQL a transaction-level advisory lock on the organization serialises recomputes, so two
    workers recomputing the same month run one after the other: the second one's DELETE sees the first one's rows
    (READ COMMITTED takes a new snapshot per statement) and the unique key is never violated. SQLite serialises
    writers by itself.
    """
    wanted = sorted({month_start(m) for m in months})
    if not wanted:
        return
    done = CommentAnalysis.Status.DONE
    params: list[int | str | dt.date] = [organization_id, done, *wanted]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, organization_id])
        cursor.execute(
            f"DELETE FROM {STAT} WHERE organization_id = %s AND month IN ({', '.join(['%s'] * len(wanted))})",
            [organization_id, *wanted],
        )
        cursor.execute(_all_comments_sql(wanted), params)
        cursor.execute(_theme_sql(wanted), params + params)


def recompute_all_stats(organization_id: int) -> int:
    """Rebuild every month of the organization that has analysed comments (demo seeding, benchmarks, repairs);
    return the number of months."""
    months = list(
        CommentAnalysis.objects.filter(organization_id=organization_id, status=CommentAnalysis.Status.DONE)
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    stale = ThemeStat.objects.filter(organization_id=organization_id).values_list("month", flat=True).distinct()
    months = sorted(set(months) | set(stale))
    recompute_stats(organization_id, months)
    return len(months)


# -- pure statistics over the rollup's sums ------------------------------------------------------------------------


def mean(n: int, total: float) -> float | None:
    return total / n if n else None


def variance(n: int, total: float, total_sq: float) -> float | None:
    """Sample variance (n - 1) from a count, a sum and a sum of squares; None below two values."""
    if n < 2:
        return None
    return max((total_sq - total * total / n) / (n - 1), 0.0)


def nps(promoters: int, detractors: int, scored: int) -> float | None:
    """NPS in points (-100..100) from promoters, detractors and the number of scored answers."""
    return 100.0 * (promoters - detractors) / scored if scored else None


def welch(
    n1: int, sum1: float, sumsq1: float, n2: int, sum2: float, sumsq2: float
) -> tuple[float | None, float | None]:
    """(mean 1 - mean 2, two-sided p of Welch's unequal-variance t test) from counts, sums and sums of squares.

    The difference is None when a side is empty; the p-value is None below two values a side or when both sides
    have no variance (nothing to test)."""
    if n1 < 1 or n2 < 1:
        return None, None
    diff = sum1 / n1 - sum2 / n2
    v1, v2 = variance(n1, sum1, sumsq1), variance(n2, sum2, sumsq2)
    if v1 is None or v2 is None:
        return diff, None
    a, b = v1 / n1, v2 / n2
    se2 = a + b
    if se2 <= 0:
        return diff, None
    t = diff / math.sqrt(se2)
    df = se2 * se2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    return diff, float(2 * sps.t.sf(abs(t), df))


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided p of the pooled two-proportion z test of k1/n1 against k2/n2 (None when it is undefined)."""
    if n1 < 1 or n2 < 1:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se2 = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if se2 <= 0:
        return None
    z = (k1 / n1 - k2 / n2) / math.sqrt(se2)
    return float(2 * sps.norm.sf(abs(z)))


def is_significant(p_value: float | None, n1: int, n2: int, *, min_n: int = MIN_N) -> bool:
    return p_value is not None and p_value < ALPHA and n1 >= min_n and n2 >= min_n
