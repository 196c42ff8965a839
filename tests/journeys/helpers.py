"""Small readers for journey pages and database state, shared by the journeys tests."""

from __future__ import annotations

import re

from journeys.models import Journey, Persona, Stage, Touchpoint

HX = {"HTTP_HX_REQUEST": "true"}


def card(html: str, touchpoint: Touchpoint) -> str:
    """The HTML of one touchpoint card on the map."""
    match = re.search(rf'<article[^>]*data-touchpoint-id="{touchpoint.pk}".*?</article>', html, re.S)
    assert match, f"no card for {touchpoint}"
    return match.group(0)


def stage_names_in_order(html: str) -> list[str]:
    return re.findall(r'<h2 class="h6 mb-0" id="stage-\d+-title"><span[^>]*>\d+\.</span> ([^<]+)</h2>', html)


def snapshot() -> list:
    """Everything a journeys write could change, to assert that a refused request changed nothing."""
    return [
        list(Journey.objects.order_by("pk").values_list("pk", "name", "is_archived", "owner_id", "updated_at")),
        list(Stage.objects.order_by("pk").values_list("pk", "name", "position", "journey_id")),
        list(
            Touchpoint.objects.order_by("pk").values_list(
                "pk", "name", "position", "stage_id", "journey_id", "is_active", "updated_at"
            )
        ),
        list(Persona.objects.order_by("pk").values_list("pk", "name", "is_archived")),
    ]
