import math

import pytest

from core.metrics import MeanSummary, NpsSummary, mean_difference, nps_difference, nps_from_scores


def test_nps_and_margin_of_error_match_a_hand_computed_case():
    # 50 promoters, 30 passives, 20 detractors: NPS 30; var = .5 + .2 - .3^2 = .61
    s = NpsSummary(n=100, promoters=50, passives=30, detractors=20)
    assert s.score == pytest.approx(30.0)
    assert s.margin_of_error == pytest.approx(100 * 1.959964 * math.sqrt(0.61 / 100), rel=1e-5)  # 15.31


def test_nps_from_scores_uses_the_standard_bands():
    s = nps_from_scores([10, 9, 8, 7, 6, 0])
    assert (s.promoters, s.passives, s.detractors) == (2, 2, 2)
    assert s.score == 0


def test_no_answers_give_no_score_and_few_answers_are_insufficient():
    assert NpsSummary(0, 0, 0, 0).score is None
    assert not NpsSummary(29, 10, 10, 9).is_sufficient(30)


def test_a_large_change_is_significant_and_a_small_one_is_not():
    before = NpsSummary(n=400, promoters=120, passives=160, detractors=120)  # NPS 0
    after = NpsSummary(n=400, promoters=200, passives=120, detractors=80)  # NPS 30
    assert nps_difference(before, after).significant
    small = NpsSummary(n=40, promoters=13, passives=16, detractors=11)  # NPS 5
    assert not nps_difference(before, small).significant


def test_mean_confidence_interval_from_sums():
    values = [1, 2, 3, 4, 5] * 10
    s = MeanSummary(n=len(values), total=sum(values), total_sq=sum(v * v for v in values))
    assert s.mean == pytest.approx(3.0)
    assert s.std == pytest.approx(1.4285714, rel=1e-6)
    assert s.margin_of_error == pytest.approx(1.959964 * 1.4285714 / math.sqrt(50), rel=1e-5)
    assert not mean_difference(s, s).significant
