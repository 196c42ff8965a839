"""Flows through the journey pages, per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from journeys.models import Journey, Persona, Stage, Touchpoint
from tests.factories import JourneyFactory, PersonaFactory, StageFactory, TeamFactory, UserFactory
from tests.journeys.helpers import HX, card, snapshot, stage_names_in_order

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

READ_ONLY_ROLES = [Role.EXECUTIVE, Role.FRONTLINE]
EDITOR_ROLES = [Role.CX_MANAGER, Role.ADMIN]


# -- journey list ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*EDITOR_ROLES, *READ_ONLY_ROLES])
def test_every_member_sees_the_journey_cards_with_counts_owner_and_personas(client_for, cast_a, map_a, role):
    page = client_for(cast_a.member(role)).get(reverse("journeys:journey_list")).content.decode()
    assert map_a.journey.name in page
    assert "2 stages" in page and "3 touchpoints" in page and "1 moment of truth" in page
    assert cast_a.cx_manager.user.username in page
    assert map_a.persona.name in page
    assert reverse("journeys:journey_map", args=[map_a.journey.pk]) in page
    assert (reverse("journeys:journey_create") in page) is (role in EDITOR_ROLES)


def test_archived_journeys_are_listed_only_under_the_archived_filter(client_for, cast_a, map_a):
    old = JourneyFactory(organization=cast_a.org, name="Old billing journey", is_archived=True)
    c = client_for(cast_a.executive)
    active = c.get(reverse("journeys:journey_list")).content.decode()
    archived = c.get(reverse("journeys:journey_list") + "?archived=1").content.decode()
    assert map_a.journey.name in active and old.name not in active
    assert old.name in archived and map_a.journey.name not in archived


# -- journeys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITOR_ROLES)
def test_editor_creates_a_journey_with_owner_and_personas(client_for, cast_a, role):
    persona = PersonaFactory(organization=cast_a.org, name="Student")
    response = client_for(cast_a.member(role)).post(
        reverse("journeys:journey_create"),
        {
            "name": "Move house",
            "description": "From notice to first bill",
            "owner": cast_a.executive.user.pk,
            "personas": [persona.pk],
        },
    )
    journey = Journey.objects.get(name="Move house")
    assert response.status_code == 302
    assert response["Location"] == reverse("journeys:journey_map", args=[journey.pk])
    assert journey.organization == cast_a.org
    assert journey.owner == cast_a.executive.user
    assert list(journey.personas.all()) == [persona]


def test_journey_form_offers_and_accepts_only_the_organizations_personas_and_members(client_for, cast_a, cast_b):
    own = PersonaFactory(organization=cast_a.org, name="Own persona")
    foreign = PersonaFactory(organization=cast_b.org, name="Foreign persona")
    c = client_for(cast_a.cx_manager)
    form_page = c.get(reverse("journeys:journey_create")).content.decode()
    assert own.name in form_page and foreign.name not in form_page
    assert cast_a.frontline.user.username in form_page and cast_b.admin.user.username not in form_page

    response = c.post(reverse("journeys:journey_create"), {"name": "Sneaky", "personas": [foreign.pk]})
    assert response.status_code == 200
    outsider = UserFactory(username="outsider")
    response = c.post(reverse("journeys:journey_create"), {"name": "Sneaky", "owner": outsider.pk})
    assert response.status_code == 200
    response = c.post(reverse("journeys:journey_create"), {"name": "Sneaky", "owner": cast_b.admin.user.pk})
    assert response.status_code == 200
    assert not Journey.objects.filter(name="Sneaky").exists()


def test_cx_manager_edits_a_journey(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    assert map_a.journey.name in c.get(reverse("journeys:journey_edit", args=[map_a.journey.pk])).content.decode()
    response = c.post(
        reverse("journeys:journey_edit", args=[map_a.journey.pk]),
        {"name": "Become a happy customer", "description": "", "owner": "", "personas": []},
    )
    assert response.status_code == 302
    map_a.journey.refresh_from_db()
    assert map_a.journey.name == "Become a happy customer"
    assert map_a.journey.owner is None
    assert not map_a.journey.personas.exists()


def test_cx_manager_archives_and_restores_a_journey(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:journey_archive", args=[map_a.journey.pk])
    c.post(url, {"archived": "1"})
    map_a.journey.refresh_from_db()
    assert map_a.journey.is_archived
    assert Touchpoint.objects.filter(journey=map_a.journey).count() == 3  # nothing deleted
    page = c.get(reverse("journeys:journey_map", args=[map_a.journey.pk])).content.decode()
    assert "Archived" in page and "Restore" in page
    c.post(url, {"archived": "0"})
    map_a.journey.refresh_from_db()
    assert not map_a.journey.is_archived


# -- journey map -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*EDITOR_ROLES, *READ_ONLY_ROLES])
def test_journey_map_shows_stages_in_order_and_touchpoint_cards(client_for, cast_a, map_a, role):
    page = client_for(cast_a.member(role)).get(reverse("journeys:journey_map", args=[map_a.journey.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert stage_names_in_order(html) == ["Join", "First month"]
    signup = card(html, map_a.signup)
    assert 'data-status="insufficient"' in signup  # no answers yet: its score slot says too few responses
    assert "Sign up online" in signup and "bi-globe" in signup and "Web" in signup
    assert cast_a.cx_manager.user.username in signup and cast_a.team.name in signup
    assert 'data-testid="moment-of-truth"' in signup
    assert "<details" in signup and "BankID timeout" in signup
    assert "inactive" not in signup.split(">", 1)[0]
    welcome = card(html, map_a.welcome)
    assert "touchpoint-card shadow-sm inactive" in welcome
    assert 'data-testid="moment-of-truth"' not in welcome
    assert "js/journeys.js" in html


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_see_no_edit_controls(client_for, cast_a, map_a, role):
    c = client_for(cast_a.member(role))
    pages = [
        c.get(reverse("journeys:journey_map", args=[map_a.journey.pk])).content.decode(),
        c.get(reverse("journeys:touchpoint_detail", args=[map_a.signup.pk])).content.decode(),
        c.get(reverse("journeys:persona_list")).content.decode(),
    ]
    for html in pages:
        assert "hx-post" not in html and 'method="post" action="/journeys' not in html
        assert "/edit/" not in html and "Add stage" not in html and "Add touchpoint" not in html


@pytest.mark.parametrize("role", EDITOR_ROLES)
def test_editors_see_edit_controls_on_the_map(client_for, cast_a, map_a, role):
    html = client_for(cast_a.member(role)).get(reverse("journeys:journey_map", args=[map_a.journey.pk])).content
    html = html.decode()
    assert 'data-testid="add-stage"' in html and html.count('data-testid="add-touchpoint"') == 2
    assert reverse("journeys:touchpoint_move", args=[map_a.signup.pk]) in html
    assert reverse("journeys:stage_move", args=[map_a.first.pk]) in html


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_get_403_on_every_write_and_nothing_changes(client_for, cast_a, map_a, role):
    c = client_for(cast_a.member(role))
    j, st, tp, pe = map_a.journey.pk, map_a.first.pk, map_a.signup.pk, map_a.persona.pk
    form_pages = [
        reverse("journeys:journey_create"),
        reverse("journeys:journey_edit", args=[j]),
        reverse("journeys:stage_create", args=[j]),
        reverse("journeys:stage_edit", args=[st]),
        reverse("journeys:touchpoint_create", args=[st]),
        reverse("journeys:touchpoint_edit", args=[tp]),
        reverse("journeys:persona_create"),
        reverse("journeys:persona_edit", args=[pe]),
    ]
    for url in form_pages:
        assert c.get(url).status_code == 403, url
        assert c.get(url, **HX).status_code == 403, url
    posts = [
        (reverse("journeys:journey_create"), {"name": "X"}),
        (reverse("journeys:journey_edit", args=[j]), {"name": "X"}),
        (reverse("journeys:journey_archive", args=[j]), {"archived": "1"}),
        (reverse("journeys:stage_create", args=[j]), {"name": "X"}),
        (reverse("journeys:stage_edit", args=[st]), {"name": "X"}),
        (reverse("journeys:stage_move", args=[st]), {"direction": "right"}),
        (reverse("journeys:stage_delete", args=[map_a.second.pk]), {}),
        (reverse("journeys:touchpoint_create", args=[st]), {"name": "X", "channel": "web", "quick": "1"}),
        (reverse("journeys:touchpoint_edit", args=[tp]), {"name": "X", "stage": st, "channel": "web", "priority": 1}),
        (reverse("journeys:touchpoint_move", args=[tp]), {"direction": "down"}),
        (reverse("journeys:touchpoint_set_active", args=[tp]), {"active": "0"}),
        (reverse("journeys:persona_create"), {"name": "X"}),
        (reverse("journeys:persona_edit", args=[pe]), {"name": "X"}),
        (reverse("journeys:persona_archive", args=[pe]), {"archived": "1"}),
    ]
    before = snapshot()
    for url, data in posts:
        assert c.post(url, data).status_code == 403, url
        assert c.post(url, data, **HX).status_code == 403, url
    assert snapshot() == before


def test_map_fragment_is_returned_to_htmx(client_for, cast_a, map_a):
    response = client_for(cast_a.executive).get(reverse("journeys:journey_map", args=[map_a.journey.pk]), **HX)
    html = response.content.decode()
    assert html.startswith('<div id="journey-map"') and "<html" not in html
    assert "Sign up online" in html


# -- stages ------------------------------------------------------------------------------------------------------


def test_cx_manager_adds_a_stage_inline_with_htmx(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:stage_create", args=[map_a.journey.pk])
    form = c.get(url, **HX).content.decode()
    assert form.startswith("<form") and 'hx-post="' + url in form and "<html" not in form
    response = c.post(url, {"name": "Settle in", "description": "First weeks"}, **HX)
    assert response["HX-Retarget"] == "#journey-map" and response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.startswith('<div id="journey-map"')
    assert stage_names_in_order(html) == ["Join", "First month", "Settle in"]
    stage = Stage.objects.get(name="Settle in")
    assert stage.journey == map_a.journey and stage.organization == cast_a.org and stage.position == 2


def test_invalid_inline_stage_form_comes_back_with_its_error(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    response = c.post(reverse("journeys:stage_create", args=[map_a.journey.pk]), {"name": ""}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert html.startswith("<form") and "invalid-feedback" in html
    assert Stage.objects.filter(journey=map_a.journey).count() == 2


def test_stage_can_be_added_without_javascript(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:stage_create", args=[map_a.journey.pk])
    assert "<html" in c.get(url).content.decode()
    response = c.post(url, {"name": "Renew"})
    assert response.status_code == 302
    assert response["Location"] == reverse("journeys:journey_map", args=[map_a.journey.pk])
    assert Stage.objects.filter(journey=map_a.journey, name="Renew").exists()


def test_cx_manager_renames_a_stage_inline(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:stage_edit", args=[map_a.first.pk])
    assert 'value="Join"' in c.get(url, **HX).content.decode()
    html = c.post(url, {"name": "Sign-up", "description": ""}, **HX).content.decode()
    assert stage_names_in_order(html) == ["Sign-up", "First month"]
    map_a.first.refresh_from_db()
    assert map_a.first.name == "Sign-up" and map_a.first.position == 0


def test_only_an_empty_stage_can_be_deleted(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    response = c.post(reverse("journeys:stage_delete", args=[map_a.first.pk]), **HX)
    assert response.status_code == 409
    assert Stage.objects.filter(pk=map_a.first.pk).exists()
    empty = StageFactory(journey=map_a.journey, name="Empty", position=7)
    html = c.post(reverse("journeys:stage_delete", args=[empty.pk]), **HX).content.decode()
    assert stage_names_in_order(html) == ["Join", "First month"]
    assert not Stage.objects.filter(pk=empty.pk).exists()


# -- touchpoints -------------------------------------------------------------------------------------------------


def test_cx_manager_adds_a_touchpoint_inline_and_sees_it_last_in_its_stage(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:touchpoint_create", args=[map_a.first.pk])
    form = c.get(url, **HX).content.decode()
    assert form.startswith("<form") and 'name="quick"' in form
    assert f'id="tp-new-{map_a.first.pk}-name"' in form
    response = c.post(
        url,
        {
            "quick": "1",
            "name": "Order confirmation",
            "channel": "email",
            "owner": cast_a.frontline.user.pk,
            "responsible_team": cast_a.team.pk,
            "is_moment_of_truth": "on",
        },
        **HX,
    )
    html = response.content.decode()
    assert response["HX-Retarget"] == "#journey-map"
    tp = Touchpoint.objects.get(name="Order confirmation")
    assert (tp.stage, tp.journey, tp.organization, tp.position) == (map_a.first, map_a.journey, cast_a.org, 2)
    assert tp.owner == cast_a.frontline.user and tp.responsible_team == cast_a.team and tp.is_moment_of_truth
    assert "bi-envelope" in card(html, tp)


def test_cx_manager_creates_a_touchpoint_on_the_full_page(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:touchpoint_create", args=[map_a.second.pk])
    page = c.get(url).content.decode()
    assert "<html" in page and "Known pain points" in page
    response = c.post(
        url,
        {
            "stage": map_a.second.pk,
            "name": "Payment reminder",
            "channel": "letter",
            "pain_points": "Harsh tone",
            "priority": 70,
            "is_active": "on",
        },
    )
    tp = Touchpoint.objects.get(name="Payment reminder")
    assert response["Location"] == reverse("journeys:touchpoint_detail", args=[tp.pk])
    assert tp.stage == map_a.second and tp.priority == 70 and tp.is_active and tp.pain_points == "Harsh tone"


def test_touchpoint_detail_shows_its_fields(client_for, cast_a, map_a):
    html = client_for(cast_a.frontline).get(reverse("journeys:touchpoint_detail", args=[map_a.signup.pk]))
    html = html.content.decode()
    for text in [
        "Sign up online",
        "Join",
        map_a.journey.name,
        "Web",
        cast_a.team.name,
        "Address lookup fails",
        "Moment of truth",
    ]:
        assert text in html


def test_editing_a_touchpoint_into_another_journeys_stage_moves_its_journey_too(client_for, cast_a, map_a):
    other = StageFactory(journey=JourneyFactory(organization=cast_a.org, name="Leave us"), name="Notice", position=0)
    c = client_for(cast_a.cx_manager)
    response = c.post(
        reverse("journeys:touchpoint_edit", args=[map_a.signup.pk]),
        {"stage": other.pk, "name": "Sign up online", "channel": "web", "priority": 50, "is_active": "on"},
    )
    assert response.status_code == 302
    map_a.signup.refresh_from_db()
    assert map_a.signup.stage == other and map_a.signup.journey == other.journey and map_a.signup.position == 0
    # The stage it left is renumbered densely.
    assert list(Touchpoint.objects.filter(stage=map_a.first).values_list("name", "position")) == [("Welcome call", 0)]


def test_touchpoint_form_accepts_only_the_organizations_stages_teams_and_members(client_for, cast_a, cast_b, map_a):
    foreign_stage = StageFactory(journey=JourneyFactory(organization=cast_b.org))
    foreign_team = TeamFactory(organization=cast_b.org, name="Foreign team")
    c = client_for(cast_a.cx_manager)
    page = c.get(reverse("journeys:touchpoint_edit", args=[map_a.signup.pk])).content.decode()
    assert "Foreign team" not in page and foreign_stage.name not in page
    base = {"stage": map_a.first.pk, "name": "Hijacked", "channel": "web", "priority": 50}
    url = reverse("journeys:touchpoint_edit", args=[map_a.signup.pk])
    for bad in [{"stage": foreign_stage.pk}, {"responsible_team": foreign_team.pk}, {"owner": cast_b.admin.user.pk}]:
        response = c.post(url, {**base, **bad})
        assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    map_a.signup.refresh_from_db()
    assert map_a.signup.name == "Sign up online" and map_a.signup.responsible_team == cast_a.team


def test_cx_manager_deactivates_and_reactivates_a_touchpoint(client_for, cast_a, map_a):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:touchpoint_set_active", args=[map_a.signup.pk])
    c.post(url, {"active": "0"})
    map_a.signup.refresh_from_db()
    assert not map_a.signup.is_active
    html = c.post(url, {"active": "1"}, **HX).content.decode()
    map_a.signup.refresh_from_db()
    assert map_a.signup.is_active
    assert "inactive" not in card(html, map_a.signup).split(">", 1)[0]


# -- personas ----------------------------------------------------------------------------------------------------


def test_cx_manager_creates_edits_archives_and_restores_a_persona(client_for, cast_a):
    c = client_for(cast_a.cx_manager)
    c.post(reverse("journeys:persona_create"), {"name": "Small business", "goals": "No downtime"})
    persona = Persona.objects.get(name="Small business")
    assert persona.organization == cast_a.org
    assert "Small business" in c.get(reverse("journeys:persona_list")).content.decode()
    c.post(reverse("journeys:persona_edit", args=[persona.pk]), {"name": "Small firm", "goals": "No downtime"})
    c.post(reverse("journeys:persona_archive", args=[persona.pk]), {"archived": "1"})
    persona.refresh_from_db()
    assert persona.name == "Small firm" and persona.is_archived
    assert "Small firm" not in c.get(reverse("journeys:persona_list")).content.decode()
    assert "Small firm" in c.get(reverse("journeys:persona_list") + "?archived=1").content.decode()
    assert "Small firm" not in c.get(reverse("journeys:journey_create")).content.decode()
    c.post(reverse("journeys:persona_archive", args=[persona.pk]), {"archived": "0"})
    persona.refresh_from_db()
    assert not persona.is_archived


def test_persona_names_are_unique_within_an_organization_only(client_for, cast_a, cast_b):
    PersonaFactory(organization=cast_a.org, name="Senior")
    PersonaFactory(organization=cast_b.org, name="Student")
    c = client_for(cast_a.cx_manager)
    response = c.post(reverse("journeys:persona_create"), {"name": "senior"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert c.post(reverse("journeys:persona_create"), {"name": "Student"}).status_code == 302
    assert Persona.objects.filter(name="Student").count() == 2


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_read_personas(client_for, cast_a, map_a, role):
    html = client_for(cast_a.member(role)).get(reverse("journeys:persona_list")).content.decode()
    assert map_a.persona.name in html
