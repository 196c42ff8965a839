"""The report's figures are the dashboards' figures for the same month, and a generated version never changes."""

from __future__ import annotations

import pytest

from reports.models import MonthlyReport
from reports.services import report_generate
from tests.reports.monthly_helpers import MONTH, build, late_answers

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PERIOD = {"period": "custom", "start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def rw(cast_a):
    return build(cast_a.org)


def _generate(org, journey=None):
    return report_generate(organization=org, month=MONTH, journey=journey, trigger=MonthlyReport.Trigger.ON_DEMAND)


def test_headline_journey_and_touchpoint_figures_equal_the_overview_dashboard(client_for, cast_a, rw):
    report = _generate(cast_a.org)
    assert report.status == MonthlyReport.Status.READY, report.error
    data = client_for(cast_a.executive).get("/kpis/", PERIOD).context["data"]

    headline = report.figures["summary"]["headline"]
    assert headline["n"] == data.organization.score.n > 0
    assert headline["value"] == pytest.approx(data.organization.score.value)
    assert headline["moe"] == pytest.approx(data.organization.score.moe)
    assert headline["target"] == data.organization.target.value == 50
    assert headline["status"] == data.organization.status

    [journey] = report.figures["summary"]["journeys"]
    assert journey["value"] == pytest.approx(data.journeys[0].assessment.score.value)
    assert journey["n"] == data.journeys[0].assessment.score.n

    dashboard_tps = {r.touchpoint.pk: r.assessment for r in data.touchpoints_by_gap}
    report_tps = report.figures["ranking"]["touchpoints"]
    assert [t["id"] for t in report_tps] == [r.touchpoint.pk for r in data.touchpoints_by_gap]
    for t in report_tps:
        a = dashboard_tps[t["id"]]
        assert (t["n"], t["status"]) == (a.score.n, a.status)
        assert t["value"] == pytest.approx(a.score.shown)
        assert t["shortfall"] == pytest.approx(a.shortfall)


def test_journey_report_equals_the_journey_gap_dashboard(client_for, cast_a, rw):
    report = _generate(cast_a.org, rw.world.journey)
    data = client_for(cast_a.cx_manager).get("/kpis/gap/", {**PERIOD, "journey": rw.world.journey.pk}).context["data"]
    headline = report.figures["summary"]["headline"]
    assert headline["value"] == pytest.approx(data.assessment.score.value)
    assert headline["n"] == data.assessment.score.n
    assert headline["target"] == 45
    cards = {c.touchpoint.pk: c.assessment for col in data.stages for c in col.cards}
    for t in report.figures["ranking"]["touchpoints"]:
        assert t["value"] == pytest.approx(cards[t["id"]].score.shown)


def test_month_on_month_and_year_on_year_changes_are_the_kpis_change_tests(cast_a, rw):
    from kpis import dashboards
    from kpis.scores import change_between
    from reports.figures import month_filters, report_context

    report = _generate(cast_a.org)
    ctx = report_context(cast_a.org)
    now = dashboards.organization_overview(ctx=ctx, filters=month_filters(ctx=ctx, month=MONTH))
    import datetime as dt

    prev = dashboards.organization_overview(ctx=ctx, filters=month_filters(ctx=ctx, month=dt.date(2026, 9, 1)))
    expected = change_between(prev.organization.score, now.organization.score)
    mom = report.figures["summary"]["headline"]["mom"]
    assert mom["delta"] == pytest.approx(expected.delta)
    assert mom["significant"] == expected.significant
    assert report.figures["summary"]["headline"]["yoy"]["available"] is True


def test_trend_covers_13_months_and_the_report_month_equals_the_headline(cast_a, rw):
    report = _generate(cast_a.org)
    trend = report.figures["summary"]["trend"]
    assert len(trend) == 13
    assert trend[-1]["month"] == "2026-10-01" and trend[0]["month"] == "2025-10-01"
    assert trend[-1]["value"] == pytest.approx(report.figures["summary"]["headline"]["value"])
    assert trend[-1]["target"] == 50
    assert trend[5]["value"] is None and trend[5]["n"] == 0  # a month without answers is no point
    assert report.figures["charts"]["trend"]["data"]


def test_sections_are_all_there_and_the_kpi_table_flags_compensation(cast_a, rw):
    report = _generate(cast_a.org)
    f = report.figures
    [kpi] = f["kpis"]
    assert kpi["linked_to_compensation"] is True
    assert kpi["target"] == 50
    assert kpi["actual"] == pytest.approx(f["summary"]["headline"]["value"])
    assert f["data_quality"]["touchpoints_total"] == 3
    assert f["data_quality"]["touchpoints_measured"] == 3
    assert f["data_quality"]["responses"] == 122
    codes = [x["code"] for x in f["summary"]["findings"]]
    assert len(codes) == 3
    assert codes[0] == "largest_gap"
    assert codes[2] == "money_no_model"  # no value snapshot: the report says so
    assert {g["horizon"] for g in f["improvements"]["pipeline"]} == {"quick_win", "medium", "long"}


def test_only_consenting_customers_are_quoted_and_their_personal_data_is_masked(cast_a, rw):
    report = _generate(cast_a.org)
    voices = report.figures["voices"]
    texts = " ".join(v["text"] for v in voices)
    assert "Hemlig" not in texts
    [voice] = voices
    assert "070-123" not in voice["text"] and "karin@example.se" not in voice["text"]
    assert "19811218" not in voice["text"]
    assert voice["text"].startswith("Ring mig på")
    assert "070-123" not in report.html and "Hemlig" not in report.html


def test_the_snapshot_does_not_change_when_late_answers_arrive(cast_a, rw):
    report = _generate(cast_a.org)
    figures, html = report.figures, report.html
    late_answers(rw)
    report.refresh_from_db()
    assert report.figures == figures
    assert report.html == html
    again = _generate(cast_a.org)
    assert again.version == report.version + 1
    assert again.figures["summary"]["headline"]["n"] == figures["summary"]["headline"]["n"] + 30


def test_the_body_renders_in_every_language_from_the_same_snapshot(cast_a, rw):
    from reports.rendering import render_report_body

    report = _generate(cast_a.org)
    bodies = {lang: render_report_body(report, language=lang) for lang in ("en", "sv", "nb", "da")}
    assert 'data-chart="trend"' in bodies["en"]
    assert "Monthly CX report" in bodies["en"]
    assert report.html == bodies[cast_a.org.default_language]
    for body in bodies.values():
        assert cast_a.org.name in body
    assert "<nav" not in bodies["en"]


def test_a_failure_is_stored_on_the_version(cast_a, rw, monkeypatch):
    import reports.services

    def boom(**kwargs):
        raise RuntimeError("rollups unavailable")

    monkeypatch.setattr(reports.services, "report_figures", boom)
    report = _generate(cast_a.org)
    assert report.status == MonthlyReport.Status.FAILED
    assert "rollups unavailable" in report.error


def test_the_gap_is_priced_at_the_value_models_rate_with_its_interval(client_for, cast_a, rw):
    from django.utils import timezone

    from value.models import ValueSnapshot

    tps = rw.world.touchpoints
    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status=ValueSnapshot.Status.DONE,
        computed_at=timezone.now(),
        currency="SEK",
        parameters={"metric": "nps", "measure": "nps"},
        results={
            "touchpoints": [
                {
                    "touchpoint_id": tp.pk,
                    "supported": True,
                    "value_per_point": 10_000.0,
                    "low": 6_000.0,
                    "high": 14_000.0,
                    "n_customers": 500,
                }
                for tp in tps
            ]
        },
    )
    report = _generate(cast_a.org)
    data = client_for(cast_a.executive).get("/kpis/", PERIOD).context["data"]
    at_stake = {r.touchpoint.pk: r.value_at_stake for r in data.touchpoints_by_value}
    assert at_stake  # the overview prices at least one touchpoint below target
    for t in report.figures["ranking"]["touchpoints"]:
        assert t["value_at_stake"] == pytest.approx(at_stake.get(t["id"]))
    money = report.figures["summary"]["findings"][2]
    assert money["code"] == "money"
    assert money["params"]["value"] == pytest.approx(sum(at_stake.values()))
    assert money["params"]["low"] == pytest.approx(0.6 * sum(at_stake.values()))
    assert money["params"]["high"] == pytest.approx(1.4 * sum(at_stake.values()))
    assert report.language == "en"
    assert "closing that gap is worth" in report.html


def test_improvement_actions_delivered_this_month_and_the_pipeline_by_horizon(cast_a, rw):
    import datetime as dt

    from django.utils import timezone

    from actions.models import ImprovementAction
    from actions.valuation import action_value_estimates
    from reports.figures import report_context
    from value.models import ValueSnapshot

    tp = rw.world.touchpoints[1]
    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status=ValueSnapshot.Status.DONE,
        computed_at=timezone.now(),
        currency="SEK",
        parameters={"metric": "nps", "measure": "nps"},
        results={
            "touchpoints": [
                {
                    "touchpoint_id": tp.pk,
                    "supported": True,
                    "value_per_point": 1000.0,
                    "low": 500.0,
                    "high": 1500.0,
                    "n_customers": 300,
                }
            ]
        },
    )
    done = ImprovementAction.objects.create(
        organization=cast_a.org,
        title="Call back within a day",
        status="impact_measured",
        horizon="quick_win",
        done_date=dt.date(2026, 10, 20),
        impact_measured_at=timezone.now(),
        impact_metric="nps",
        impact_measure="nps",
        impact_before_nps=10.0,
        impact_after_nps=22.0,
        impact_delta=12.0,
        impact_before_n=200,
        impact_after_n=210,
        impact_significant=True,
    )
    ImprovementAction.objects.create(
        organization=cast_a.org, title="Done last month", status="done", done_date=dt.date(2026, 9, 20)
    )
    planned = ImprovementAction.objects.create(
        organization=cast_a.org, title="New booking flow", status="approved", horizon="medium", expected_uplift=5
    )
    planned.touchpoints.add(tp)
    ImprovementAction.objects.create(organization=cast_a.org, title="Dropped idea", status="dropped", horizon="long")

    report = _generate(cast_a.org)
    section = report.figures["improvements"]
    [delivered] = section["delivered"]
    assert (delivered["id"], delivered["delta"], delivered["significant"]) == (done.pk, 12.0, True)
    pipeline = {g["horizon"]: g for g in section["pipeline"]}
    assert pipeline["medium"]["count"] == 1 and pipeline["long"]["count"] == 0
    expected = action_value_estimates(ctx=report_context(cast_a.org), actions=[planned])[planned.pk]
    assert pipeline["medium"]["expected_value"] == pytest.approx(expected.value) == pytest.approx(5000.0)
    assert "Call back within a day" in report.html and "NPS +12" in report.html


def test_a_value_model_on_another_metric_is_named_at_render_time_not_stored_as_text(cast_a, rw):
    import json

    from django.utils import timezone

    from reports.rendering import render_report_body
    from value.models import ValueSnapshot

    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status=ValueSnapshot.Status.DONE,
        computed_at=timezone.now(),
        currency="SEK",
        parameters={"metric": "csat", "measure": "mean"},
        results={"touchpoints": []},
    )
    report = _generate(cast_a.org)
    money = report.figures["summary"]["findings"][2]
    assert money == {"code": "money_no_model", "params": {"status": "other_metric", "theirs": ["csat", "mean"]}}
    stored = json.dumps({k: v for k, v in report.figures.items() if k != "charts"})
    assert "value model" not in stored  # sentences are made when the report is read, in the reader's language
    body = render_report_body(report, language="en")
    assert "values a point of CSAT, mean, not of NPS" in body


def test_the_relationship_survey_is_shown_beside_the_sum_of_touchpoints_as_on_the_overview(client_for, cast_a, rw):
    import datetime as dt

    from kpis import rollups
    from surveys.models import Survey
    from tests.kpis.test_relationship import answer, make_survey

    survey, version, questions = make_survey(cast_a.org, Survey.Kind.RELATIONSHIP)
    for i in range(40):
        answer(cast_a.org, survey, version, questions, MONTH + dt.timedelta(days=i % 28), nps=(10, 9, 7, 3)[i % 4])
    rollups.aggregate_dirty()
    report = _generate(cast_a.org)
    relationship = report.figures["summary"]["relationship"]
    data = client_for(cast_a.executive).get("/kpis/", PERIOD).context["data"]
    assert relationship["n"] == data.relationship.score.n == 40
    assert relationship["value"] == pytest.approx(data.relationship.score.value) == pytest.approx(25.0)
    assert report.figures["summary"]["headline"]["n"] == data.organization.score.n  # touchpoints stay separate
    assert 'data-testid="relationship"' in report.html
    journey_report = _generate(cast_a.org, rw.world.journey)
    assert journey_report.figures["summary"]["relationship"] is None
