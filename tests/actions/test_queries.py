"""List pages and endpoints stay within a fixed number of queries however many rows they show."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import FeedbackCase, ImprovementAction
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(loop_a):
    for i in range(15):
        response_processed.send(sender=Response, response=respond(loop_a, nps=i % 7, comment=f"Comment {i}"))
        action = ImprovementAction.objects.create(
            organization=loop_a.org,
            title=f"Action {i}",
            expected_uplift=2,
            cost=1000,
            status="impact_measured",
            impact_significant=True,
            impact_delta=10,
            published_at=timezone.now(),
            start_date=timezone.localdate(),
        )
        action.touchpoints.add(loop_a.touchpoint)
        action.cases.add(FeedbackCase.objects.order_by("-pk").first())
    return loop_a


@pytest.mark.parametrize(
    ("url", "role", "limit"),
    [
        (reverse("actions:roadmap"), "cx_manager", 10),
        (reverse("actions:wins"), "frontline", 9),
        (reverse("actions:rule_list"), "cx_manager", 8),
        (reverse("actions:root_cause_list"), "frontline", 8),
        ("/api/v1/cases/", "cx_manager", 10),
        ("/api/v1/improvement-actions/", "cx_manager", 12),
    ],
)
def test_list_pages_have_bounded_queries(many, django_assert_max_num_queries, url, role, limit):
    client = Client()
    client.force_login(many.cast.member(role).user)
    assert client.get(url).status_code == 200  # warm the session
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
