"""The value model's maths on synthetic frames (no database): planted effects are found, absent ones are not claimed."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from tests.value import synthetic
from value.analysis.inputs import ModelInput, Parameters, TouchpointInput
from value.analysis.model import run
from value.analysis.stats import DAYS_PER_YEAR


def test_planted_churn_effect_is_found_with_its_sign_and_size_inside_the_interval():
    data = synthetic.make(n=1500, effect=-0.8, seed=7)
    row = run(data.model_input())["touchpoints"][0]
    assert row["supported"] is True, row
    # The coefficient's 95 % interval covers the planted -0.8.
    assert row["coef"] - 1.96 * row["coef_se"] < -0.8 < row["coef"] + 1.96 * row["coef_se"]
    truth = data.true_value_per_point(row["churn_rate"], row["annual_revenue_per_customer"])
    assert 0 < row["low"] < truth < row["high"]
    assert row["low"] < row["value_per_point"] < row["high"]
    assert row["n_customers"] == 1500


def test_no_effect_is_not_claimed():
    data = synthetic.make(n=1500, effect=0.0, seed=11)
    row = run(data.model_input())["touchpoints"][0]
    assert row["supported"] is False
    assert row["reason_code"] in {"not_significant", "wrong_direction"}
    assert row["value_per_point"] is None and row["low"] is None and row["high"] is None
    assert row["p_value"] >= 0.05


def test_higher_churn_among_promoters_is_not_turned_into_money():
    data = synthetic.make(n=1500, effect=0.8, seed=3)
    row = run(data.model_input())["touchpoints"][0]
    assert row["supported"] is False and row["reason_code"] == "wrong_direction"
    assert row["value_per_point"] is None


def test_too_few_customers_gives_reasons_instead_of_numbers_even_for_a_strong_effect():
    data = synthetic.make(n=80, effect=-1.5, seed=5)
    results = run(data.model_input())
    tp = results["touchpoints"][0]
    assert tp["supported"] is False and tp["reason_code"] == "too_few_customers"
    assert tp["reason_params"] == {"n": 80, "min": 100, "metric": "nps"}
    assert results["categories"]["supported"] is False
    assert results["revenue_at_risk"]["supported"] is False
    assert results["revenue_at_risk"]["amount"] is None


def test_too_few_churn_events_is_said_plainly():
    data = synthetic.make(n=400, effect=-0.8, base_rate=0.01, seed=5)
    tp = run(data.model_input())["touchpoints"][0]
    assert tp["supported"] is False and tp["reason_code"] == "too_few_events"


def _hand_case() -> ModelInput:
    """200 detractors (60 churn), 200 promoters (10 churn), 100 passives; everyone scored 730 days ago.

    Churners leave exactly 365 days after their answer. Active customers pay 500 a month; churned detractors paid
    9,999 a month, which must not count (their revenue is already gone, not at risk).
    """
    as_of = dt.date(2026, 10, 31)
    scored = as_of - dt.timedelta(days=730)
    left = scored + dt.timedelta(days=365)
    rows, churn = [], []
    groups = [("detractor", 3.0, 200, 60), ("promoter", 10.0, 200, 10), ("passive", 8.0, 100, 0)]
    cid = 0
    for _category, score, n, churners in groups:
        for i in range(n):
            cid += 1
            churned = i < churners
            revenue = 9999.0 if churned and score == 3.0 else 500.0
            rows.append({"customer_id": cid, "segment": "Consumer", "monthly_revenue": revenue, "score": score})
            if churned:
                churn.append({"customer_id": cid, "date": left})
    frame = pd.DataFrame(rows)
    scores = frame[["customer_id", "score"]].assign(score_date=scored, source="touchpoints")
    return ModelInput(
        as_of=as_of,
        customers=frame[["customer_id", "segment", "monthly_revenue"]],
        churn=pd.DataFrame(churn),
        category_scores=scores,
        touchpoints=[],
    )


def test_revenue_at_risk_matches_a_hand_computed_case():
    results = run(_hand_case())
    at_risk = results["revenue_at_risk"]
    # Churn per customer-year: events / (days at risk / 365.25).
    rate_d = 60 / ((140 * 730 + 60 * 365) / DAYS_PER_YEAR)
    rate_p = 10 / ((190 * 730 + 10 * 365) / DAYS_PER_YEAR)
    excess = (1 - math.exp(-rate_d)) - (1 - math.exp(-rate_p))
    detractor_revenue = 140 * 500 * 12  # active detractors only
    assert at_risk["supported"] is True
    assert at_risk["bad_revenue"] == detractor_revenue
    assert math.isclose(at_risk["excess_churn"], excess, rel_tol=1e-9)
    assert math.isclose(at_risk["amount"], detractor_revenue * excess, rel_tol=1e-9)
    assert round(at_risk["amount"]) == 114_698
    assert at_risk["low"] < at_risk["amount"] < at_risk["high"]
    by_band = {r["band"]: r for r in results["categories"]["rows"]}
    assert by_band["bad"]["n"] == 200 and by_band["bad"]["events"] == 60
    assert math.isclose(by_band["good"]["churn_rate"], rate_p, rel_tol=1e-9)
    assert by_band["neutral"]["events"] == 0 and by_band["neutral"]["churn_rate"] == 0


def test_no_revenue_at_risk_is_claimed_when_detractors_do_not_churn_more():
    data = _hand_case()
    # Give promoters the detractors' churn: no excess.
    churn = data.churn.copy()
    promoter_ids = list(range(201, 261))
    churn = pd.concat([churn, pd.DataFrame({"customer_id": promoter_ids, "date": churn["date"].iloc[0]})])
    data.churn = churn.drop_duplicates("customer_id")
    at_risk = run(data)["revenue_at_risk"]
    assert at_risk["supported"] is False and at_risk["reason_code"] == "no_excess_churn"
    assert at_risk["amount"] is None


def test_key_drivers_rank_the_touchpoint_that_goes_with_relationship_nps():
    data = synthetic.make(n=600, effect=-0.5, seed=2)
    model_input = data.model_input()
    # A second touchpoint whose scores are unrelated to the relationship score.
    noise = data.scores.assign(score=data.scores["score"].sample(frac=1, random_state=1).to_numpy())
    model_input.touchpoints.append(
        TouchpointInput(2, "Invoice", 2, "Billing", customers_per_year=600, answers=600, scores=noise)
    )
    drivers = run(model_input)["drivers"]
    assert drivers["supported"] is True and drivers["outcome"] == "relationship"
    first, second = drivers["rows"]
    assert first["touchpoint_id"] == 1 and first["significant"] is True and first["r"] > 0.5
    assert first["is_driver"] is True and first["effect"] == "large"
    assert first["low"] < first["r"] < first["high"]
    assert second["touchpoint_id"] == 2 and second["significant"] is False and second["is_driver"] is False


def test_key_drivers_without_an_outcome_survey_say_so():
    data = synthetic.make(n=300, seed=2)
    model_input = data.model_input()
    model_input.relationship = model_input.relationship.iloc[0:0]
    drivers = run(model_input)["drivers"]
    assert drivers["supported"] is False and drivers["reason_code"] == "no_outcome"


def test_results_are_plain_json():
    import json

    results = run(synthetic.make(n=300, seed=4).model_input(Parameters(min_customers=50)))
    assert json.loads(json.dumps(results, allow_nan=False)) == results


def test_customers_and_churn_without_any_scores_give_reasons_not_errors():
    data = synthetic.make(n=200, seed=4)
    model_input = data.model_input()
    model_input.category_scores = pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in ("customer_id", "score", "score_date", "source")}
    )
    model_input.touchpoints[0].scores = pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in ("customer_id", "score", "first_date")}
    )
    results = run(model_input)
    assert results["categories"]["n"] == 0 and results["categories"]["reason_code"] == "no_scored_customers"
    assert results["touchpoints"][0]["reason_code"] == "too_few_customers"


def test_key_drivers_fall_back_to_journey_nps_without_a_relationship_survey():
    data = synthetic.make(n=400, effect=-0.5, seed=8)
    model_input = data.model_input()
    model_input.relationship = model_input.relationship.iloc[0:0]
    # Journey 1's journey-survey NPS follows the touchpoint's score; the outcome is per the touchpoint's journey.
    model_input.journey_scores = data.relationship[["customer_id", "score"]].assign(journey_id=1)
    drivers = run(model_input)["drivers"]
    assert drivers["supported"] is True and drivers["outcome"] == "journey"
    assert drivers["rows"][0]["significant"] is True and drivers["rows"][0]["n"] == 400


def test_an_outcome_that_is_the_only_touchpoint_question_is_refused_with_the_reason():
    from value.analysis.inputs import Parameters as P
    from value.reasons import reason_text

    data = synthetic.make(n=300, seed=2)
    model_input = data.model_input(P(driver_outcome="nps"))
    model_input.metric_scores = data.scores.assign(metric="nps", total=data.scores["score"], n=1, outside=0)
    drivers = run(model_input)["drivers"]
    assert drivers["supported"] is False and drivers["reason_code"] == "outcome_is_every_driver"
    assert "is NPS itself, the chosen outcome" in reason_text(drivers["reason_code"], drivers["reason_params"])
