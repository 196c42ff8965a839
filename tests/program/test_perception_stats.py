"""The perception gap's arithmetic without a database, against numpy/scipy recomputations from raw scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from kpis.metrics import MeanSummary
from program.perception.stats import (
    BLIND_SPOT,
    HIDDEN_STRENGTH,
    INSUFFICIENT,
    MIN_STAFF_ANSWERS,
    NO_CLEAR_GAP,
    Comparison,
    ImportanceRow,
    importance_flags,
    rank_correlation,
    ranked,
)


def summary(values) -> MeanSummary:
    values = [float(v) for v in values]
    return MeanSummary(n=len(values), total=sum(values), total_sq=sum(v * v for v in values))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_difference_z_and_p_match_a_welch_z_test_on_the_raw_scores(seed):
    rng = np.random.default_rng(seed)
    predicted = np.clip(np.round(rng.normal(8.5, 1.2, rng.integers(3, 30))), 0, 10)
    actual = np.clip(np.round(rng.normal(rng.uniform(5, 9), 2.0, rng.integers(30, 500))), 0, 10)
    c = Comparison(predicted=summary(predicted), actual=summary(actual), low=0, high=10, min_n=30)
    se = np.sqrt(predicted.var(ddof=1) / len(predicted) + actual.var(ddof=1) / len(actual))
    diff = predicted.mean() - actual.mean()
    z = diff / se
    p = 2 * stats.norm.sf(abs(z))
    assert c.difference == pytest.approx(diff)
    assert c.z == pytest.approx(z)
    assert c.p_value == pytest.approx(p, rel=1e-6, abs=1e-14)
    assert c.significant == (p < 0.05)
    assert c.gap_share == pytest.approx(10 * diff)
    assert c.predicted_moe == pytest.approx(stats.norm.ppf(0.975) * predicted.std(ddof=1) / np.sqrt(len(predicted)))
    assert c.actual_moe == pytest.approx(stats.norm.ppf(0.975) * actual.std(ddof=1) / np.sqrt(len(actual)))


def test_a_gap_is_a_share_of_the_scale_range():
    c = Comparison(predicted=summary([5, 5, 4, 5]), actual=summary([3, 2, 3, 4] * 20), low=1, high=5, min_n=30)
    assert c.gap_share == pytest.approx(100 * (4.75 - 3.0) / 4)


def test_fewer_than_three_staff_answers_are_never_shown_whatever_the_customers():
    assert MIN_STAFF_ANSWERS == 3
    c = Comparison(predicted=summary([10, 10]), actual=summary([2] * 500), low=0, high=10, min_n=30)
    assert c.kind == INSUFFICIENT and c.insufficient_reason == "too_few_staff"
    assert c.predicted_mean is None and c.predicted_moe is None
    assert c.difference is None and c.p_value is None and not c.significant
    assert c.actual_mean == pytest.approx(2.0)  # the customers' own figure stays readable


def test_customers_below_the_minimum_n_are_insufficient():
    c = Comparison(predicted=summary([9, 9, 10]), actual=summary([3] * 29), low=0, high=10, min_n=30)
    assert c.kind == INSUFFICIENT and c.insufficient_reason == "too_few_customers"
    assert c.actual_mean is None and c.actual_moe is None and c.difference is None
    enough = Comparison(predicted=summary([9, 9, 10]), actual=summary([3, 4] * 15), low=0, high=10, min_n=30)
    assert enough.kind == BLIND_SPOT


def test_a_significant_gap_under_ten_per_cent_of_the_scale_is_no_blind_spot():
    # A large sample makes 0.5 points significant, but 5 % of a 0-10 scale is not worth a leader's attention.
    c = Comparison(predicted=summary([8, 9] * 200), actual=summary([8, 8, 8, 9] * 500), low=0, high=10, min_n=30)
    assert c.significant and 0 < c.gap_share < 10 and c.kind == NO_CLEAR_GAP
    unsure = Comparison(predicted=summary([4, 10, 7]), actual=summary([5, 6] * 20), low=0, high=10, min_n=30)
    assert unsure.gap_share > 10 and not unsure.significant and unsure.kind == NO_CLEAR_GAP
    flat = Comparison(predicted=summary([9, 9, 9]), actual=summary([9] * 40), low=0, high=10, min_n=30)
    assert flat.p_value is None and flat.kind == NO_CLEAR_GAP


@dataclass
class Item:
    name: str
    comparison: Comparison


def test_blind_spots_rank_the_largest_gap_first_across_scales_and_hidden_strengths_are_the_reverse():
    actual_nps, actual_csat = summary([6, 7] * 100), summary([3, 3, 4] * 50)
    items = [
        Item("nps +2", Comparison(summary([8, 9, 8, 9]), actual_nps, 0, 10, 30)),  # 2.0 / 10 = 20 %
        Item("csat +1.5", Comparison(summary([5, 5, 5, 4, 5, 5]), actual_csat, 1, 5, 30)),  # ~1.5 / 4 = 37 %
        Item("nps +3", Comparison(summary([9, 10, 9, 10]), actual_nps, 0, 10, 30)),  # 30 %
        Item("nps -3", Comparison(summary([3, 4, 3, 4]), actual_nps, 0, 10, 30)),
        Item("thin", Comparison(summary([10, 10]), actual_nps, 0, 10, 30)),
    ]
    assert [i.name for i in ranked(items, BLIND_SPOT)] == ["csat +1.5", "nps +3", "nps +2"]
    assert [i.name for i in ranked(items, HIDDEN_STRENGTH)] == ["nps -3"]


def test_rank_correlation_is_scipys_spearman_over_the_touchpoints_both_sides_rate():
    rng = np.random.default_rng(7)
    leaders = rng.uniform(1, 5, 9)
    analysis = 0.1 * leaders + rng.normal(0, 0.2, 9)
    rows = [
        ImportanceRow(touchpoint_id=i, leaders=summary([v] * 4), analysis=float(a))
        for i, (v, a) in enumerate(zip(leaders, analysis, strict=True))
    ]
    rows.append(ImportanceRow(touchpoint_id=99, leaders=summary([5, 5]), analysis=0.9))  # too few leaders: left out
    rows.append(ImportanceRow(touchpoint_id=98, leaders=summary([1, 1, 1]), analysis=None))  # not analysed
    expected = stats.spearmanr(leaders, analysis)
    result = rank_correlation(rows)
    assert result.n == 9
    assert result.rho == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert rank_correlation(rows[:2]).rho is None  # too few pairs
    flat = [ImportanceRow(touchpoint_id=i, leaders=summary([3] * 3), analysis=0.1 * i) for i in range(5)]
    assert rank_correlation(flat).rho is None  # the leaders rate everything the same


def test_overrated_means_top_third_without_a_driver_and_underrated_a_driver_in_the_bottom_half():
    def row(tp, leaders, analysis, driver, tested=True):
        return ImportanceRow(
            touchpoint_id=tp, leaders=summary([leaders] * 3), analysis=analysis, is_driver=driver, tested=tested
        )

    rows = [
        row(1, 5.0, 0.05, False),  # rank 1, no driver: overrated
        row(2, 4.5, None, False, tested=False),  # rank 2, too few pairs to tell: no flag
        row(3, 4.0, 0.4, True),  # rank 3 of 9 = top third, a driver: fine
        row(4, 3.5, 0.1, False),
        row(5, 3.0, 0.5, True),  # rank 5 of 9: the middle, not the bottom half
        row(6, 2.5, 0.3, True),  # rank 6: bottom half, a driver: underrated
        row(7, 2.0, 0.0, False),
        row(8, 1.5, 0.6, True),  # underrated
        ImportanceRow(touchpoint_id=9, leaders=summary([1, 1, 1]), is_driver=None),  # not analysed
    ]
    importance_flags(rows)
    assert {r.touchpoint_id: r.flag for r in rows if r.flag} == {1: "overrated", 6: "underrated", 8: "underrated"}
    assert [r.leaders_rank for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert rows[7].analysis_rank == 1 and rows[0].analysis_rank == 6  # 0.6 highest; 0.05 sixth of seven
