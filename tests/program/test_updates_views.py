"""The "you said, we did" pages per role: the panel on the improvement page, the tell-customers page, the updates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outbox.models import OutboxMessage
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.messages import default_message
from program.updates.services import KIND
from tests.program.test_updates_send import MESSAGES, case_for, customer, make_world, send

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "Teknikern kom tre timmar för sent och ringde aldrig"


@pytest.fixture
def world(cast_a):
    world = make_world(cast_a)
    case_for(world, customer(world, name="Sven Svensson", language="sv"), comment=SECRET_COMMENT)
    case_for(world, customer(world, name="Dina Dahl", language="da"))
    case_for(world, customer(world, name="Nils Nej", language="sv", may_contact=False))
    case_for(world, None)
    return world


def improvement_page(client, world) -> str:
    response = client.get(reverse("actions:improvement_detail", args=[world.action.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_improvement_page_offers_cx_managers_to_tell_the_customers(world, client_for):
    html = improvement_page(client_for(world.loop.cast.cx_manager), world)
    assert 'data-testid="customer-updates"' in html
    assert "2 customers whose cases are linked to this action can be told what changed." in html
    assert "No consent to be contacted: 1" in html and "No customer on the case (an anonymous answer): 1" in html
    assert reverse("program:improvement_tell", args=[world.action.pk]) in html


@pytest.mark.parametrize("role", ["executive", "frontline"])
def test_executives_and_frontline_see_the_panel_read_only(world, client_for, role):
    send(world)
    html = improvement_page(client_for(world.loop.cast.member(role)), world)
    assert "You said, we did" in html and "Messages sent" in html
    assert reverse("program:improvement_tell", args=[world.action.pk]) not in html
    update = CustomerUpdate.objects.get()
    detail_link = reverse("program:customer_update_detail", args=[update.pk])
    assert (detail_link in html) == (role == "executive")  # the recipient list names customers


def test_an_action_that_is_not_a_proven_improvement_explains_why(world, client_for):
    world.action.impact_significant = False
    world.action.save(update_fields=["impact_significant"])
    c = client_for(world.loop.cast.cx_manager)
    html = improvement_page(c, world)
    assert "not a significant improvement, so there is nothing to tell customers yet" in html
    assert reverse("program:improvement_tell", args=[world.action.pk]) not in html
    page = c.get(reverse("program:improvement_tell", args=[world.action.pk])).content.decode()
    assert "not a significant improvement" in page and 'data-testid="tell-form"' not in page
    response = c.post(reverse("program:improvement_tell", args=[world.action.pk]), {"message_sv": "x"}, follow=True)
    assert "not a significant improvement" in response.content.decode()
    assert not CustomerUpdate.objects.exists()


def test_the_tell_page_previews_the_audience_and_prefills_a_message_per_language(world, client_for):
    response = client_for(world.loop.cast.cx_manager).get(reverse("program:improvement_tell", args=[world.action.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="audience-count">2<' in html
    assert 'data-language="sv"' in html and 'data-language="da"' in html and 'data-language="en"' not in html
    assert 'data-reason="no_consent"' in html and 'data-reason="no_customer"' in html
    form = response.context["form"]
    assert list(form.fields) == ["message_sv", "message_da", "resurvey_after_days"]
    assert form.fields["message_sv"].initial == default_message(action=world.action, language="sv")
    assert world.action.title in form.fields["message_da"].initial
    assert world.loop.touchpoint.name in form.fields["message_da"].initial
    assert SECRET_COMMENT not in html


def test_sending_from_the_page_tells_the_customers_and_shows_the_update(world, client_for):
    c = client_for(world.loop.cast.cx_manager)
    response = c.post(
        reverse("program:improvement_tell", args=[world.action.pk]),
        {"message_sv": MESSAGES["sv"], "message_da": MESSAGES["da"], "resurvey_after_days": "30"},
        follow=True,
    )
    update = CustomerUpdate.objects.get()
    assert response.redirect_chain[-1][0] == reverse("program:customer_update_detail", args=[update.pk])
    html = response.content.decode()
    assert "The message is on its way to 2 customers." in html
    assert "Sven Svensson" in html and "Dina Dahl" in html and "Nils Nej" not in html
    assert MESSAGES["sv"] in html and "Swedish" in html and "Danish" in html
    assert "Waiting to be sent" in html
    # No invitation is held for 30 days: each customer's re-survey is due then, decided on that day.
    assert html.count('data-state="due"') == 2 and "Only if the message is sent" in html
    assert SECRET_COMMENT not in html  # comments are never shown here
    assert update.resurvey_after_days == 30 and update.created_by == world.loop.cast.cx_manager.user
    assert OutboxMessage.objects.filter(kind=KIND).count() == 2

    listing = c.get(reverse("program:customer_update_list")).content.decode()
    assert reverse("program:customer_update_detail", args=[update.pk]) in listing
    assert world.action.title in listing


def test_a_missing_message_is_a_form_error(world, client_for):
    response = client_for(world.loop.cast.admin).post(
        reverse("program:improvement_tell", args=[world.action.pk]), {"message_sv": MESSAGES["sv"]}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not CustomerUpdateRecipient.objects.exists()


@pytest.mark.parametrize("role", ["executive", "frontline"])
def test_only_program_editors_open_the_tell_page_or_send(world, client_for, role):
    c = client_for(world.loop.cast.member(role))
    url = reverse("program:improvement_tell", args=[world.action.pk])
    assert c.get(url).status_code == 403
    assert c.post(url, {"message_sv": "x", "message_da": "y"}).status_code == 403
    assert not CustomerUpdate.objects.exists()


def test_frontline_staff_do_not_read_the_recipient_lists(world, client_for):
    update = send(world)
    frontline = client_for(world.loop.cast.frontline)
    assert frontline.get(reverse("program:customer_update_detail", args=[update.pk])).status_code == 403
    assert frontline.get(reverse("program:customer_update_list")).status_code == 403
    executive = client_for(world.loop.cast.executive)
    assert executive.get(reverse("program:customer_update_detail", args=[update.pk])).status_code == 200


def test_another_organizations_members_get_404_and_see_nothing(world, cast_b, client_for):
    update = send(world)
    for role in ("admin", "cx_manager", "executive"):
        c = client_for(cast_b.member(role))
        assert c.get(reverse("program:customer_update_detail", args=[update.pk])).status_code == 404
        tell = reverse("program:improvement_tell", args=[world.action.pk])
        assert c.get(tell).status_code in (403, 404)
        assert c.post(tell, {"message_sv": "x", "message_da": "y"}).status_code in (403, 404)
        listing = c.get(reverse("program:customer_update_list")).content.decode()
        assert world.action.title not in listing and "Sven Svensson" not in listing
    assert (
        client_for(cast_b.cx_manager).get(reverse("program:improvement_tell", args=[world.action.pk])).status_code
        == 404
    )
    assert CustomerUpdate.objects.count() == 1


def test_the_pages_keep_their_query_count_flat(world, client_for, django_assert_max_num_queries):
    c = client_for(world.loop.cast.cx_manager)
    update = send(world, resurvey_after_days=14)
    for _round in range(2):  # the same bounds with twice the customers and a second mailing
        with django_assert_max_num_queries(15):
            assert c.get(reverse("program:customer_update_detail", args=[update.pk])).status_code == 200
        with django_assert_max_num_queries(20):
            improvement_page(c, world)
        for language in ("sv", "en", "nb"):
            case_for(world, customer(world, language=language))
        update = send(world, resurvey_after_days=14, messages={**MESSAGES})
