"""The stage decision and the next steps (pure functions), and `assess` as a whole on a small program."""

from __future__ import annotations

import math

import pytest

from program.health import decision, rules
from program.health.assess import assess, summarize
from program.health.months import local_today
from program.models import ProgramSettings


def crit(code: str, status: str, value=None) -> dict:
    rule = rules.RULES_BY_CODE[code]
    return {"code": code, "stage": rule.stage, "status": status, "value": value, "threshold": rule.threshold}


def catalogue(statuses: dict[str, str]) -> list[dict]:
    """Every criterion, met unless `statuses` says otherwise."""
    return [
        crit(r.code, statuses.get(r.code, "met"), 1.0 if statuses.get(r.code, "met") == "met" else 0.0)
        for r in rules.RULES
    ]


def test_a_stage_score_is_the_share_of_its_applicable_criteria_met():
    criteria = catalogue({"response_rate": "not_applicable", "survey_coverage": "not_met", "targets": "not_met"})
    scores = decision.stage_scores(criteria)
    assert scores["engagement"] == pytest.approx(3 / 4)  # five criteria, one not applicable, one unmet
    assert scores["insight"] == pytest.approx(5 / 6)
    assert scores["action"] == 1 and scores["integration"] == 1


def test_the_program_is_in_the_first_stage_not_reached_even_when_later_stages_score_high():
    # Engagement: 3 of 5 met (0.6 < 0.7); everything later is met: the program is still in Engagement.
    criteria = catalogue({"survey_coverage": "not_met", "touchpoint_owners": "not_met"})
    scores = decision.stage_scores(criteria)
    assert scores["engagement"] == pytest.approx(0.6) and scores["integration"] == 1
    assert decision.reached_stages(scores) == []
    assert decision.current_stage(scores) == "engagement"
    assert [c["code"] for c in decision.blockers(criteria, "engagement")] == ["survey_coverage", "touchpoint_owners"]
    assert decision.still_needed(criteria, "engagement") == math.ceil(0.7 * 5) - 3


def test_a_stage_is_reached_at_exactly_the_bar_and_all_four_gives_no_stage():
    # Action: 4 of 5 = 0.8; Integration 4 of 5; Insight 5 of 6; Engagement 4 of 5 (0.8): all reached.
    criteria = catalogue(
        {"response_rate": "not_met", "targets": "not_met", "case_sla": "not_met", "reports_read": "not_met"}
    )
    assert decision.current_stage(decision.stage_scores(criteria)) == ""
    scores = {"engagement": 0.7, "insight": 0.69, "action": 1.0, "integration": 1.0}
    assert decision.reached_stages(scores) == ["engagement"]
    assert decision.current_stage(scores) == "insight"


def test_a_stage_with_nothing_applicable_is_not_reached():
    assert decision.current_stage({"engagement": 1.0, "insight": None, "action": 1.0, "integration": 1.0}) == "insight"


def test_next_steps_go_by_stage_order_then_weight_times_distance():
    criteria = catalogue({})
    overrides = {
        "survey_coverage": ("not_met", 0.6),  # weight 3 x (0.7 - 0.6) / 0.7 = 0.43
        "touchpoint_owners": ("not_met", 0.0),  # weight 2 x 1 = 2
        "program_owner": ("not_met", 0.75),  # weight 3 x 0.25 = 0.75
        "response_rate": ("not_met", None),  # weight 1 x 1 = 1
        "targets": ("not_met", 0.0),  # insight: after every engagement step, whatever its weight (3)
        "realised_value": ("not_met", 0.0),
    }
    for c in criteria:
        if c["code"] in overrides:
            c["status"], c["value"] = overrides[c["code"]]
    effects = {code: decision.effect(next(c for c in criteria if c["code"] == code)) for code in overrides}
    assert effects["survey_coverage"] == pytest.approx(3 * 0.1 / 0.7)
    assert effects["program_owner"] == pytest.approx(0.75)
    steps = [c["code"] for c in decision.next_steps(criteria)]
    assert steps == ["touchpoint_owners", "response_rate", "program_owner"]
    assert [c["code"] for c in decision.next_steps(criteria, limit=10)][3:] == [
        "survey_coverage",
        "targets",
        "realised_value",
    ]


def test_met_and_not_applicable_criteria_are_never_next_steps():
    criteria = catalogue({"response_rate": "not_applicable"})
    assert decision.next_steps(criteria) == []
    assert summarize(criteria)["stage"] == "" and summarize(criteria)["blockers"] == []


@pytest.mark.django_db
def test_assess_measures_every_criterion_in_the_catalogue_order(cast_a):
    ProgramSettings.objects.create(organization=cast_a.org, owner=cast_a.cx_manager.user)
    result = assess(cast_a.org, local_today(cast_a.org))
    assert [c["code"] for c in result["criteria"]] == [r.code for r in rules.RULES]
    assert all(c["stage"] == rules.RULES_BY_CODE[c["code"]].stage for c in result["criteria"])
    # An empty program: nothing measured yet, so it is in Engagement, blocked by every unmet engagement criterion.
    assert result["stage"] == "engagement" and result["reached"] == []
    statuses = {c["code"]: c["status"] for c in result["criteria"]}
    assert statuses["response_rate"] == "not_applicable" and statuses["themes_coverage"] == "not_applicable"
    assert statuses["reports_read"] == "not_applicable"
    assert result["blockers"] == [c["code"] for c in decision.blockers(result["criteria"], "engagement")] and set(
        result["blockers"]
    ) == {"survey_coverage", "touchpoint_owners", "journeys_mapped", "program_owner"}
    assert len(result["next_steps"]) == rules.NEXT_STEPS
    assert all(rules.RULES_BY_CODE[code].stage == "engagement" for code in result["next_steps"])
