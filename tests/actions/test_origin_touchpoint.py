"""Where the problem started: the case forms, the services, the API and the Pareto by origin touchpoint."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from actions.forms import CloseForm, RootCauseForm
from actions.models import CaseEvent, FeedbackCase
from actions.selectors.analytics import origin_pareto
from actions.services import cases as services
from journeys.models import Touchpoint
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond
from tests.factories import StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "The invoice is wrong", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def ctx_of(membership):
    return context_for_membership(membership, user=membership.user)


def key_client(cast) -> APIClient:
    _key, raw = api_key_create(ctx=ctx_of(cast.admin), name="origin")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def sales(loop_a):
    """A touchpoint of another journey (where the sale happened) and an archived one."""
    stage = StageFactory(organization=loop_a.org, journey__organization=loop_a.org, journey__name="Sales")
    TouchpointFactory(stage=stage, name="Old shop counter", is_active=False)
    return TouchpointFactory(stage=stage, name="Phone sales order")


def test_the_forms_offer_the_organizations_active_touchpoints_grouped_by_journey(loop_a, loop_b, sales):
    ctx = ctx_of(loop_a.cast.cx_manager)
    field = RootCauseForm(ctx=ctx).fields["origin_touchpoint"]
    groups = {label: [name for _pk, name in options] for label, options in field.choices[1:]}
    assert groups["Sales"] == ["Phone sales order"]  # the archived one is not offered
    assert field.choices[0][0] == ""
    assert all(loop_b.touchpoint.name not in names for names in groups.values())

    form = RootCauseForm({"root_cause": "", "origin_touchpoint": sales.pk}, ctx=ctx)
    assert form.is_valid() and form.cleaned_data["origin_touchpoint"] == sales
    form = RootCauseForm({"root_cause": "", "origin_touchpoint": ""}, ctx=ctx)
    assert form.is_valid() and form.cleaned_data["origin_touchpoint"] is None
    form = CloseForm({"resolution": "Credited", "origin_touchpoint": loop_b.touchpoint.pk}, ctx=ctx)
    assert not form.is_valid() and "origin_touchpoint" in form.errors

    archived = Touchpoint.objects.get(organization=loop_a.org, name="Old shop counter")
    # A case whose origin was archived since keeps it on the form.
    form = CloseForm({"resolution": "x", "origin_touchpoint": archived.pk}, ctx=ctx, current_origin=archived.pk)
    assert form.is_valid() and form.cleaned_data["origin_touchpoint"] == archived


def test_the_service_sets_validates_and_records_the_origin(loop_a, loop_b, sales):
    case = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    ctx = ctx_of(loop_a.cast.cx_manager)
    with pytest.raises(ValidationError):
        services.case_set_root_cause(ctx=ctx, case=case, root_cause=None, origin_touchpoint=loop_b.touchpoint)
    case.refresh_from_db()
    assert case.origin_touchpoint is None

    services.case_set_root_cause(ctx=ctx, case=case, root_cause=loop_a.root_causes["late"], origin_touchpoint=sales)
    case.refresh_from_db()
    assert case.origin_touchpoint == sales and case.root_cause == loop_a.root_causes["late"]
    note = case.events.get(kind=CaseEvent.Kind.NOTE)
    assert (note.old_value, note.new_value) == (
        f"{loop_a.other_touchpoint.journey.name} › {loop_a.other_touchpoint.name}",
        "Sales › Phone sales order",
    )
    assert note.actor == loop_a.cast.cx_manager.user
    # Only the root cause changed the root cause: one root-cause event.
    assert case.events.filter(kind=CaseEvent.Kind.ROOT_CAUSE).count() == 1

    # Not given: left as it is; the case's own touchpoint: stored as no origin.
    services.case_set_root_cause(ctx=ctx, case=case, root_cause=loop_a.root_causes["no_show"])
    case.refresh_from_db()
    assert case.origin_touchpoint == sales
    services.case_set_origin(ctx=ctx, case=case, origin_touchpoint=loop_a.other_touchpoint)
    case.refresh_from_db()
    assert case.origin_touchpoint is None and case.events.filter(kind=CaseEvent.Kind.NOTE).count() == 2

    with pytest.raises(ValidationError):
        services.case_close(ctx=ctx, case=case, resolution="Done", origin_touchpoint=loop_b.touchpoint)
    services.case_close(ctx=ctx, case=case, resolution="Credited", origin_touchpoint=sales)
    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.CLOSED and case.origin_touchpoint == sales


def test_the_case_page_sets_the_origin_and_shows_it(loop_a, loop_b, sales, client_for):
    case = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    c = client_for(loop_a.cast.cx_manager)
    page = c.get(reverse("actions:case_detail", args=[case.pk])).content.decode()
    assert "Where the problem started" in page and 'data-testid="origin"' not in page

    c.post(reverse("actions:case_root_cause", args=[case.pk]), {"root_cause": "", "origin_touchpoint": sales.pk})
    case.refresh_from_db()
    assert case.origin_touchpoint == sales
    page = c.get(reverse("actions:case_detail", args=[case.pk])).content.decode()
    assert "Problem started at: Sales › Phone sales order" in page
    assert f'<option value="{sales.pk}" selected>' in page  # both forms keep it

    # Another organization's touchpoint is refused; a post without the field leaves the origin alone.
    response = c.post(
        reverse("actions:case_root_cause", args=[case.pk]),
        {"root_cause": "", "origin_touchpoint": loop_b.touchpoint.pk},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    c.post(reverse("actions:case_root_cause", args=[case.pk]), {"root_cause": loop_a.root_causes["late"].pk})
    case.refresh_from_db()
    assert case.origin_touchpoint == sales and case.root_cause == loop_a.root_causes["late"]

    c.post(
        reverse("actions:case_close", args=[case.pk]),
        {"resolution": "Credited the difference", "root_cause": loop_a.root_causes["late"].pk, "origin_touchpoint": ""},
    )
    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.CLOSED and case.origin_touchpoint is None


def test_the_api_reads_and_writes_the_origin(loop_a, loop_b, sales):
    case = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    api = key_client(loop_a.cast)
    url = f"/api/v1/cases/{case.pk}/"
    assert api.get(url).json()["origin_touchpoint"] is None

    bad = api.patch(url, {"origin_touchpoint": loop_b.touchpoint.pk}, format="json")
    assert bad.status_code == 400 and "origin_touchpoint" in bad.json()
    done = api.patch(url, {"origin_touchpoint": sales.pk}, format="json")
    assert done.status_code == 200 and done.json()["origin_touchpoint"] == {"id": sales.pk, "name": sales.name}
    both = api.patch(url, {"root_cause": loop_a.root_causes["late"].pk, "origin_touchpoint": None}, format="json")
    assert both.json()["origin_touchpoint"] is None and both.json()["root_cause"]["id"] == loop_a.root_causes["late"].pk

    bad = api.post(f"{url}close/", {"resolution": "x", "origin_touchpoint": loop_b.touchpoint.pk}, format="json")
    assert bad.status_code == 400
    closed = api.post(f"{url}close/", {"resolution": "Credited", "origin_touchpoint": sales.pk}, format="json")
    assert closed.status_code == 200 and closed.json()["origin_touchpoint"]["id"] == sales.pk
    assert [r["origin_touchpoint"] for r in api.get("/api/v1/cases/").json()["results"]] == [
        {"id": sales.pk, "name": sales.name}
    ]
    # Another organization's key does not find the case at all.
    assert key_client(loop_b.cast).patch(url, {"origin_touchpoint": None}, format="json").status_code == 404


def _closed(loop, ctx, *, touchpoint, origin=None, customer=None):
    case = open_case(loop, touchpoint=touchpoint, customer=customer if customer is not None else True)
    services.case_close(
        ctx=ctx,
        case=case,
        resolution="Handled",
        root_cause=loop.root_causes["late"],
        **({"origin_touchpoint": origin} if origin is not None else {}),
    )
    return case


def test_the_pareto_by_origin_touchpoint(loop_a, loop_b, sales, client_for):
    ctx = ctx_of(loop_a.cast.cx_manager)
    invoice, visit = loop_a.other_touchpoint, loop_a.touchpoint
    for _ in range(3):
        _closed(loop_a, ctx, touchpoint=invoice, origin=sales)
    _closed(loop_a, ctx, touchpoint=visit, origin=sales)
    for _ in range(2):
        _closed(loop_a, ctx, touchpoint=invoice)
    open_case(loop_a, touchpoint=invoice)  # open: not counted
    _closed(loop_b, ctx_of(loop_b.cast.cx_manager), touchpoint=loop_b.touchpoint)  # another organization

    result = origin_pareto(ctx=ctx, cases=FeedbackCase.objects.for_org(loop_a.org))
    journey = invoice.journey.name
    assert [(r.label, r.count) for r in result.rows] == [
        ("Sales › Phone sales order", 4),
        (f"{journey} › {invoice.name}", 2),
    ]
    assert [round(r.share, 4) for r in result.rows] == [round(400 / 6, 4), round(200 / 6, 4)]
    assert [r.cumulative_share for r in result.rows] == [pytest.approx(400 / 6), pytest.approx(100.0)]
    assert [(p.origin_label, p.felt_label, p.count) for p in result.pairs] == [
        ("Sales › Phone sales order", f"{journey} › {invoice.name}", 3),
        ("Sales › Phone sales order", f"{journey} › {visit.name}", 1),
    ]

    c = client_for(loop_a.cast.cx_manager)
    default = c.get(reverse("actions:analytics")).content.decode()
    assert 'data-testid="pareto"' in default and 'data-testid="pareto-origin-table"' not in default
    page = c.get(reverse("actions:analytics"), {"pareto": "origin"})
    html = page.content.decode()
    assert 'data-testid="pareto-origin-table"' in html and 'data-testid="origin-pairs"' in html
    assert page.context["pareto_fig"]["layout"]["xaxis"]["title"]["text"] == "Where the problem started"
    assert loop_b.touchpoint.name not in html
    # Another organization's analytics show nothing of these cases.
    other = client_for(loop_b.cast.cx_manager).get(reverse("actions:analytics"), {"pareto": "origin"})
    assert "Phone sales order" not in other.content.decode()
