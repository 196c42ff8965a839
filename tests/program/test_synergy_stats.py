"""The arithmetic of compound failures against brute force and statsmodels (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from program.synergy import stats

DAY = 86_400_000
W = 90 * DAY


@pytest.mark.parametrize(("hits", "n"), [(0, 1), (0, 30), (3, 21), (21, 61), (30, 30), (65, 1300), (1, 2)])
def test_wilson_interval_matches_statsmodels(hits, n):
    low, high = stats.wilson_interval(hits, n)
    ref_low, ref_high = proportion_confint(hits, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12) and high == pytest.approx(ref_high, abs=1e-12)


def test_wilson_interval_of_nobody_is_none():
    assert stats.wilson_interval(0, 0) is None


def _brute_before(codes, times, poor, window):
    return [
        sum(
            1
            for j in range(len(codes))
            if codes[j] == codes[i] and poor[j] and times[i] - window <= times[j] < times[i]
        )
        for i in range(len(codes))
    ]


def _brute_within(codes, times, poor, window):
    return [
        sum(
            1
            for j in range(len(codes))
            if codes[j] == codes[i] and poor[j] and times[i] - window <= times[j] <= times[i]
        )
        if poor[i]
        else 0
        for i in range(len(codes))
    ]


def test_sliding_counts_match_brute_force_on_random_histories():
    rng = np.random.default_rng(7)
    n = 600
    codes = rng.integers(0, 40, n)
    # Whole days and some exact repeats, so window edges and simultaneous answers occur.
    times = 1_700_000_000_000 + rng.integers(0, 400, n) * DAY + rng.choice([0, 0, 1, DAY // 2], n)
    poor = rng.random(n) < 0.45
    order = np.lexsort((times, codes))
    codes, times, poor = codes[order], times[order], poor[order]
    assert stats.poor_counts_before(codes, times, poor, window=W).tolist() == _brute_before(codes, times, poor, W)
    assert stats.poor_counts_within(codes, times, poor, window=W).tolist() == _brute_within(codes, times, poor, W)


def test_the_90_day_window_edges():
    t = 1_750_000_000_000
    codes = np.array([0, 0, 0, 0, 0, 1])
    times = np.array([t - W - 1, t - W, t, t, t + 1, t])
    poor = np.array([True, True, True, True, False, True])
    before = stats.poor_counts_before(codes, times, poor, window=W)
    # Exactly 90 days earlier counts, a millisecond more does not (for t + 1 ms, t - 90 days is out); neither the
    # response itself nor one at the same moment counts; another customer's poor experience never counts.
    assert before.tolist() == [0, 1, 1, 1, 2, 0]
    within = stats.poor_counts_within(codes, times, poor, window=W)
    assert within.tolist() == [1, 2, 3, 3, 0, 1]


def test_buckets_and_labels():
    assert stats.buckets_of(np.array([0, 1, 2, 3, 7])).tolist() == [0, 1, 2, 3, 3]
    assert [stats.bucket_label(b) for b in stats.BUCKETS] == ["0", "1", "2", "3+"]


def test_streaks_of_poor_experiences_in_a_row():
    poor = [False, True, True, True, False, True, False, True, True]
    found = [(s.start, s.end, s.length) for s in stats.poor_streaks(poor)]
    assert found == [(1, 3, 3), (7, 8, 2)]
    assert stats.poor_streaks([True]) == []


def test_most_within_any_window():
    assert stats.most_within([], window=W) == (0, None, None)
    times = [0, 10 * DAY, 90 * DAY, 91 * DAY, 300 * DAY]
    # 0, 10 and 90 days lie within one 90-day window (closed at both ends); 91 days drops day 0.
    assert stats.most_within(times, window=W) == (3, 0, 90 * DAY)
