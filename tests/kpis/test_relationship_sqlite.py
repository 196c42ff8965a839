"""The relationship rollup and the weighted journey score on SQLite (the demo's database): a fresh database migrated
in a subprocess, relationship, staff and touchpoint answers followed up the way the demo does, and the rollup, a
rebuild, the reconciliation and the dashboards checked against figures computed by hand."""

from __future__ import annotations

from tests.sqlite_demo import run_on_fresh_sqlite

SCRIPT = r"""
import datetime as dt, json
from django.core.management import call_command
from django.utils import timezone
from accounts.models import Organization
from accounts.scoping import OrgContext
from journeys.models import Journey, Stage, Touchpoint
from kpis import rollups
from kpis.dashboards import Filters, journey_gap, organization_overview
from kpis.dashboards.overview import relationship_assessment
from kpis.models import RelationshipRollup
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from surveys.signals import response_processed

org = Organization.objects.create(name="Fjord Kraft", slug="fjord", timezone="Europe/Oslo", min_n=2)
journey = Journey.objects.create(organization=org, name="Move", score_method="weights")
stage = Stage.objects.create(organization=org, journey=journey, name="Order")
tps = [Touchpoint.objects.create(organization=org, journey=journey, stage=stage, name=f"T{i}", position=i,
                                 score_weight=w) for i, w in enumerate([3.0, 1.0])]

def survey(kind):
    s = Survey.objects.create(organization=org, name=kind, kind=kind, status="published")
    v = SurveyVersion.objects.create(organization=org, survey=s, number=1, published_at=timezone.now())
    q = Question.objects.create(organization=org, version=v, code="nps", kind="nps", scale_min=0, scale_max=10)
    return s, v, q

def respond(sv, day, value, tp=None):
    s, v, q = sv
    r = Response.objects.create(organization=org, survey=s, version=v, touchpoint=tp,
                                journey=tp.journey if tp else None,
                                submitted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))))
    Answer.objects.create(organization=org, response=r, question=q, touchpoint=tp, submitted_on=day,
                          metric="nps", value=value)
    r.processed_at = timezone.now()
    r.save(update_fields=["processed_at"])
    response_processed.send(sender=Response, response=r)

day = dt.date(2026, 3, 5)
rel, staff, tpsurvey = survey("relationship"), survey("employee"), survey("touchpoint")
for v in (10, 10, 9, 3):
    respond(rel, day, v)
for v in (0, 0, 0):
    respond(staff, day, v)
for v in (10, 10, 10, 0):  # +50
    respond(tpsurvey, day, v, tps[0])
for v in (0, 0, 8):  # -66.7
    respond(tpsurvey, day, v, tps[1])
rollups.aggregate_dirty()
incremental = list(RelationshipRollup.objects.values_list("day", "metric", "n", "promoters", "detractors"))
RelationshipRollup.objects.all().delete()
call_command("rebuild_rollups", verbosity=0)
rebuilt = list(RelationshipRollup.objects.values_list("day", "metric", "n", "promoters", "detractors"))
diffs, _checked = rollups.find_differences()
ctx = OrgContext(organization=org, role="cx_manager")
filters = Filters(period_key="custom", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
overview = organization_overview(ctx=ctx, filters=filters)
gap = journey_gap(ctx=ctx, journey=journey, filters=filters)
print(json.dumps({
    "incremental": [[str(d), m, n, p, de] for d, m, n, p, de in incremental],
    "rebuilt": [[str(d), m, n, p, de] for d, m, n, p, de in rebuilt],
    "differences": len(diffs),
    "relationship": [overview.relationship.score.n, overview.relationship.score.value],
    "selector": relationship_assessment(ctx=ctx, filters=filters).score.value,
    "organization": [overview.organization.score.n, overview.organization.score.value],
    "weighted": [gap.weighting, gap.assessment.score.value, overview.journeys[0].assessment.score.value],
}))
"""


def test_relationship_rollup_and_weighted_journeys_work_on_sqlite(tmp_path):
    out = run_on_fresh_sqlite(tmp_path, SCRIPT)
    # 10, 10, 9, 3 from the relationship survey; the employee survey's three zeros never count.
    assert out["incremental"] == [["2026-03-05", "nps", 4, 3, 1]]
    assert out["rebuilt"] == out["incremental"]
    assert out["differences"] == 0
    assert out["relationship"] == [4, 50.0] and out["selector"] == 50.0
    assert out["organization"][0] == 7  # the touchpoints' answers, beside it
    value = (3 * 50.0 + 1 * (-200 / 3)) / 4
    assert out["weighted"][0] == "weights"
    assert abs(out["weighted"][1] - value) < 1e-9 and abs(out["weighted"][2] - value) < 1e-9
