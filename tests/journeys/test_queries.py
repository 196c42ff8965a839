"""The journey map and list render in a fixed number of queries, however big the program is."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from tests.factories import JourneyFactory, PersonaFactory, StageFactory, TeamFactory, TouchpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# Session, user, membership, its teams, the nav's memberships, then the page's own reads; the scores of all
# touchpoints at once: the primary metric's KPI, the period's and the previous period's sums, the targets.
MAP_MAX_QUERIES = 12
LIST_MAX_QUERIES = 7


def build_journey(cast, *, stages: int, touchpoints: int, name: str):
    journey = JourneyFactory(organization=cast.org, name=name, owner=cast.cx_manager.user)
    journey.personas.add(*(PersonaFactory(organization=cast.org) for _ in range(2)))
    for s in range(stages):
        stage = StageFactory(journey=journey, position=s)
        team = TeamFactory(organization=cast.org)
        for t in range(touchpoints):
            TouchpointFactory(
                stage=stage,
                position=t,
                owner=cast.member(Role.values[t % 4]).user,
                responsible_team=team,
                pain_points="Slow" if t % 2 else "",
                is_moment_of_truth=t == 0,
                is_active=t != 3,
            )
    return journey


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.EXECUTIVE])
def test_journey_map_query_count_does_not_grow_with_stages_and_touchpoints(
    client_for, cast_a, django_assert_max_num_queries, role
):
    small = build_journey(cast_a, stages=1, touchpoints=1, name="Small")
    big = build_journey(cast_a, stages=5, touchpoints=8, name="Big")
    c = client_for(cast_a.member(role))
    c.get(reverse("home"))  # settle the session's current organization first
    small_count = count_queries(c, reverse("journeys:journey_map", args=[small.pk]))
    with django_assert_max_num_queries(MAP_MAX_QUERIES):
        response = c.get(reverse("journeys:journey_map", args=[big.pk]))
    assert response.content.decode().count("data-touchpoint-id=") == 40
    assert count_queries(c, reverse("journeys:journey_map", args=[big.pk])) == small_count


def test_journey_map_fragment_after_a_move_is_bounded_too(client_for, cast_a, django_assert_max_num_queries):
    big = build_journey(cast_a, stages=5, touchpoints=8, name="Big")
    c = client_for(cast_a.cx_manager)
    c.get(reverse("home"))
    tp = big.touchpoints.order_by("stage__position", "position").first()
    # The move itself is a handful of writes; the re-rendered map must not add one query per card.
    with django_assert_max_num_queries(MAP_MAX_QUERIES + 6):
        response = c.post(
            reverse("journeys:touchpoint_move", args=[tp.pk]), {"direction": "down"}, HTTP_HX_REQUEST="true"
        )
    assert response.content.decode().count("data-touchpoint-id=") == 40


def test_journey_list_query_count_does_not_grow_with_journeys(client_for, cast_a, django_assert_max_num_queries):
    c = client_for(cast_a.executive)
    c.get(reverse("home"))
    build_journey(cast_a, stages=1, touchpoints=1, name="Only")
    one = count_queries(c, reverse("journeys:journey_list"))
    for i in range(6):
        build_journey(cast_a, stages=3, touchpoints=4, name=f"Journey {i}")
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        page = c.get(reverse("journeys:journey_list")).content.decode()
    assert page.count("data-journey-id=") == 7
    assert "12 touchpoints" in page
    assert count_queries(c, reverse("journeys:journey_list")) == one
