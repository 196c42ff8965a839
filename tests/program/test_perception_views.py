"""The perception pages and API for every role, and for members and API keys of another organization."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from program.models import Audience, PerceptionSurvey, importance_code, perceived_code
from program.perception import selectors
from program.perception.services import perception_survey_create
from surveys.models import SurveyLink
from tests.program.test_perception import TODAY, make_world, plant_customers, rng_scores, staff_respond

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE, Role.FRONTLINE]


def gap_world(cast, *, frontline: bool = False):
    """Onboarding: leaders predict 9 at the technician visit (customers give about 6: a blind spot), about right at
    the web order, and the first invoice has too few customer answers to compare."""
    world = make_world(cast)
    web, visit, invoice = world.touchpoints
    plant_customers(cast.org, web, "nps", rng_scores(1, 120, 8.0, 1.5, 0, 10), end=TODAY)
    plant_customers(cast.org, visit, "nps", rng_scores(2, 300, 6.0, 2.0, 0, 10), end=TODAY)
    plant_customers(cast.org, invoice, "nps", rng_scores(3, 12, 6.0, 2.0, 0, 10), end=TODAY)
    leaders = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    rows = [
        {
            perceived_code(web.pk): [8, 8, 7, 9][i % 4],
            perceived_code(visit.pk): [9, 10, 9, 8][i % 4],
            perceived_code(invoice.pk): 9,
            importance_code(web.pk): 5,
            importance_code(visit.pk): 3,
        }
        for i in range(12)
    ]
    staff_respond(leaders, rows, on=TODAY)
    world.leaders = leaders
    if frontline:
        world.frontline = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.FRONTLINE)
        staff_respond(world.frontline, [{perceived_code(visit.pk): v} for v in (6, 7, 6, 7, 6)], on=TODAY)
    return world


def client_of(client_for, cast, role):
    return client_for(cast.member(role))


def key_client(cast, *, read_only: bool = False) -> APIClient:
    _key, raw = api_key_create(
        ctx=context_for_membership(cast.admin, user=cast.admin.user), name="program", read_only=read_only
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def api_session(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# -- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_list_and_the_gap_page_with_the_blind_spot(client_for, cast_a, role):
    world = gap_world(cast_a)
    client = client_of(client_for, cast_a, role)
    listing = client.get(reverse("program:perception_list"))
    assert listing.status_code == 200
    page = text(listing)
    assert world.leaders.survey.name in page and "Onboarding" in page
    assert 'data-testid="response-count">12<' in page
    assert ("perception-new" in page) == (role in (Role.ADMIN, Role.CX_MANAGER))

    response = client.get(reverse("program:perception_detail", args=[world.leaders.pk]))
    assert response.status_code == 200
    page = text(response)
    blind = re.findall(r'data-testid="blind-spot" data-touchpoint="(\d+)"', page)
    assert blind == [str(world.touchpoints[1].pk)]
    assert "Leaders predict 9.0, customers give" in page and "unlikely to be chance (p" in page
    assert "n = 300" in page and "n = 12" in page
    invoice_row = re.search(rf'data-touchpoint="{world.touchpoints[2].pk}" data-kind="(\w+)"', page)
    assert invoice_row.group(1) == "insufficient" and "fewer than 30 customer answers: not shown" in page
    assert 'data-plotly="perception-chart-1"' in page
    figure = json.loads(re.search(r'id="perception-chart-1"[^>]*>(.*?)</script>', response.content.decode(), re.S)[1])
    names = [trace.get("name") for trace in figure["data"]]
    assert "Customers (actual)" in names and "Leaders (predicted)" in names
    assert "The value model has not been run yet" in page and reverse("value:dashboard") in page


def share_path(perception) -> str:
    """The path of the survey's anonymous link (what anyone holding it can answer the staff survey with)."""
    link = SurveyLink.objects.get(survey_id=perception.survey_id, is_active=True, touchpoint__isnull=True)
    return reverse("public:link", args=[link.token])


@pytest.mark.parametrize("role", ROLES)
def test_only_program_editors_see_the_anonymous_link_others_see_that_one_exists(client_for, cast_a, role):
    world = gap_world(cast_a)
    path = share_path(world.leaders)
    editor = role in (Role.ADMIN, Role.CX_MANAGER)
    client = client_of(client_for, cast_a, role)
    for url in (reverse("program:perception_list"), reverse("program:perception_detail", args=[world.leaders.pk])):
        page = text(client.get(url))
        assert (path in page) == editor, url
        assert ('data-testid="share-url"' in page) == editor
        assert ('data-testid="share-hidden"' in page) == (not editor)
        assert world.leaders.survey.name in page
    listing = text(client.get(reverse("program:perception_list")))
    assert ("Active; CX managers and admins share it" in listing) == (not editor)
    assert "No active link" not in listing


@pytest.mark.parametrize("role", ROLES)
def test_a_revoked_link_reads_no_active_link_for_every_role(client_for, cast_a, role):
    world = gap_world(cast_a)
    SurveyLink.objects.filter(survey_id=world.leaders.survey_id).update(is_active=False)
    client = client_of(client_for, cast_a, role)
    listing = text(client.get(reverse("program:perception_list")))
    assert "No active link" in listing and 'data-testid="share-hidden"' not in listing
    detail = text(client.get(reverse("program:perception_detail", args=[world.leaders.pk])))
    assert 'data-testid="share-url"' not in detail and 'data-testid="share-hidden"' not in detail


def test_the_page_sets_frontline_predictions_beside_the_leaders(client_for, cast_a):
    world = gap_world(cast_a, frontline=True)
    page = text(client_for(cast_a.executive).get(reverse("program:perception_detail", args=[world.leaders.pk])))
    assert "Frontline staff predict" in page and "6.4" in page
    assert reverse("program:perception_detail", args=[world.frontline.pk]) in page


def test_the_window_filter_changes_the_customers_compared(client_for, cast_a):
    world = gap_world(cast_a)
    url = reverse("program:perception_detail", args=[world.leaders.pk])
    old = (TODAY - dt.timedelta(days=400)).isoformat(), (TODAY - dt.timedelta(days=300)).isoformat()
    page = text(client_for(cast_a.executive).get(url, {"start": old[0], "end": old[1]}))
    assert 'data-testid="no-blind-spots"' in page and "n = 300" not in page
    bad = client_for(cast_a.executive).get(url, {"start": old[1], "end": old[0]})
    assert bad.status_code == 200 and "The end comes before the start." in text(bad)


def test_the_pages_read_in_a_fixed_number_of_queries(client_for, cast_a, django_assert_max_num_queries):
    world = gap_world(cast_a, frontline=True)
    client = client_for(cast_a.cx_manager)
    url = reverse("program:perception_detail", args=[world.leaders.pk])
    client.get(url)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
    listing = reverse("program:perception_list")
    client.get(listing)
    with django_assert_max_num_queries(12):
        assert client.get(listing).status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER])
def test_cx_managers_and_admins_create_a_perception_survey_from_the_form(client_for, cast_a, role):
    world = gap_world(cast_a)
    client = client_of(client_for, cast_a, role)
    url = reverse("program:perception_create")
    form = client.get(url)
    assert form.status_code == 200 and "Technician visit" in text(form)
    visit = world.touchpoints[1]
    response = client.post(
        url, {"journey": world.journey.pk, "audience": Audience.FRONTLINE, "touchpoints": [visit.pk], "name": "Agents"}
    )
    created = PerceptionSurvey.objects.get(survey__name="Agents")
    assert response.status_code == 302 and response.url == reverse("program:perception_detail", args=[created.pk])
    assert created.audience == Audience.FRONTLINE and list(created.items.values_list("touchpoint_id", flat=True)) == [
        visit.pk
    ]


def test_the_form_refuses_touchpoints_of_another_journey(client_for, cast_a):
    world = gap_world(cast_a)
    from tests.factories import JourneyFactory

    other = JourneyFactory(organization=cast_a.org, name="Support")
    response = client_for(cast_a.cx_manager).post(
        reverse("program:perception_create"),
        {"journey": other.pk, "audience": Audience.LEADERSHIP, "touchpoints": [world.touchpoints[0].pk]},
    )
    assert response.status_code == 200 and "Tick touchpoints of the chosen journey only." in text(response)
    assert PerceptionSurvey.objects.count() == 1


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FRONTLINE])
def test_executives_and_frontline_cannot_create(client_for, cast_a, role):
    world = gap_world(cast_a)
    client = client_of(client_for, cast_a, role)
    url = reverse("program:perception_create")
    assert client.get(url).status_code == 403
    post = client.post(url, {"journey": world.journey.pk, "audience": Audience.LEADERSHIP})
    assert post.status_code == 403 and PerceptionSurvey.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_another_organizations_member_gets_404_and_sees_nothing(client_for, cast_a, cast_b, role):
    world = gap_world(cast_a)
    client = client_of(client_for, cast_b, role)
    assert client.get(reverse("program:perception_detail", args=[world.leaders.pk])).status_code == 404
    listing = text(client.get(reverse("program:perception_list")))
    assert world.leaders.survey.name not in listing and "Technician visit" not in listing
    if role in (Role.ADMIN, Role.CX_MANAGER):
        form = client.get(reverse("program:perception_create"))
        assert "Technician visit" not in text(form)
        post = client.post(
            reverse("program:perception_create"), {"journey": world.journey.pk, "audience": "leadership"}
        )
        assert post.status_code == 200 and PerceptionSurvey.objects.count() == 1  # not a choice: refused


# -- API -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [*ROLES, "key"])
def test_the_api_lists_surveys_and_serves_the_gap_to_every_role_and_api_key(cast_a, who):
    world = gap_world(cast_a, frontline=True)
    client = key_client(cast_a) if who == "key" else api_session(cast_a.member(who))
    listing = client.get(reverse("program-perception-list"))
    assert listing.status_code == 200, listing.content
    rows = {row["id"]: row for row in listing.json()["results"]}
    assert set(rows) == {world.leaders.pk, world.frontline.pk}
    leaders = rows[world.leaders.pk]
    assert leaders["responses"] == 12 and leaders["audience"] == "leadership" and leaders["has_share_link"] is True
    assert [i["touchpoint"] for i in leaders["items"]] == [tp.pk for tp in world.touchpoints]

    response = client.get(reverse("program-perception-gap", args=[world.leaders.pk]))
    assert response.status_code == 200, response.content
    data = response.json()
    visit, invoice = world.touchpoints[1].pk, world.touchpoints[2].pk
    assert data["blind_spots"] == [visit] and data["min_staff_answers"] == 3 and data["min_n"] == 30
    items = {item["touchpoint"]: item for item in data["items"]}
    gap = selectors.perception_gap(ctx=world.ctx, perception=world.leaders)
    expected = gap.by_touchpoint[visit].comparison
    assert items[visit]["predicted"]["mean"] == pytest.approx(expected.predicted_mean)
    assert items[visit]["actual"] == {
        "n": 300,
        "mean": pytest.approx(expected.actual_mean),
        "margin_of_error": pytest.approx(expected.actual_moe),
    }
    assert items[visit]["p_value"] == pytest.approx(expected.p_value) and items[visit]["kind"] == "blind_spot"
    assert items[visit]["t"] == pytest.approx(expected.t) and items[visit]["df"] == pytest.approx(expected.df)
    assert "z" not in items[visit]
    assert items[visit]["other_predicted"]["mean"] == pytest.approx(6.4)
    assert items[invoice]["actual"]["mean"] is None and items[invoice]["kind"] == "insufficient"
    assert data["importance"]["status"] == "no_snapshot"
    assert data["other"] == {"id": world.frontline.pk, "audience": "frontline", "responses": 5}


@pytest.mark.parametrize("who", [*ROLES, "key", "read-only key"])
def test_the_api_returns_the_anonymous_link_only_to_program_editors_and_keys_that_may_write(cast_a, who):
    world = gap_world(cast_a)
    if who in ("key", "read-only key"):
        client = key_client(cast_a, read_only=who == "read-only key")
    else:
        client = api_session(cast_a.member(who))
    editor = who in (Role.ADMIN, Role.CX_MANAGER, "key")
    response = client.get(reverse("program-perception-list"))
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["has_share_link"] is True
    if editor:
        assert row["share_url"].endswith(share_path(world.leaders))
    else:
        assert row["share_url"] is None
        assert share_path(world.leaders) not in response.content.decode()
    gap = client.get(reverse("program-perception-gap", args=[world.leaders.pk]))
    assert gap.status_code == 200 and share_path(world.leaders) not in gap.content.decode()


def test_the_api_says_when_there_is_no_active_link(cast_a):
    world = gap_world(cast_a)
    SurveyLink.objects.filter(survey_id=world.leaders.survey_id).update(is_active=False)
    editor = key_client(cast_a).get(reverse("program-perception-list")).json()["results"][0]
    assert editor["has_share_link"] is False and editor["share_url"] == ""
    reader = api_session(cast_a.frontline).get(reverse("program-perception-list")).json()["results"][0]
    assert reader["has_share_link"] is False and reader["share_url"] is None


def test_the_schema_documents_share_url_as_nullable():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    component = schema["components"]["schemas"]["PerceptionSurvey"]["properties"]
    assert component["share_url"].get("nullable") is True and component["has_share_link"]["type"] == "boolean"
    gap = schema["components"]["schemas"]["GapItem"]["properties"]
    assert {"t", "df", "p_value"} <= set(gap) and "z" not in gap


def test_the_gap_api_takes_a_window_and_refuses_a_bad_one(cast_a):
    world = gap_world(cast_a)
    client = key_client(cast_a)
    url = reverse("program-perception-gap", args=[world.leaders.pk])
    start, end = (TODAY - dt.timedelta(days=10)).isoformat(), TODAY.isoformat()
    data = client.get(url, {"start": start, "end": end}).json()
    assert (data["start"], data["end"]) == (start, end)
    assert client.get(url, {"start": end, "end": start}).status_code == 400
    assert client.get(url, {"start": "soon"}).status_code == 400
    assert client.get(url + "?start=").status_code == 400


def test_another_organizations_user_and_api_key_get_404_and_nothing(cast_a, cast_b):
    world = gap_world(cast_a)
    for client in (key_client(cast_b), *(api_session(cast_b.member(role)) for role in ROLES)):
        listing = client.get(reverse("program-perception-list"))
        assert listing.status_code == 200 and listing.json()["results"] == []
        assert client.get(reverse("program-perception-gap", args=[world.leaders.pk])).status_code == 404
