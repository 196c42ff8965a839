"""Reordering stages and touchpoints: the buttons on the map and the services behind them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.scoping import context_for_membership
from journeys import services
from journeys.models import Stage, Touchpoint
from tests.factories import JourneyFactory, StageFactory, TouchpointFactory
from tests.journeys.helpers import HX, stage_names_in_order

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def stage_order(journey) -> list[tuple[str, int]]:
    return list(Stage.objects.filter(journey=journey).order_by("position", "pk").values_list("name", "position"))


def touchpoint_order(stage) -> list[tuple[str, int]]:
    return list(Touchpoint.objects.filter(stage=stage).order_by("position", "pk").values_list("name", "position"))


def test_moving_a_stage_right_swaps_it_with_its_neighbour_and_rerenders_the_map(client_for, cast_a, map_a):
    third = StageFactory(journey=map_a.journey, name="Stay", position=2)
    c = client_for(cast_a.cx_manager)
    response = c.post(reverse("journeys:stage_move", args=[map_a.first.pk]), {"direction": "right"}, **HX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#journey-map"
    assert stage_order(map_a.journey) == [("First month", 0), ("Join", 1), ("Stay", 2)]
    assert stage_names_in_order(html) == ["First month", "Join", "Stay"]
    c.post(reverse("journeys:stage_move", args=[third.pk]), {"direction": "left"}, **HX)
    assert stage_order(map_a.journey) == [("First month", 0), ("Stay", 1), ("Join", 2)]
    # The touchpoints travel with their stage.
    assert touchpoint_order(map_a.first) == [("Sign up online", 0), ("Welcome call", 1)]


def test_moving_a_stage_past_either_end_changes_nothing(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    c.post(reverse("journeys:stage_move", args=[map_a.first.pk]), {"direction": "left"}, **HX)
    c.post(reverse("journeys:stage_move", args=[map_a.second.pk]), {"direction": "right"}, **HX)
    assert stage_order(map_a.journey) == [("Join", 0), ("First month", 1)]


def test_moving_a_touchpoint_down_and_up_swaps_it_within_its_stage(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    c.post(reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "down"}, **HX)
    assert touchpoint_order(map_a.first) == [("Welcome call", 0), ("Sign up online", 1)]
    c.post(reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "down"}, **HX)
    assert touchpoint_order(map_a.first) == [("Welcome call", 0), ("Sign up online", 1)]
    html = c.post(reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "up"}, **HX).content
    assert touchpoint_order(map_a.first) == [("Sign up online", 0), ("Welcome call", 1)]
    html = html.decode()
    assert html.index(f'data-touchpoint-id="{map_a.signup.pk}"') < html.index(
        f'data-touchpoint-id="{map_a.welcome.pk}"'
    )


def test_moving_a_touchpoint_right_puts_it_last_in_the_next_stage(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    c.post(reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "right"}, **HX)
    assert touchpoint_order(map_a.first) == [("Welcome call", 0)]
    assert touchpoint_order(map_a.second) == [("First invoice", 0), ("Sign up online", 1)]
    map_a.signup.refresh_from_db()
    assert map_a.signup.journey_id == map_a.journey.pk
    c.post(reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "right"}, **HX)
    assert touchpoint_order(map_a.second) == [("First invoice", 0), ("Sign up online", 1)]
    c.post(reverse("journeys:touchpoint_move", args=[map_a.first_bill.pk]), {"direction": "left"}, **HX)
    assert touchpoint_order(map_a.first) == [("Welcome call", 0), ("First invoice", 1)]
    assert touchpoint_order(map_a.second) == [("Sign up online", 0)]


def test_move_without_javascript_redirects_back_to_the_map(client_for, cast_a, map_a):
    response = client_for(cast_a.cx_manager).post(
        reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "down"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("journeys:journey_map", args=[map_a.journey.pk])
    assert touchpoint_order(map_a.first)[0] == ("Welcome call", 0)


def test_an_unknown_direction_is_a_bad_request(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    assert (
        c.post(reverse("journeys:touchpoint_move", args=[map_a.signup.pk]), {"direction": "sideways"}).status_code
        == 400
    )
    assert c.post(reverse("journeys:stage_move", args=[map_a.first.pk]), {"direction": "up"}).status_code == 400
    assert touchpoint_order(map_a.first) == [("Sign up online", 0), ("Welcome call", 1)]


def test_reordering_repairs_duplicate_positions(cast_a):
    stage = StageFactory(journey=JourneyFactory(organization=cast_a.org))
    last = [TouchpointFactory(stage=stage, name=n, position=0) for n in "abc"][-1]
    services.touchpoint_move(touchpoint=last, direction="up")
    assert touchpoint_order(stage) == [("a", 0), ("c", 1), ("b", 2)]


def test_moving_a_touchpoint_to_another_journeys_stage_keeps_journey_equal_to_the_stages(cast_a, map_a):
    other = StageFactory(journey=JourneyFactory(organization=cast_a.org), name="Elsewhere")
    services.touchpoint_update(touchpoint=map_a.welcome, data={"stage": other, "name": "Welcome call (moved)"})
    map_a.welcome.refresh_from_db()
    assert map_a.welcome.stage == other and map_a.welcome.journey == other.journey
    assert map_a.welcome.name == "Welcome call (moved)"


def test_services_refuse_rows_of_another_organization(cast_a, cast_b, map_a):
    ctx_a = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    foreign_stage = StageFactory(journey=JourneyFactory(organization=cast_b.org))
    with pytest.raises(ValueError):
        services.touchpoint_move_to_stage(touchpoint=map_a.signup, stage=foreign_stage)
    with pytest.raises(ValueError):
        services.touchpoint_create(ctx=ctx_a, stage=foreign_stage, name="x")
    with pytest.raises(ValueError):
        services.touchpoint_create(ctx=ctx_a, stage=map_a.first, name="x", owner=cast_b.admin.user)
    with pytest.raises(ValueError):
        services.touchpoint_update(touchpoint=map_a.signup, data={"responsible_team": cast_b.team})
    with pytest.raises(ValueError):
        services.stage_create(ctx=ctx_a, journey=foreign_stage.journey, name="x")
    map_a.signup.refresh_from_db()
    assert map_a.signup.stage == map_a.first and map_a.signup.responsible_team == cast_a.team
