"""Scores against targets: the status a card gets, which target applies, and when a change is significant."""

import datetime as dt
from types import SimpleNamespace

import pytest

from core.scores import Score
from kpis.scores import Assessment, change_between, pick_target


def nps(n, promoters, detractors, min_n=30) -> Score:
    return Score(
        "nps", {"n": n, "promoters": promoters, "passives": n - promoters - detractors, "detractors": detractors}, min_n
    )


def target(value, *, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), segment="", persona_id=None, pk=1):
    return SimpleNamespace(
        value=value, period_start=start, period_end=end, segment=segment, persona_id=persona_id, pk=pk
    )


def test_statuses_follow_the_target_and_the_margin_of_error():
    score = nps(400, 200, 80)  # NPS 30, margin of error about 8.4 points
    assert Assessment(score, target(25)).status == "above"
    assert Assessment(score, target(35)).status == "near"  # 5 points short: within the margin of error
    assert Assessment(score, target(45)).status == "below"
    assert Assessment(score).status == "none"
    assert Assessment(nps(12, 10, 0), target(0)).status == "insufficient"


def test_gap_and_shortfall_respect_the_direction_of_the_kpi():
    mean = Score("ces", {"n": 100, "total": 300.0, "total_sq": 1000.0}, 30)  # mean 3.0
    lower_is_better = Assessment(mean, target(2.5), higher_is_better=False)
    assert lower_is_better.gap == pytest.approx(0.5) and lower_is_better.shortfall == pytest.approx(0.5)
    assert Assessment(mean, target(3.5), higher_is_better=False).status == "above"


def test_insufficient_scores_have_no_gap_and_no_shown_value():
    a = Assessment(nps(5, 5, 0), target(10))
    assert a.score.shown is None and a.gap is None and a.shortfall is None


def test_a_change_is_only_tested_when_both_periods_have_enough_answers():
    assert change_between(nps(10, 5, 5), nps(400, 300, 20)) is None
    big = change_between(nps(400, 120, 120), nps(400, 200, 80))
    assert big.significant and big.delta == pytest.approx(30)
    small = change_between(nps(100, 40, 30), nps(100, 42, 29))
    assert not small.significant


def test_the_target_in_force_and_for_the_segment_wins():
    q1 = target(10, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), pk=1)
    q2 = target(20, start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30), pk=2)
    business = target(30, start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30), segment="Business", pk=3)
    assert pick_target([q1, q2, business], end=dt.date(2026, 5, 1)).value == 20
    assert pick_target([q1, q2, business], end=dt.date(2026, 5, 1), segment="Business").value == 30
    assert pick_target([q1, q2], end=dt.date(2026, 2, 1)).value == 10
    assert pick_target([business], end=dt.date(2026, 5, 1)) is None
