"""The voice app's scoped reads: theme impact and trends from the rollup (checked against pandas and scipy on the raw
comment rows), emerging themes, value at stake, the verbatim search, and what other organizations and frontline
users get."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.http import Http404
from django.utils import timezone
from scipy import stats as sps

from accounts.scoping import context_for_membership
from tests.voice.test_stats import FEB, JAN, MAR, World, make_world, plant_comments
from value.models import ValueSnapshot
from voice import selectors
from voice.models import CommentAnalysis, CommentTheme, Theme, ThemeProposal, VoiceRun
from voice.stats import recompute_stats

pytestmark = pytest.mark.django_db


def ctx_of(membership):
    return context_for_membership(membership, user=membership.user)


@pytest.fixture
def world(cast_a) -> World:
    return make_world(cast_a)


@pytest.fixture
def planted(world):
    df = plant_comments(world, n=3000)
    recompute_stats(world.org.pk, [JAN, FEB])
    return df


def has(theme: Theme):
    return lambda s: theme.pk in s


def expected_row(df: pd.DataFrame, theme: Theme, metric: str = "nps") -> dict:
    """What the overview should say about `theme`, computed from the raw rows."""
    with_theme = df["themes"].map(has(theme))
    scored = (df["metric"] == metric) & df["score"].notna()
    a, b = df[with_theme & scored]["score"], df[~with_theme & scored]["score"]
    on_nps = (df["metric"] == "nps") & df["score"].notna()

    def nps_of(scores):
        return 100.0 * ((scores >= 9).sum() - (scores < 7).sum()) / len(scores)

    sent = df[with_theme].apply(lambda r: r["theme_sentiment"][theme.pk], axis=1)
    return {
        "comments": int(with_theme.sum()),
        "share": with_theme.sum() / len(df),
        "mean_with": a.mean(),
        "mean_without": b.mean(),
        "impact": a.mean() - b.mean(),
        "p_value": sps.ttest_ind(a, b, equal_var=False).pvalue,
        "nps_with": nps_of(df[with_theme & on_nps]["score"]),
        "nps_without": nps_of(df[~with_theme & on_nps]["score"]),
        "nps_share": (with_theme & on_nps).sum() / on_nps.sum(),
        "sentiment": pd.to_numeric(sent).fillna(0).sum() / with_theme.sum(),
        "negative_share": (df[with_theme]["label"] == "negative").mean(),
    }


def assert_row_matches(row, expected: dict) -> None:
    for field, value in expected.items():
        tolerance = 1e-6 if field == "p_value" else 1e-9
        assert getattr(row, field) == pytest.approx(value, abs=tolerance), field


def by_theme(rows) -> dict:
    return {row.theme.pk: row for row in rows}


# -- overview and impact -------------------------------------------------------------------------------------------


def test_theme_impact_equals_pandas_and_scipy_on_the_raw_rows(cast_a, world, planted):
    rows = selectors.theme_overview(ctx_of(cast_a.cx_manager), start=JAN, end=dt.date(2026, 2, 20))
    found = by_theme(rows)
    for theme in (world.invoice, world.late_invoice, world.staff, world.waiting):
        assert_row_matches(found[theme.pk], expected_row(planted, theme))
    invoice = found[world.invoice.pk]
    assert invoice.impact == pytest.approx(-2, abs=0.5)
    assert invoice.significant and invoice.p_value < 1e-6
    assert not found[world.staff.pk].significant
    # Most harmful first: the invoice theme (or its sub-theme) leads, the thin/neutral ones follow.
    assert rows[0].theme in (world.invoice, world.late_invoice)
    totals = rows.totals
    assert totals.comments == len(planted)
    on_nps = planted[planted["metric"] == "nps"]["score"]
    assert totals.mean == pytest.approx(on_nps.mean(), abs=1e-9)
    assert totals.nps == pytest.approx(100 * ((on_nps >= 9).sum() - (on_nps < 7).sum()) / len(on_nps), abs=1e-9)


def test_theme_impact_on_another_metric_uses_that_metrics_scores(cast_a, world, planted):
    rows = selectors.theme_overview(ctx_of(cast_a.executive), start=JAN, end=FEB, metric="csat")
    row = by_theme(rows)[world.staff.pk]
    expected = expected_row(planted, world.staff, metric="csat")
    for field in ("mean_with", "mean_without", "impact", "nps_with", "nps_without"):
        assert getattr(row, field) == pytest.approx(expected[field], abs=1e-9)
    assert row.p_value == pytest.approx(expected["p_value"], abs=1e-6)


def test_overview_per_touchpoint_and_per_month(cast_a, world, planted):
    ctx = ctx_of(cast_a.cx_manager)
    rows = by_theme(selectors.theme_overview(ctx, start=FEB, end=FEB, touchpoint_id=world.tp_other.pk))
    subset = planted[(planted["touchpoint_key"] == world.tp_other.pk) & (planted["month"] == FEB)]
    assert_row_matches(rows[world.invoice.pk], expected_row(subset, world.invoice))

    journey_rows = selectors.theme_overview(ctx, start=JAN, end=FEB, journey_id=world.journey.pk)
    assert journey_rows.totals.comments == (planted["journey_key"] == world.journey.pk).sum()


def test_overview_reads_the_rollup_in_two_queries(cast_a, planted, django_assert_max_num_queries):
    ctx = ctx_of(cast_a.executive)
    with django_assert_max_num_queries(2):
        selectors.theme_overview(ctx, start=JAN, end=FEB)


def test_theme_trend_has_every_month_with_gaps_for_empty_ones(cast_a, world, planted):
    points = selectors.theme_trend(ctx_of(cast_a.cx_manager), world.invoice, start=JAN, end=MAR)
    assert [p.month for p in points] == [JAN, FEB, MAR]
    for point in points[:2]:
        expected = expected_row(planted[planted["month"] == point.month], world.invoice)
        for field in ("comments", "share", "mean_with", "mean_without", "impact", "nps_with", "nps_without"):
            assert getattr(point, field) == pytest.approx(expected[field], abs=1e-9), field
    march = points[2]
    assert march.comments == 0 and march.total_comments == 0
    assert march.share is None and march.mean_with is None and march.mean_without is None and march.sentiment is None


def test_theme_by_touchpoint_gives_each_touchpoints_own_impact(cast_a, world, planted):
    rows = selectors.theme_by_touchpoint(ctx_of(cast_a.cx_manager), world.invoice, start=JAN, end=FEB)
    for row in rows:
        tp = row.touchpoint.pk if row.touchpoint else 0
        jr = row.journey.pk if row.journey else 0
        subset = planted[(planted["touchpoint_key"] == tp) & (planted["journey_key"] == jr)]
        expected = expected_row(subset, world.invoice)
        assert row.comments == expected["comments"]
        assert row.impact == pytest.approx(expected["impact"], abs=1e-9)
    named = {row.touchpoint.name for row in rows if row.touchpoint}
    assert named == {"Phone support", "Shop"}
    assert sum(r.comments for r in rows) == expected_row(planted, world.invoice)["comments"]


def test_theme_detail_bundles_row_trend_and_touchpoints(cast_a, world, planted):
    detail = selectors.theme_detail(ctx_of(cast_a.cx_manager), world.staff, start=JAN, end=FEB)
    assert_row_matches(detail.row, expected_row(planted, world.staff))
    assert len(detail.trend) == 2 and detail.touchpoints


def test_language_mix_counts_comments_per_language(cast_a, planted):
    mix = selectors.language_mix(ctx_of(cast_a.executive), start=JAN, end=FEB)
    expected = planted["language"].value_counts()
    assert {m.language: m.comments for m in mix} == expected.to_dict()
    assert sum(m.share for m in mix) == pytest.approx(1)


# -- scoping -------------------------------------------------------------------------------------------------------


def test_frontline_sees_only_their_teams_touchpoints(cast_a, world, planted):
    ctx = ctx_of(cast_a.frontline)
    rows = selectors.theme_overview(ctx, start=JAN, end=FEB)
    mine = planted[planted["touchpoint_key"] == world.tp_team.pk]
    assert rows.totals.comments == len(mine)
    assert_row_matches(by_theme(rows)[world.invoice.pk], expected_row(mine, world.invoice))

    found = selectors.comment_search(ctx)
    assert found.count() == len(mine)
    assert set(found.values_list("touchpoint_id", flat=True)) == {world.tp_team.pk}
    other = int(planted[planted["touchpoint_key"] == world.tp_other.pk]["id"].iloc[0])
    with pytest.raises(Http404):
        selectors.comment_get(ctx, other)
    assert selectors.comment_get(ctx, int(mine["id"].iloc[0])).touchpoint_id == world.tp_team.pk
    with pytest.raises(Http404):
        selectors.theme_overview(ctx, start=JAN, end=FEB, touchpoint_id=world.tp_other.pk)
    with pytest.raises(Http404):
        selectors.comment_search(ctx, touchpoint_id=world.tp_other.pk)
    # The whole organization's manager sees everything.
    assert selectors.comment_search(ctx_of(cast_a.cx_manager)).count() == len(planted)


def test_another_organization_gets_nothing(cast_a, cast_b, world, planted):
    ctx = ctx_of(cast_b.admin)
    with pytest.raises(Http404):
        selectors.theme_get(ctx, world.invoice.pk)
    rows = selectors.theme_overview(ctx, start=JAN, end=FEB)
    assert list(rows) == [] and rows.totals.comments == 0
    assert selectors.theme_list(ctx).count() == 0 and selectors.theme_tree(ctx) == []
    assert selectors.emerging_themes(ctx, month=FEB, baseline_months=1) == []
    assert selectors.comment_search(ctx).count() == 0
    assert selectors.language_mix(ctx, start=JAN, end=FEB) == []
    any_comment = int(planted["id"].iloc[0])
    for call in (
        lambda: selectors.comment_get(ctx, any_comment),
        lambda: selectors.comment_search(ctx, theme_id=world.invoice.pk),
        lambda: selectors.comment_search(ctx, journey_id=world.journey.pk),
        lambda: selectors.theme_overview(ctx, start=JAN, end=FEB, touchpoint_id=world.tp_team.pk),
        lambda: selectors.theme_trend(ctx, world.invoice, start=JAN, end=FEB),
        lambda: selectors.theme_by_touchpoint(ctx, world.invoice, start=JAN, end=FEB),
    ):
        with pytest.raises(Http404):
            call()
    assert selectors.comment_themes(ctx, list(CommentAnalysis.objects.filter(pk=any_comment))) == {any_comment: []}


def test_theme_tree_and_list(cast_a, world):
    Theme.objects.create(organization=world.org, name="Old", status=Theme.Status.ARCHIVED)
    ctx = ctx_of(cast_a.executive)
    tree = selectors.theme_tree(ctx)
    assert [t.name for t in tree] == ["Invoice", "Staff", "Waiting"]
    assert [c.name for c in tree[0].subthemes] == ["Late invoice"]
    assert "Old" not in {t.name for t in selectors.theme_list(ctx)}
    assert "Old" in {t.name for t in selectors.theme_list(ctx, include_archived=True)}
    assert selectors.theme_get(ctx, world.late_invoice.pk).parent == world.invoice


def test_proposals_and_runs_are_scoped(cast_a, cast_b, world):
    comment = plant_comments(world, n=5)["id"].iloc[0]  # comment 0 is pending: the first done one is 1
    proposal = ThemeProposal.objects.create(
        organization=world.org, language="sv", label="Router", terms=["router"], example_ids=[int(comment), 999]
    )
    ThemeProposal.objects.create(organization=world.org, language="sv", label="Old", status="rejected")
    run = VoiceRun.objects.create(organization=world.org, kind=VoiceRun.Kind.RETAG)
    ctx, other = ctx_of(cast_a.cx_manager), ctx_of(cast_b.admin)
    assert [p.label for p in selectors.proposal_list(ctx)] == ["Router"]
    assert len(selectors.proposal_list(ctx, status=None)) == 2
    got = selectors.proposal_get(ctx, proposal.pk)
    assert [c.masked_text for c in got.example_comments] == [f"comment {1}"]
    assert selectors.run_get(ctx, run.pk) == run
    assert selectors.run_latest(ctx, VoiceRun.Kind.RETAG) == run
    assert selectors.run_latest(ctx, VoiceRun.Kind.DISCOVER) is None
    assert selectors.run_latest(other, VoiceRun.Kind.RETAG) is None
    assert list(selectors.proposal_list(other)) == []
    for call in (lambda: selectors.proposal_get(other, proposal.pk), lambda: selectors.run_get(other, run.pk)):
        with pytest.raises(Http404):
            call()


# -- emerging themes -----------------------------------------------------------------------------------------------


def _plant_shares(world: World, month: dt.date, n: int, shares: dict[Theme, float], first_id: int) -> None:
    """n comments in `month`; the first share x n of them carry each theme."""
    analyses, links = [], []
    for i in range(n):
        pk = first_id + i
        analyses.append(
            CommentAnalysis(
                answer_id=pk,
                organization=world.org,
                response=world.response,
                survey_id=world.response.survey_id,
                touchpoint=world.tp_team,
                journey=world.journey,
                submitted_on=month,
                month=month,
                metric="nps",
                score=7,
                status="done",
                language="sv",
                masked_text="x",
            )
        )
        links += [
            CommentTheme(organization=world.org, analysis_id=pk, theme=theme)
            for theme, share in shares.items()
            if i < round(share * n)
        ]
    CommentAnalysis.objects.bulk_create(analyses)
    CommentTheme.objects.bulk_create(links)


def test_emerging_theme_is_detected_when_its_share_jumps_and_not_when_stable(cast_a, world):
    april = dt.date(2026, 4, 1)
    for index, month in enumerate([JAN, FEB, MAR]):
        _plant_shares(world, month, 200, {world.waiting: 0.05, world.staff: 0.15}, first_id=100_000 * (index + 1))
    _plant_shares(world, april, 200, {world.waiting: 0.20, world.staff: 0.16, world.invoice: 0.04}, 900_000)
    recompute_stats(world.org.pk, [JAN, FEB, MAR, april])

    emerging = selectors.emerging_themes(ctx_of(cast_a.executive), month=dt.date(2026, 4, 15))
    assert [e.theme for e in emerging] == [world.waiting]
    e = emerging[0]
    assert (e.comments, e.baseline_comments) == (40, 30)
    assert e.share == pytest.approx(0.2) and e.baseline_share == pytest.approx(0.05)
    assert e.ratio == pytest.approx(4.0) and e.p_value < 0.05 and e.baseline_start == JAN
    # Staff kept its share; invoice is new but has fewer than 10 comments: neither is emerging.
    assert selectors.emerging_themes(ctx_of(cast_a.executive), month=MAR) == []


# -- value at stake ------------------------------------------------------------------------------------------------


def _snapshot(world: World, values: dict, *, metric: str = "nps") -> None:
    ValueSnapshot.objects.create(
        organization=world.org,
        status=ValueSnapshot.Status.DONE,
        computed_at=timezone.now(),
        currency="NOK",
        parameters={"metric": metric, "measure": "nps" if metric == "nps" else "mean"},
        results={
            "touchpoints": [
                {"touchpoint_id": tp.pk, "supported": per_point is not None, "value_per_point": per_point}
                for tp, per_point in values.items()
            ]
        },
    )


def test_value_at_stake_is_none_without_a_value_figure(cast_a, world, planted):
    ctx = ctx_of(cast_a.cx_manager)
    rows = selectors.theme_overview(ctx, start=JAN, end=FEB)
    invoice = by_theme(rows)[world.invoice.pk]
    assert selectors.value_at_stake(ctx, invoice) is None
    _snapshot(world, {world.tp_team: 1000.0}, metric="csat")  # a value per CSAT point says nothing of NPS
    assert selectors.value_at_stake(ctx, invoice) is None
    _snapshot(world, {world.tp_team: None, world.tp_other: None})  # no supported figure
    assert selectors.value_at_stake(ctx, invoice) is None
    assert selectors.values_at_stake(ctx, list(rows)) == {row.theme.pk: None for row in rows}


def test_value_at_stake_is_the_nps_gap_times_share_times_value_per_point(cast_a, world, planted):
    _snapshot(world, {world.tp_team: 1000.0, world.tp_other: 250.0})
    ctx = ctx_of(cast_a.cx_manager)
    rows = selectors.theme_overview(ctx, start=JAN, end=FEB)
    expected = expected_row(planted, world.invoice)
    gap = expected["nps_without"] - expected["nps_with"]
    assert gap > 5
    value = selectors.value_at_stake(ctx, by_theme(rows)[world.invoice.pk])
    assert value.currency == "NOK" and value.value_per_point == 1250.0
    assert value.amount == Decimal(round(gap * expected["nps_share"] * 1250.0))
    assert selectors.values_at_stake(ctx, list(rows))[world.invoice.pk] == value

    # One touchpoint: its own gap, share and value per point; a Theme with a period gives the same as its row.
    subset = planted[planted["touchpoint_key"] == world.tp_team.pk]
    expected = expected_row(subset, world.invoice)
    value = selectors.value_at_stake(ctx, world.invoice, start=JAN, end=FEB, touchpoint_id=world.tp_team.pk)
    gap = expected["nps_without"] - expected["nps_with"]
    assert value.amount == Decimal(round(gap * expected["nps_share"] * 1000.0))
    # Frontline: only their touchpoint's value counts.
    frontline = selectors.value_at_stake(ctx_of(cast_a.frontline), world.invoice, start=JAN, end=FEB)
    assert frontline.value_per_point == 1000.0 and frontline.amount == value.amount


# -- verbatim search -----------------------------------------------------------------------------------------------

SEARCH_CONFIG = {"sv": "swedish", "nb": "norwegian", "da": "danish", "en": "english"}


def _comment(world: World, pk: int, text: str, language: str, **fields) -> CommentAnalysis:
    values = {
        "touchpoint": world.tp_team,
        "journey": world.journey,
        "customer": world.gold,
        "submitted_on": dt.date(2026, 2, 10),
        "metric": "nps",
        "score": 5,
        "sentiment_label": "negative",
        "status": "done",
    } | fields
    values["month"] = values["submitted_on"].replace(day=1)
    return CommentAnalysis.objects.create(
        answer_id=pk,
        organization=world.org,
        response=world.response,
        survey_id=world.response.survey_id,
        language=language,
        masked_text=text,
        **values,
    )


@pytest.fixture
def verbatims(world):
    c = {
        "sv": _comment(world, 1, "Fakturan kom för sent och var för hög", "sv"),
        "nb": _comment(world, 2, "Fakturaen var feil igjen", "nb", touchpoint=world.tp_other, score=2),
        "da": _comment(world, 3, "Fakturaen er forkert", "da", customer=world.silver, sentiment_label="mixed"),
        "en": _comment(world, 4, "The invoices were wrong", "en", submitted_on=dt.date(2026, 1, 5)),
        "other": _comment(world, 5, "Bra service, tack", "sv", score=10, sentiment_label="positive"),
        "pending": _comment(world, 6, "Fakturan saknas", "sv", status="pending"),
    }
    CommentTheme.objects.create(organization=world.org, analysis=c["sv"], theme=world.late_invoice)
    CommentTheme.objects.create(organization=world.org, analysis=c["nb"], theme=world.invoice)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for language, config in SEARCH_CONFIG.items():
                cursor.execute(
                    "UPDATE voice_commentanalysis SET search = to_tsvector(%s::regconfig, masked_text) "
                    "WHERE organization_id = %s AND language = %s",
                    [config, world.org.pk, language],
                )
    return c


def _texts(qs) -> set[str]:
    return {c.masked_text for c in qs}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemmed search is PostgreSQL's")
def test_search_finds_every_languages_inflections(cast_a, verbatims):
    ctx = ctx_of(cast_a.cx_manager)
    found = selectors.comment_search(ctx, q="faktura")
    assert _texts(found) == {c.masked_text for c in (verbatims["sv"], verbatims["nb"], verbatims["da"])}
    assert _texts(selectors.comment_search(ctx, q="invoice")) == {"The invoices were wrong"}
    assert _texts(selectors.comment_search(ctx, q="faktura -feil")) == {
        verbatims["sv"].masked_text,
        verbatims["da"].masked_text,
    }
    assert selectors.comment_search(ctx, q="router").count() == 0
    ranked = list(selectors.comment_search(ctx, q="faktura", order="rank"))
    assert all(c.rank > 0 for c in ranked)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemmed search is PostgreSQL's")
def test_search_filters_narrow_the_matches(cast_a, world, verbatims):
    ctx = ctx_of(cast_a.cx_manager)
    v = verbatims

    def search(**kwargs) -> set[str]:
        return _texts(selectors.comment_search(ctx, q="faktura", **kwargs))

    assert search(theme_id=world.invoice.pk) == {v["sv"].masked_text, v["nb"].masked_text}  # with its sub-theme
    assert search(theme_id=world.late_invoice.pk) == {v["sv"].masked_text}
    assert search(sentiment="mixed") == {v["da"].masked_text}
    assert search(language="nb") == {v["nb"].masked_text}
    assert search(touchpoint_id=world.tp_other.pk) == {v["nb"].masked_text}
    assert search(journey_id=world.journey.pk) == search()
    assert search(score_max=3) == {v["nb"].masked_text}
    assert search(score_min=4, score_max=6) == {v["sv"].masked_text, v["da"].masked_text}
    assert search(segment="Silver") == {v["da"].masked_text}
    assert search(segment_id="Silver") == {v["da"].masked_text}
    assert _texts(selectors.comment_search(ctx, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))) == {
        v["en"].masked_text
    }
    assert _texts(selectors.comment_search(ctx, ids=[v["other"].pk, v["pending"].pk])) == {v["other"].masked_text}


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite demo's plain containment search")
def test_search_on_sqlite_matches_every_word_in_the_text(cast_a, verbatims):
    ctx = ctx_of(cast_a.cx_manager)
    v = verbatims
    assert _texts(selectors.comment_search(ctx, q="faktura")) == {
        v["sv"].masked_text,
        v["nb"].masked_text,
        v["da"].masked_text,
    }
    assert _texts(selectors.comment_search(ctx, q="FAKTURA sent")) == {v["sv"].masked_text}
    assert _texts(selectors.comment_search(ctx, q="faktura -feil", language="nb")) == set()


def test_search_without_words_lists_analysed_comments_newest_first(cast_a, verbatims):
    found = list(selectors.comment_search(ctx_of(cast_a.executive)))
    assert found[-1] == verbatims["en"]
    assert verbatims["pending"] not in found and len(found) == 5
    assert [found[0].pk, found[1].pk] == sorted([found[0].pk, found[1].pk], reverse=True)


def test_comment_themes_for_a_page(cast_a, world, verbatims):
    links = selectors.comment_themes(ctx_of(cast_a.executive), [verbatims["sv"], verbatims["other"]])
    assert [link.theme for link in links[verbatims["sv"].pk]] == [world.late_invoice]
    assert links[verbatims["sv"].pk][0].theme.parent == world.invoice
    assert links[verbatims["other"].pk] == []


def test_highlight_marks_inflections_and_escapes_html():
    html = selectors.comment_highlight('<script>alert("x")</script> Fakturan & fakturaen, kvitto', "faktura", "sv")
    assert html == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Fakturan</mark> &amp; <mark>fakturaen</mark>, kvitto"
    )
    assert selectors.comment_highlight("The invoices <b>were</b> late", "invoice", "en") == (
        "The <mark>invoices</mark> &lt;b&gt;were&lt;/b&gt; late"
    )
    assert selectors.comment_highlight("<i>ingen träff</i>", "", "sv") == "&lt;i&gt;ingen träff&lt;/i&gt;"
    comment = CommentAnalysis(masked_text="Priset på abonnemanget", language="sv")
    assert selectors.comment_highlight(comment=comment, terms=["abonnemang"]) == ("Priset på <mark>abonnemanget</mark>")


def test_search_falls_back_to_word_containment_without_postgresql_words():
    # The SQLite path's parsing of the search box (the PostgreSQL one is exercised above).
    assert selectors._query_words('faktura "för sent" -router or mobil') == (
        ["faktura", "för", "sent", "mobil"],
        ["router"],
    )


def test_stable_numbers_are_floats_not_numpy(cast_a, world, planted):
    row = by_theme(selectors.theme_overview(ctx_of(cast_a.executive), start=JAN, end=FEB))[world.invoice.pk]
    assert isinstance(row.p_value, float) and not isinstance(row.p_value, np.floating)
