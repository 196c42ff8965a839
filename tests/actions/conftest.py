"""Fixtures of the closed-loop tests: a touchpoint with a responsible team, a survey, responses and alert rules.

`loop_a` builds on `cast_a` (org A with one member per role; its frontline member is in `cast_a.team`) and adds a
team lead, a second team with its own frontline member, a touchpoint per team, a survey with NPS, CSAT and comment
questions, and an "NPS <= 6" rule. `respond(...)` creates a response with answers the way ingestion stores them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Membership, Role, Team
from actions.models import AlertRule, RootCause
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from tests.conftest import OrgCast
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    StageFactory,
    SurveyFactory,
    SurveyVersionFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)


@dataclass
class Loop:
    cast: OrgCast
    lead: Membership
    other_team: Team
    other_frontline: Membership
    touchpoint: Touchpoint
    other_touchpoint: Touchpoint
    survey: Survey
    version: SurveyVersion
    questions: dict[str, Question]
    rule: AlertRule
    customer: Customer
    root_causes: dict[str, RootCause] = field(default_factory=dict)

    @property
    def org(self):
        return self.cast.org

    @property
    def team(self) -> Team:
        return self.cast.team

    @property
    def frontline(self) -> Membership:
        return self.cast.frontline


def make_survey(org):
    survey = SurveyFactory(organization=org)
    version = SurveyVersionFactory(survey=survey, organization=org, published_at=timezone.now())
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    questions = {
        "nps": Question.objects.create(
            organization=org, version=version, position=1, code="nps", kind="nps", text={"en": "Recommend us?"}
        ),
        "csat": Question.objects.create(
            organization=org, version=version, position=2, code="csat", kind="csat", text={"en": "Satisfied?"}
        ),
        "why": Question.objects.create(
            organization=org, version=version, position=3, code="why", kind="text", text={"en": "Why?"}
        ),
    }
    return survey, version, questions


def respond(
    loop: Loop,
    *,
    nps: float | None = None,
    csat: float | None = None,
    comment: str = "",
    touchpoint: Touchpoint | None = None,
    customer: Customer | bool | None = True,
    submitted_at: dt.datetime | None = None,
) -> Response:
    """A response with its answers, denormalised the way ingestion stores them."""
    touchpoint = touchpoint or loop.touchpoint
    if customer is True:
        customer = loop.customer
    submitted_at = submitted_at or timezone.now()
    response = Response.objects.create(
        organization=loop.org,
        survey=loop.survey,
        version=loop.version,
        touchpoint=touchpoint,
        journey_id=touchpoint.journey_id,
        customer=customer or None,
        language="en",
        submitted_at=submitted_at,
    )
    day = timezone.localdate(submitted_at)
    for code, value, text in (("nps", nps, ""), ("csat", csat, ""), ("why", None, comment)):
        if value is None and not text:
            continue
        Answer.objects.create(
            organization=loop.org,
            response=response,
            question=loop.questions[code],
            touchpoint=touchpoint,
            submitted_on=day,
            metric=code if code != "why" else "",
            value=value,
            text=text,
        )
    return response


def build_loop(cast: OrgCast) -> Loop:
    org = cast.org
    lead_user = UserFactory(username=f"{org.slug}-lead", first_name="Lena", last_name="Lead")
    lead = MembershipFactory(organization=org, user=lead_user, role=Role.FRONTLINE)
    lead.teams.add(cast.team)
    cast.team.lead = lead_user
    cast.team.save(update_fields=["lead"])
    other_team = TeamFactory(organization=org, name=f"{org.name} billing")
    other_frontline = MembershipFactory(
        organization=org, user=UserFactory(username=f"{org.slug}-billing"), role=Role.FRONTLINE
    )
    other_frontline.teams.add(other_team)
    stage = StageFactory(organization=org, journey__organization=org)
    touchpoint = TouchpointFactory(stage=stage, name=f"{org.name} technician visit", responsible_team=cast.team)
    other_touchpoint = TouchpointFactory(stage=stage, name=f"{org.name} invoice", responsible_team=other_team)
    survey, version, questions = make_survey(org)
    rule = AlertRule.objects.create(organization=org, name="Detractors", nps_max=6, sla_hours=48)
    customer = CustomerFactory(
        organization=org,
        name=f"{org.name} customer",
        email=f"{org.slug}-customer@example.com",
        phone="+46 70 123 45 67",
    )
    technician = RootCause.objects.create(organization=org, name="Technician")
    root_causes = {
        "technician": technician,
        "late": RootCause.objects.create(organization=org, name="Late", parent=technician),
        "no_show": RootCause.objects.create(organization=org, name="No-show", parent=technician),
    }
    return Loop(
        cast=cast,
        lead=lead,
        other_team=other_team,
        other_frontline=other_frontline,
        touchpoint=touchpoint,
        other_touchpoint=other_touchpoint,
        survey=survey,
        version=version,
        questions=questions,
        rule=rule,
        customer=customer,
        root_causes=root_causes,
    )


def bulk_nps(loop: Loop, *, touchpoint: Touchpoint, day: dt.date, scores: list[int]) -> None:
    """Many anonymous NPS answers on one day, inserted in bulk (for before/after impact measurements)."""
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    responses = Response.objects.bulk_create(
        Response(
            organization=loop.org,
            survey=loop.survey,
            version=loop.version,
            touchpoint=touchpoint,
            journey_id=touchpoint.journey_id,
            submitted_at=moment,
            processed_at=moment,
        )
        for _ in scores
    )
    Answer.objects.bulk_create(
        Answer(
            organization=loop.org,
            response=r,
            question=loop.questions["nps"],
            touchpoint=touchpoint,
            submitted_on=day,
            metric="nps",
            value=score,
        )
        for r, score in zip(responses, scores, strict=True)
    )
