"""The anonymous link of a leadership or employee survey is for CX managers and admins to share, nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import SurveyLink
from tests.factories import SurveyFactory, SurveyVersionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _survey_with_link(org, kind: str):
    survey = SurveyFactory(organization=org, kind=kind)
    version = SurveyVersionFactory(survey=survey, published_at=timezone.now())
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    link = SurveyLink.objects.create(organization=org, survey=survey)
    return survey, link


@pytest.mark.parametrize("kind", ["leadership", "employee"])
def test_only_program_editors_see_a_staff_surveys_link(client_for, cast_a, kind):
    survey, link = _survey_with_link(cast_a.org, kind)
    pages = [
        reverse("surveys:survey_links", args=[survey.pk]),
        reverse("surveys:link_qr", args=[survey.pk, link.pk, "svg"]),
    ]
    for member, allowed in [
        (cast_a.admin, True),
        (cast_a.cx_manager, True),
        (cast_a.executive, False),
        (cast_a.frontline, False),
    ]:
        client = client_for(member)
        for url in pages:
            response = client.get(url)
            assert (response.status_code == 200) is allowed, (member.role, url, response.status_code)
            if not allowed:
                assert link.token not in response.content.decode(errors="replace")


def test_a_customer_surveys_link_stays_readable_for_every_role(client_for, cast_a):
    survey, _link = _survey_with_link(cast_a.org, "touchpoint")
    response = client_for(cast_a.frontline).get(reverse("surveys:survey_links", args=[survey.pk]))
    assert response.status_code == 200
