"""The stage decision and the next steps, as pure functions over criterion dicts (no database).

A criterion dict: {"code", "stage", "status" (met / not_met / not_applicable), "value", "threshold", "evidence",
"url"} (see program.models.HealthSnapshot).
"""

from __future__ import annotations

import math

from program.health.rules import NEXT_STEPS, RULES_BY_CODE, STAGE_REACHED_SCORE, STAGES

MET, NOT_MET, NOT_APPLICABLE = "met", "not_met", "not_applicable"


def stage_scores(criteria: list[dict]) -> dict[str, float | None]:
    """Per stage: the share of its applicable criteria that are met (None when none applies)."""
    scores: dict[str, float | None] = {}
    for stage in STAGES:
        applicable = [c for c in criteria if c["stage"] == stage and c["status"] != NOT_APPLICABLE]
        scores[stage] = sum(c["status"] == MET for c in applicable) / len(applicable) if applicable else None
    return scores


def reached_stages(scores: dict[str, float | None]) -> list[str]:
    """The stages reached, in order: each needs its own score at the bar and every earlier stage reached (a strong
    Integration score does not count while Engagement is missing). A stage with nothing applicable is not reached."""
    reached = []
    for stage in STAGES:
        score = scores.get(stage)
        if score is None or score < STAGE_REACHED_SCORE:
            break
        reached.append(stage)
    return reached


def current_stage(scores: dict[str, float | None]) -> str:
    """The stage the program is in: the first not reached ("" when all four are)."""
    reached = reached_stages(scores)
    return STAGES[len(reached)] if len(reached) < len(STAGES) else ""


def blockers(criteria: list[dict], stage: str) -> list[dict]:
    """What keeps `stage` from being reached: its unmet criteria, those with most effect first."""
    return sorted((c for c in criteria if c["stage"] == stage and c["status"] == NOT_MET), key=lambda c: -effect(c))


def still_needed(criteria: list[dict], stage: str) -> int:
    """How many more of the stage's criteria must be met to reach it (0 when its score is at the bar)."""
    applicable = [c for c in criteria if c["stage"] == stage and c["status"] != NOT_APPLICABLE]
    met = sum(c["status"] == MET for c in applicable)
    return max(math.ceil(STAGE_REACHED_SCORE * len(applicable) - 1e-9) - met, 0)


def distance(criterion: dict) -> float:
    """How far an unmet criterion is from its threshold, 0 (there) to 1 (nothing yet)."""
    if criterion["status"] != NOT_MET:
        return 0.0
    value, threshold = criterion.get("value"), criterion.get("threshold")
    rule = RULES_BY_CODE.get(criterion["code"])
    if value is None or not threshold or (rule is not None and rule.kind == "amount"):
        return 1.0
    if rule is not None and rule.kind == "flag":
        return min(max(1.0 - float(value), 0.0), 1.0)
    return min(max((float(threshold) - float(value)) / float(threshold), 0.0), 1.0)


def effect(criterion: dict) -> float:
    rule = RULES_BY_CODE.get(criterion["code"])
    return (rule.weight if rule is not None else 1.0) * distance(criterion)


def next_steps(criteria: list[dict], limit: int = NEXT_STEPS) -> list[dict]:
    """The unmet criteria with most effect: earlier stages first (a stage counts only once the ones before it are
    reached), then by weight x distance to the threshold; ties keep the catalogue's order."""
    order = {stage: i for i, stage in enumerate(STAGES)}
    unmet = [(i, c) for i, c in enumerate(criteria) if c["status"] == NOT_MET]
    unmet.sort(key=lambda item: (order.get(item[1]["stage"], len(STAGES)), -effect(item[1]), item[0]))
    return [c for _, c in unmet[:limit]]
