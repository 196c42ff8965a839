"""Contact data (e-mail, phone) is shown only for customers who agreed to be contacted back, on every path."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import FeedbackCase
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = pytest.mark.django_db


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "Bad", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


@pytest.fixture
def two_cases(loop_a):
    """A closed earlier case and an open one for the same customer (the history has something to show)."""
    earlier = open_case(loop_a, submitted_at=timezone.now() - dt.timedelta(days=5), comment="Earlier complaint")
    FeedbackCase.objects.filter(pk=earlier.pk).update(status=FeedbackCase.Status.CLOSED, closed_at=timezone.now())
    respond(loop_a, nps=8, comment="Better now", submitted_at=timezone.now() - dt.timedelta(days=2))
    return earlier, open_case(loop_a)


def contact_strings(customer) -> list[str]:
    return [customer.email, customer.phone, f"tel:{customer.phone}", f"mailto:{customer.email}"]


@pytest.mark.parametrize("role", ["frontline", "cx_manager", "executive", "admin"])
def test_case_page_hides_contact_data_without_consent_for_every_role(loop_a, two_cases, client_for, role):
    loop_a.customer.may_contact = False
    loop_a.customer.save()
    _earlier, case = two_cases
    page = client_for(loop_a.cast.member(role)).get(reverse("actions:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="no-consent"' in page
    for s in contact_strings(loop_a.customer):
        assert s not in page
    # The history is there (earlier response and case) without contact data.
    assert "Earlier complaint" in page and "Better now" in page
    assert 'data-testid="contact-form"' not in page


def test_case_page_offers_closing_without_contact_to_whoever_works_it(loop_a, client_for):
    loop_a.customer.may_contact = False
    loop_a.customer.save()
    case = open_case(loop_a)
    page = client_for(loop_a.frontline).get(reverse("actions:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="close-without-contact"' in page


def test_case_page_shows_contact_data_with_consent(loop_a, client_for):
    case = open_case(loop_a)
    page = client_for(loop_a.frontline).get(reverse("actions:case_detail", args=[case.pk])).content.decode()
    assert f'href="tel:{loop_a.customer.phone}"' in page and f"mailto:{loop_a.customer.email}" in page
    assert 'data-testid="no-consent"' not in page


def test_customer_cases_fragment_never_shows_contact_data(loop_a, two_cases, client_for):
    for consent in (True, False):
        loop_a.customer.may_contact = consent
        loop_a.customer.save()
        page = (
            client_for(loop_a.cast.cx_manager)
            .get(reverse("actions:customer_cases", args=[loop_a.customer.pk]))
            .content.decode()
        )
        assert all(f"#{c.pk}<" in page for c in two_cases)
        for s in contact_strings(loop_a.customer):
            assert s not in page


def test_customer_cases_fragment_shows_a_frontline_user_only_their_teams_cases(loop_a, client_for):
    mine = open_case(loop_a)
    theirs = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    page = (
        client_for(loop_a.frontline).get(reverse("actions:customer_cases", args=[loop_a.customer.pk])).content.decode()
    )
    assert f"#{mine.pk}<" in page and f"#{theirs.pk}<" not in page


def test_a_contact_attempt_is_refused_without_consent(loop_a, client_for):
    loop_a.customer.may_contact = False
    loop_a.customer.save()
    case = open_case(loop_a)
    c = client_for(loop_a.frontline)
    c.post(reverse("actions:case_claim", args=[case.pk]))
    response = c.post(
        reverse("actions:case_contact", args=[case.pk]), {"channel": "phone", "outcome": "reached"}, follow=True
    )
    assert "has not agreed to be contacted back" in response.content.decode()
    assert not case.contact_attempts.exists()
