"""Writes of how a journey's score is made from its touchpoints: the journey's method and each touchpoint's weight.

Kept apart from `journeys.services` (whose field lists stay as they are) so the views can call these after the
usual create or update; both only ever touch the one row they are given.
"""

from __future__ import annotations

from audit import actions as audit_actions
from audit.services import audit_record
from journeys.models import Journey, Touchpoint


def journey_set_score_method(*, journey: Journey, method: str) -> Journey:
    if method not in Journey.ScoreMethod.values:
        raise ValueError(f"Unknown score method {method!r}.")
    if journey.score_method != method:
        changes = {"score_method": {"old": journey.score_method, "new": method}}
        journey.score_method = method
        journey.save(update_fields=["score_method", "updated_at"])
        # The actor is the request's (audit.context): these writes are given no context.
        audit_record(
            action=audit_actions.JOURNEY_SCORE_METHOD_CHANGE,
            organization=journey.organization_id,
            target=journey,
            detail={"changes": changes},
        )
    return journey


def touchpoint_set_score_weight(*, touchpoint: Touchpoint, weight: float | None) -> Touchpoint:
    """Set the touchpoint's weight in a weighted journey score (None: not weighted, left out)."""
    if weight is not None and weight < 0:
        raise ValueError("A weight cannot be negative.")
    if touchpoint.score_weight != weight:
        changes = {"score_weight": {"old": touchpoint.score_weight, "new": weight}}
        touchpoint.score_weight = weight
        touchpoint.save(update_fields=["score_weight", "updated_at"])
        audit_record(
            action=audit_actions.TOUCHPOINT_WEIGHT_CHANGE,
            organization=touchpoint.organization_id,
            target=touchpoint,
            detail={"changes": changes, "journey": touchpoint.journey_id},
        )
    return touchpoint
