"""The perception gap's arithmetic without a database, against numpy/scipy recomputations from raw scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from core.metrics import MeanSummary
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


@dataclass
class Item:
    name: str
    comparison: Comparison


def half_width(values) -> float:
    """The 95 % confidence interval's half-width of a mean, by scipy's own t interval."""
    values = np.asarray(values, dtype=float)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    return (high - low) / 2


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_difference_t_df_and_p_match_scipys_welch_t_test_on_the_raw_scores(seed):
    rng = np.random.default_rng(seed)
    predicted = np.clip(np.round(rng.normal(8.5, 1.2, rng.integers(3, 11))), 0, 10)
    actual = np.clip(np.round(rng.normal(rng.uniform(5, 9), 2.0, rng.integers(30, 500))), 0, 10)
    c = Comparison(predicted=summary(predicted), actual=summary(actual), low=0, high=10, min_n=30)
    expected = stats.ttest_ind(predicted, actual, equal_var=False)
    diff = predicted.mean() - actual.mean()
    assert c.difference == pytest.approx(diff)
    assert c.t == pytest.approx(expected.statistic)
    assert c.df == pytest.approx(expected.df)
    assert c.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-14)
    assert c.significant == (expected.pvalue < 0.05)
    assert c.gap_share == pytest.approx(10 * diff)
    assert c.predicted_moe == pytest.approx(half_width(predicted))
    assert c.actual_moe == pytest.approx(half_width(actual))


def test_the_welch_satterthwaite_degrees_of_freedom_by_hand():
    predicted, actual = np.array([7.0, 9.0, 10.0]), np.array([4, 5, 6, 7, 8, 9, 10] * 10, dtype=float)
    c = Comparison(predicted=summary(predicted), actual=summary(actual), low=0, high=10, min_n=30)
    a, b = predicted.var(ddof=1) / 3, actual.var(ddof=1) / 70
    df = (a + b) ** 2 / (a**2 / 2 + b**2 / 69)
    t = (predicted.mean() - actual.mean()) / np.sqrt(a + b)
    assert c.df == pytest.approx(df) and 2 < c.df < 3  # the three staff answers carry most of the error
    assert c.t == pytest.approx(t)
    assert c.p_value == pytest.approx(2 * stats.t.sf(abs(t), df))


def test_three_staff_answers_get_a_margin_from_students_t_not_the_normal():
    staff = summary([7, 8, 9])
    c = Comparison(predicted=staff, actual=summary([6, 7] * 30), low=0, high=10, min_n=30)
    assert c.predicted_moe == pytest.approx(stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3))  # sd of 7, 8, 9 is 1
    assert c.predicted_moe / staff.margin_of_error == pytest.approx(stats.t.ppf(0.975, 2) / stats.norm.ppf(0.975))
    assert c.predicted_moe / staff.margin_of_error > 2.1  # the normal ± was 2.2 times too narrow


def test_three_noisy_staff_answers_drawn_from_the_customers_own_scores_are_no_blind_spot():
    # Three answers taken from the customers' own distribution (no true gap) that happen to sit high and close
    # together: a normal z test calls it a blind spot, Welch's t with about two degrees of freedom does not.
    actual = np.array([4, 5, 6, 7, 8, 9, 10] * 50, dtype=float)
    staff = np.array([8, 9, 10], dtype=float)
    assert set(staff) <= set(actual)
    diff = staff.mean() - actual.mean()
    z = diff / np.sqrt(staff.var(ddof=1) / 3 + actual.var(ddof=1) / len(actual))
    z_p = 2 * stats.norm.sf(abs(z))
    assert z_p < 0.01 and 100 * diff / 10 >= 10  # what the z test would have flagged, and it is 20 % of the scale
    welch_p = stats.ttest_ind(staff, actual, equal_var=False).pvalue
    assert welch_p > 0.05

    c = Comparison(predicted=summary(staff), actual=summary(actual), low=0, high=10, min_n=30)
    assert c.p_value == pytest.approx(welch_p) and not c.significant
    assert c.gap_share == pytest.approx(20.0) and c.kind == NO_CLEAR_GAP
    assert ranked([Item("noise", c)], BLIND_SPOT) == []


def test_pure_noise_from_three_staff_is_flagged_about_one_time_in_twenty_not_one_in_five():
    # Staff answers drawn from the customers' own scores: every flag is a false alarm. Welch's t keeps them near the
    # nominal 5 %; the normal z test the code used before flags about one touchpoint in six.
    rng = np.random.default_rng(15)
    actual = np.clip(np.round(rng.normal(6.5, 2.0, 400)), 0, 10)
    truth = summary(actual)
    draws = 3000
    flagged = z_flagged = 0
    for _ in range(draws):
        staff = rng.choice(actual, 3)
        c = Comparison(predicted=summary(staff), actual=truth, low=0, high=10, min_n=30)
        flagged += c.kind in (BLIND_SPOT, HIDDEN_STRENGTH)
        se = np.sqrt(staff.var(ddof=1) / 3 + actual.var(ddof=1) / len(actual))
        if se > 0:
            diff = staff.mean() - actual.mean()
            z_flagged += bool(2 * stats.norm.sf(abs(diff / se)) < 0.05 and abs(10 * diff) >= 10)
    assert flagged / draws < 0.075
    assert z_flagged / draws > 0.12


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
