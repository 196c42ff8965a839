"""The ThemeStat rollup (voice.stats.recompute_stats) against a pandas recomputation from the raw comment rows, and
the pure statistics it feeds (Welch, two proportions, NPS)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from django.db import connection, connections
from scipy import stats as sps

from tests.factories import CustomerFactory, JourneyFactory, ResponseFactory, StageFactory, TouchpointFactory
from voice.models import CommentAnalysis, CommentTheme, Theme, ThemeStat
from voice.stats import nps, recompute_all_stats, recompute_stats, two_proportions, welch

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
STAT_FIELDS = [
    "comments",
    "scored",
    "score_sum",
    "score_sumsq",
    "promoters",
    "detractors",
    "positive",
    "negative",
    "mixed",
    "sentiment_sum",
]
KEY = ["month", "theme_key", "touchpoint_key", "journey_key", "language", "metric"]


# -- a world of comments with a known structure (also used by test_selectors) --------------------------------------


@dataclass
class World:
    org: object
    journey: object
    tp_team: object  # the frontline member's team is responsible
    tp_other: object
    response: object
    invoice: Theme
    late_invoice: Theme  # sub-theme of invoice
    staff: Theme
    waiting: Theme
    gold: object  # customer of segment "Gold"
    silver: object


def make_world(cast) -> World:
    org = cast.org
    journey = JourneyFactory(organization=org, name="Support")
    stage = StageFactory(journey=journey, organization=org)
    tp_team = TouchpointFactory(stage=stage, name="Phone support", responsible_team=cast.team)
    tp_other = TouchpointFactory(stage=stage, name="Shop")
    invoice = Theme.objects.create(organization=org, name="Invoice")
    return World(
        org=org,
        journey=journey,
        tp_team=tp_team,
        tp_other=tp_other,
        response=ResponseFactory(version__survey__organization=org, touchpoint=tp_team, journey=journey),
        invoice=invoice,
        late_invoice=Theme.objects.create(organization=org, name="Late invoice", parent=invoice),
        staff=Theme.objects.create(organization=org, name="Staff", position=1),
        waiting=Theme.objects.create(organization=org, name="Waiting", position=2),
        gold=CustomerFactory(organization=org, segment="Gold"),
        silver=CustomerFactory(organization=org, segment="Silver"),
    )


def _label(rng, sentiment: float | None) -> str:
    if sentiment is None:
        return ""
    if sentiment > 0.3:
        return "positive"
    if sentiment < -0.3:
        return "negative"
    return str(rng.choice(["neutral", "mixed"]))


def plant_comments(
    world: World, *, n: int = 3000, seed: int = 7, months=(JAN, FEB), first_id: int = 1_000_000
) -> pd.DataFrame:
    """n analysed comments (plus a few pending ones) with random touchpoints, languages, metrics and themes; the
    invoice theme (or its sub-theme) lowers the NPS score by 2. Returns the raw rows as pandas sees them: one row per
    done comment with `themes` = the set of theme keys it counts under (a sub-theme's comments also count under the
    parent) and `theme_sentiment` = {theme key: what the rollup should use as the theme's sentiment}."""
    rng = np.random.default_rng(seed)
    w = world
    analyses, links, records = [], [], []
    parents = {w.late_invoice.pk: w.invoice.pk}
    for i in range(n):
        pk = first_id + i
        month = months[i % len(months)]
        r = rng.random()
        touchpoint = w.tp_team if r < 0.45 else w.tp_other if r < 0.9 else None
        journey = w.journey if touchpoint is not None or rng.random() < 0.5 else None
        language = str(rng.choice(["sv", "nb", "da", "en", "other"]))
        r = rng.random()
        if r < 0.7:
            metric, score = "nps", float(rng.integers(3, 11))
        elif r < 0.85:
            metric, score = "csat", float(rng.integers(1, 6))
        else:
            metric, score = "", None
        r = rng.random()
        tagged: dict[int, float | None] = {}
        if r < 0.08:
            tagged[w.invoice.pk] = None
        elif r < 0.14:
            tagged[w.late_invoice.pk] = None
        elif r < 0.18:
            tagged[w.invoice.pk] = tagged[w.late_invoice.pk] = None
        if rng.random() < 0.15:
            tagged[w.staff.pk] = None
        if rng.random() < 0.10:
            tagged[w.waiting.pk] = None
        for key in tagged:
            tagged[key] = None if rng.random() < 0.2 else round(float(rng.uniform(-1, 1)), 3)
        if metric == "nps" and (w.invoice.pk in tagged or w.late_invoice.pk in tagged):
            score = max(score - 2.0, 0.0)
        sentiment = None if rng.random() < 0.05 else round(float(rng.uniform(-1, 1)), 3)
        status = "pending" if i % 97 == 0 else "done"
        customer = w.gold if i % 3 == 0 else w.silver
        analyses.append(
            CommentAnalysis(
                answer_id=pk,
                organization=w.org,
                response=w.response,
                survey_id=w.response.survey_id,
                touchpoint=touchpoint,
                journey=journey,
                customer=customer,
                submitted_on=month + dt.timedelta(days=int(rng.integers(0, 27))),
                month=month,
                metric=metric,
                score=score,
                status=status,
                language=language,
                masked_text=f"comment {i}",
                sentiment=sentiment,
                sentiment_label=_label(rng, sentiment),
            )
        )
        links += [
            CommentTheme(organization=w.org, analysis_id=pk, theme_id=key, sentiment=s) for key, s in tagged.items()
        ]
        if status != "done":
            continue
        # What the rollup counts: a sub-theme's comment also under its parent, once; the theme's sentiment is the
        # mean of the sentiments of the links that reach it, else the comment's.
        reach: dict[int, list[float]] = {}
        for key, s in tagged.items():
            for target in {key, parents.get(key, key)}:
                reach.setdefault(target, []).extend([] if s is None else [s])
        theme_sentiment = {k: (float(np.mean(v)) if v else sentiment) for k, v in reach.items()}
        records.append(
            {
                "id": pk,
                "month": month,
                "touchpoint_key": touchpoint.pk if touchpoint else 0,
                "journey_key": journey.pk if journey else 0,
                "language": language,
                "metric": metric,
                "score": np.nan if score is None else score,
                "sentiment": np.nan if sentiment is None else sentiment,
                "label": analyses[-1].sentiment_label,
                "segment": customer.segment,
                "themes": frozenset(reach),
                "theme_sentiment": theme_sentiment,
            }
        )
    CommentAnalysis.objects.bulk_create(analyses, batch_size=2000)
    CommentTheme.objects.bulk_create(links, batch_size=2000)
    return pd.DataFrame.from_records(records)


def expected_stats(df: pd.DataFrame, theme_keys: list[int]) -> dict[tuple, dict]:
    """The ThemeStat rows pandas computes from the raw rows: {key tuple: {field: value}}."""
    parts = [df.assign(theme_key=0, theme_sent=df["sentiment"])]
    for key in theme_keys:
        sub = df[df["themes"].map(lambda s, k=key: k in s)]
        sent = sub["theme_sentiment"].map(lambda d, k=key: d[k])
        parts.append(sub.assign(theme_key=key, theme_sent=pd.to_numeric(sent)))
    long = pd.concat(parts)
    long = long.assign(
        scored=long["score"].notna().astype(int),
        score_sum=long["score"].fillna(0),
        score_sumsq=long["score"].fillna(0) ** 2,
        promoters=((long["metric"] == "nps") & (long["score"] >= 9)).astype(int),
        detractors=((long["metric"] == "nps") & (long["score"] < 7)).astype(int),
        positive=(long["label"] == "positive").astype(int),
        negative=(long["label"] == "negative").astype(int),
        mixed=(long["label"] == "mixed").astype(int),
        sentiment_sum=long["theme_sent"].fillna(0),
        comments=1,
    )
    grouped = long.groupby(KEY)[STAT_FIELDS].sum()
    return {key: row.to_dict() for key, row in grouped.iterrows()}


def stored_stats(org) -> dict[tuple, dict]:
    rows = ThemeStat.objects.filter(organization=org).values(*KEY, *STAT_FIELDS)
    return {tuple(r[k] for k in KEY): {f: r[f] for f in STAT_FIELDS} for r in rows}


def assert_same_stats(stored: dict, expected: dict) -> None:
    assert stored.keys() == expected.keys()
    for key, row in expected.items():
        for field, value in row.items():
            assert stored[key][field] == pytest.approx(value, abs=1e-9), (key, field)


# -- the rollup ----------------------------------------------------------------------------------------------------


def test_rollup_equals_pandas_groupby_of_the_raw_rows(cast_a):
    world = make_world(cast_a)
    df = plant_comments(world, n=1500)
    recompute_stats(world.org.pk, [JAN, FEB])
    keys = [world.invoice.pk, world.late_invoice.pk, world.staff.pk, world.waiting.pk]
    expected = expected_stats(df, keys)
    assert_same_stats(stored_stats(world.org), expected)
    # A comment tagged with both the theme and its sub-theme counts once under the theme.
    invoice_jan = sum(r["comments"] for k, r in expected.items() if k[0] == JAN and k[1] == world.invoice.pk)
    in_df = df[(df["month"] == JAN) & df["themes"].map(lambda s: world.invoice.pk in s)]
    assert invoice_jan == len(in_df) > 0


def test_recompute_is_idempotent_and_follows_changes(cast_a):
    world = make_world(cast_a)
    df = plant_comments(world, n=600)
    recompute_stats(world.org.pk, [JAN, FEB])
    first = stored_stats(world.org)
    recompute_stats(world.org.pk, [dt.date(2026, 1, 17), FEB])  # any day stands for its month
    assert stored_stats(world.org) == first

    # A comment removed and a month recomputed: its rows follow; the other month is untouched.
    gone = int(df[df["month"] == JAN]["id"].iloc[0])
    CommentAnalysis.objects.filter(pk=gone).delete()
    recompute_stats(world.org.pk, [JAN])
    totals = ThemeStat.objects.filter(organization=world.org, theme_key=0)
    assert sum(totals.filter(month=JAN).values_list("comments", flat=True)) == (df["month"] == JAN).sum() - 1
    assert sum(totals.filter(month=FEB).values_list("comments", flat=True)) == (df["month"] == FEB).sum()

    # A month without comments any more loses its rows.
    CommentAnalysis.objects.filter(organization=world.org, month=FEB).delete()
    assert recompute_all_stats(world.org.pk) == 2
    assert not ThemeStat.objects.filter(organization=world.org, month=FEB).exists()


def test_recompute_touches_only_its_organization(cast_a, cast_b):
    world_a, world_b = make_world(cast_a), make_world(cast_b)
    plant_comments(world_a, n=300)
    plant_comments(world_b, n=200, first_id=2_000_000)
    recompute_stats(world_a.org.pk, [JAN, FEB])
    recompute_stats(world_b.org.pk, [JAN, FEB])
    before_a = stored_stats(world_a.org)
    CommentAnalysis.objects.filter(organization=world_b.org).delete()
    recompute_stats(world_b.org.pk, [JAN, FEB])
    assert stored_stats(world_a.org) == before_a
    assert not ThemeStat.objects.filter(organization=world_b.org).exists()


def test_pending_comments_are_not_counted(cast_a):
    world = make_world(cast_a)
    df = plant_comments(world, n=400)
    recompute_stats(world.org.pk, [JAN, FEB])
    total = sum(ThemeStat.objects.filter(organization=world.org, theme_key=0).values_list("comments", flat=True))
    assert total == len(df) < CommentAnalysis.objects.filter(organization=world.org).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
def test_two_workers_recomputing_the_same_months_never_collide(cast_a):
    world = make_world(cast_a)
    df = plant_comments(world, n=800)
    keys = [world.invoice.pk, world.late_invoice.pk, world.staff.pk, world.waiting.pk]
    errors: list[BaseException] = []

    def worker(barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            recompute_stats(world.org.pk, [JAN, FEB])
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    for _ in range(4):
        barrier = threading.Barrier(3)
        threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert_same_stats(stored_stats(world.org), expected_stats(df, keys))


# -- pure statistics -----------------------------------------------------------------------------------------------


def _sums(values: np.ndarray) -> tuple[int, float, float]:
    return len(values), float(values.sum()), float((values**2).sum())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_from_sums_equals_scipy_on_the_raw_values(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 11, size=int(rng.integers(5, 400))).astype(float)
    b = np.clip(rng.integers(0, 11, size=int(rng.integers(5, 4000))) - seed * 0.4, 0, 10)
    diff, p = welch(*_sums(a), *_sums(b))
    assert diff == pytest.approx(a.mean() - b.mean(), abs=1e-9)
    assert p == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue, abs=1e-9)


def test_welch_without_enough_values_or_variance_gives_no_p():
    assert welch(0, 0, 0, 5, 25, 125) == (None, None)
    diff, p = welch(1, 7, 49, 5, 25, 125)
    assert diff == 2 and p is None
    diff, p = welch(3, 21, 147, 4, 20, 100)  # both constant: no variance to test against
    assert diff == 2 and p is None


def test_two_proportions_equals_the_pooled_z_test():
    k1, n1, k2, n2 = 40, 200, 60, 600
    pooled = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert two_proportions(k1, n1, k2, n2) == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-12)
    assert two_proportions(10, 100, 10, 100) == pytest.approx(1.0)
    assert two_proportions(0, 100, 0, 100) is None
    assert two_proportions(1, 0, 1, 10) is None


def test_nps_from_promoters_detractors_and_scored():
    assert nps(50, 20, 100) == pytest.approx(30.0)
    assert nps(0, 10, 10) == pytest.approx(-100.0)
    assert nps(0, 0, 0) is None
