"""Fixtures of the KPI engine tests: a small program (journey, stages, touchpoints, a survey) and responses.

`World.respond(...)` creates a response with its answers the way ingestion does (answers denormalise touchpoint,
day and metric) and sends `response_processed`, so the rollup receivers run for real.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from accounts.models import Organization
from kpis.models import STAT_FIELDS, JourneyRollup, Rollup, SegmentRollup
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from surveys.signals import response_processed
from tests.factories import JourneyFactory, StageFactory, TouchpointFactory


@dataclass
class World:
    org: Organization
    journey: object
    stages: list
    touchpoints: list
    survey: Survey
    version: SurveyVersion
    questions: dict[str, Question]
    journey_survey: Survey | None = None
    journey_version: SurveyVersion | None = None
    journey_questions: dict[str, Question] = field(default_factory=dict)

    def respond(
        self,
        touchpoint=None,
        day: dt.date | None = None,
        *,
        nps: float | None = None,
        csat: float | None = None,
        comment: str = "",
        customer=None,
        journey=None,
        process: bool = True,
    ) -> Response:
        day = day or timezone.localdate()
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
        if journey is not None:
            survey, version, questions = self.journey_survey, self.journey_version, self.journey_questions
        else:
            survey, version, questions = self.survey, self.version, self.questions
        response = Response.objects.create(
            organization=self.org,
            survey=survey,
            version=version,
            touchpoint=touchpoint,
            journey=journey or (touchpoint.journey if touchpoint else None),
            customer=customer,
            submitted_at=moment,
            channel=touchpoint.channel if touchpoint else "",
        )
        answers = []
        for code, value, text in (("nps", nps, ""), ("csat", csat, ""), ("why", None, comment)):
            if value is None and not text:
                continue
            question = questions[code]
            answers.append(
                Answer(
                    organization=self.org,
                    response=response,
                    question=question,
                    touchpoint=touchpoint,
                    submitted_on=day,
                    metric=code if value is not None else "",
                    value=value,
                    text=text,
                )
            )
        Answer.objects.bulk_create(answers)
        if process:
            process_response(response)
        return response


def process_response(response: Response) -> None:
    """What the follow-up task does: set processed_at and tell the receivers, in one transaction."""
    response.processed_at = timezone.now()
    response.save(update_fields=["processed_at"])
    response_processed.send(sender=Response, response=response)


def _questions(version: SurveyVersion) -> dict[str, Question]:
    specs = [
        ("nps", Question.Kind.NPS, 0, 10),
        ("csat", Question.Kind.CSAT, 1, 5),
        ("why", Question.Kind.TEXT, None, None),
    ]
    return {
        code: Question.objects.create(
            organization=version.organization,
            version=version,
            position=i,
            code=code,
            kind=kind,
            text={"en": code},
            scale_min=lo,
            scale_max=hi,
        )
        for i, (code, kind, lo, hi) in enumerate(specs)
    }


def make_world(org: Organization, *, touchpoints_per_stage: tuple[int, ...] = (2, 1)) -> World:
    journey = JourneyFactory(organization=org, name="Onboarding")
    stages, tps = [], []
    for s, count in enumerate(touchpoints_per_stage):
        stage = StageFactory(journey=journey, organization=org, name=f"Stage {s + 1}", position=s)
        stages.append(stage)
        for t in range(count):
            tps.append(
                TouchpointFactory(
                    stage=stage, journey=journey, organization=org, name=f"TP {s + 1}.{t + 1}", position=t
                )
            )
    survey = Survey.objects.create(organization=org, name="Touchpoint survey", kind=Survey.Kind.TOUCHPOINT)
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    jsurvey = Survey.objects.create(organization=org, name="Journey survey", kind=Survey.Kind.JOURNEY, journey=journey)
    jversion = SurveyVersion.objects.create(organization=org, survey=jsurvey, number=1, published_at=timezone.now())
    return World(
        org=org,
        journey=journey,
        stages=stages,
        touchpoints=tps,
        survey=survey,
        version=version,
        questions=_questions(version),
        journey_survey=jsurvey,
        journey_version=jversion,
        journey_questions=_questions(jversion),
    )


@pytest.fixture
def world_a(cast_a) -> World:
    return make_world(cast_a.org)


@pytest.fixture
def world_b(cast_b) -> World:
    return make_world(cast_b.org)


# -- expected figures computed straight from the answer rows ------------------------------------------------------


def _stats(values: list[float], metric: str) -> dict:
    out = dict.fromkeys(STAT_FIELDS, 0)
    out["n"] = len(values)
    out["total"] = float(sum(values))
    out["total_sq"] = float(sum(v * v for v in values))
    if metric == "nps":
        out["promoters"] = sum(1 for v in values if v >= 9)
        out["passives"] = sum(1 for v in values if 7 <= v < 9)
        out["detractors"] = sum(1 for v in values if v < 7)
    for i in range(11):
        out[f"c{i}"] = sum(1 for v in values if v == i)
    return out


def expected_rollups() -> dict[str, dict]:
    """All three rollup tables recomputed in Python from the answers (the oracle for the SQL)."""
    groups: dict[str, dict] = {
        "touchpoint": defaultdict(list),
        "segment": defaultdict(list),
        "journey": defaultdict(list),
    }
    answers = Answer.objects.exclude(value=None).exclude(metric="").select_related("response__customer")
    for a in answers:
        if a.touchpoint_id is not None:
            groups["touchpoint"][(a.touchpoint_id, a.submitted_on, a.metric)].append(a.value)
            c = a.response.customer
            seg = (c.segment if c else "", (c.persona_id or 0) if c else 0)
            groups["segment"][(a.touchpoint_id, a.submitted_on, a.metric, *seg)].append(a.value)
        elif a.response.journey_id is not None:
            groups["journey"][(a.response.journey_id, a.submitted_on, a.metric)].append(a.value)
    return {name: {key: _stats(values, key[2]) for key, values in table.items()} for name, table in groups.items()}


def stored_rollups() -> dict[str, dict]:
    def rows(model, key_fields):
        return {tuple(r[f] for f in key_fields): {f: r[f] for f in STAT_FIELDS} for r in model.objects.values()}

    return {
        "touchpoint": rows(Rollup, ["touchpoint_id", "day", "metric"]),
        "segment": rows(SegmentRollup, ["touchpoint_id", "day", "metric", "segment", "persona_key"]),
        "journey": rows(JourneyRollup, ["journey_id", "day", "metric"]),
    }
