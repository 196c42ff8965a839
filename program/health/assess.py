"""`assess(organization, as_of)`: the program's health on one date, read from the platform's own data.

Pure in the sense that matters: it only reads (about 25 queries, none growing with the number of rows it counts) and
returns JSON-ready data; `services.health_snapshot_upsert` stores it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from program.health import decision
from program.health.measures import criteria_functions
from program.health.window import Window

if TYPE_CHECKING:
    from accounts.models import Organization


def assess(organization: Organization, as_of: dt.date) -> dict:
    """{"as_of", "criteria", "scores", "stage", "blockers", "next_steps"} (criteria as in HealthSnapshot.criteria;
    blockers and next steps as criterion codes)."""
    window = Window(organization=organization, as_of=as_of)
    criteria = [measure(window) for measure in criteria_functions()]
    return summarize(criteria, as_of=as_of)


def summarize(criteria: list[dict], *, as_of: dt.date | None = None) -> dict:
    """The stage decision over stored or fresh criteria (the page uses it on snapshots too)."""
    scores = decision.stage_scores(criteria)
    stage = decision.current_stage(scores)
    return {
        "as_of": as_of,
        "criteria": criteria,
        "scores": scores,
        "stage": stage,
        "reached": decision.reached_stages(scores),
        "blockers": [c["code"] for c in decision.blockers(criteria, stage)] if stage else [],
        "still_needed": decision.still_needed(criteria, stage) if stage else 0,
        "next_steps": [c["code"] for c in decision.next_steps(criteria)],
    }
