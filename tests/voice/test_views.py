"""The voice pages: the theme overview, a theme's page, the verbatim explorer, the taxonomy editor, the proposals and
run progress, for every role and against another organization's ids; the writes go through voice.taxonomy."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.factories import CustomerFactory, JourneyFactory, ResponseFactory, StageFactory, TouchpointFactory
from voice.models import CommentAnalysis, CommentTheme, Theme, ThemeProposal, VoiceRun
from voice.stats import recompute_stats

pytestmark = pytest.mark.django_db

READERS = [Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE, Role.FRONTLINE]
EDITORS = [Role.ADMIN, Role.CX_MANAGER]
_ids = itertools.count(7_000_000)
# Session, membership, the filters' choices, the figures: the same whatever the number of comments or themes.
QUERY_BUDGET = 16


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


@dataclass
class VoiceWorld:
    cast: object
    org: object
    journey: object
    tp_team: object  # the frontline member's team answers for it
    tp_other: object
    invoice: Theme
    late_invoice: Theme
    staff: Theme
    negative: CommentAnalysis  # "Fakturan var fel och dyr", tp_team, invoice
    mixed: CommentAnalysis  # staff, tp_other, two sentences
    other_tp_comment: CommentAnalysis
    proposal: ThemeProposal
    run: VoiceRun


def plant(
    org,
    response,
    text: str,
    *,
    day: dt.date,
    score: float | None = 9,
    metric: str = "nps",
    language: str = "sv",
    label: str = "neutral",
    sentiment: float = 0.0,
    drivers=(),
    sentences=(),
    themes: dict | None = None,
    customer=None,
) -> CommentAnalysis:
    """One analysed comment with its theme links ({theme: matched terms})."""
    analysis = CommentAnalysis.objects.create(
        answer_id=next(_ids),
        organization=org,
        response=response,
        survey_id=response.survey_id,
        touchpoint=response.touchpoint,
        journey=response.journey,
        customer=customer,
        submitted_on=day,
        month=month_start(day),
        metric=metric if score is not None else "",
        score=score,
        status=CommentAnalysis.Status.DONE,
        language=language,
        masked_text=text,
        sentiment=sentiment,
        sentiment_label=label,
        drivers=[list(d) for d in drivers],
        sentences=list(sentences),
        analysed_at=timezone.now(),
    )
    for theme, matched in (themes or {}).items():
        CommentTheme.objects.create(organization=org, analysis=analysis, theme=theme, matched=matched)
    return analysis


def index_search_vectors() -> None:
    """What the analysis writes on PostgreSQL: the masked text's full-text vector (SQLite has none)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE voice_commentanalysis SET search = to_tsvector('swedish', masked_text)")


def make_voice_world(cast) -> VoiceWorld:
    org = cast.org
    journey = JourneyFactory(organization=org, name=f"{org.name} support")
    stage = StageFactory(journey=journey)
    tp_team = TouchpointFactory(stage=stage, name="Phone support", responsible_team=cast.team)
    tp_other = TouchpointFactory(stage=stage, name="Web shop")
    r_team = ResponseFactory(version__survey__organization=org, touchpoint=tp_team, journey=journey)
    r_other = ResponseFactory(
        version__survey=r_team.survey, version__organization=org, touchpoint=tp_other, journey=journey
    )
    invoice = Theme.objects.create(
        organization=org, name="Invoice", labels={"sv": "Faktura"}, keywords={"sv": ["faktura"], "en": ["invoice"]}
    )
    late = Theme.objects.create(organization=org, name="Late invoice", parent=invoice, keywords={"sv": ["sen faktura"]})
    staff = Theme.objects.create(organization=org, name="Staff", keywords={"sv": ["personal"]}, position=1)
    gold = CustomerFactory(organization=org, segment="Gold")
    this_month = month_start(timezone.localdate())
    before = months_back(this_month, 2)
    # Two months ago: mostly content customers, one invoice complaint. This month: invoice complaints rise.
    for _ in range(20):
        plant(org, r_other, "Allt fungerade bra", day=before, score=9, label="positive", sentiment=0.6)
    plant(
        org,
        r_team,
        "Fakturan kom sent",
        day=before,
        score=4,
        label="negative",
        sentiment=-0.4,
        themes={invoice: ["faktura"]},
    )
    for _ in range(11):
        plant(
            org,
            r_team,
            "Fakturan var för hög igen",
            day=this_month,
            score=2,
            label="negative",
            sentiment=-0.5,
            themes={invoice: ["faktura"]},
        )
    for _ in range(10):
        plant(org, r_other, "Snabb leverans", day=this_month, score=10, label="positive", sentiment=0.7)
    negative = plant(
        org,
        r_team,
        "Fakturan var fel och dyr",
        day=this_month,
        score=1,
        label="negative",
        sentiment=-0.8,
        drivers=[["fel", -1.9], ["dyr", -1.2]],
        themes={invoice: ["faktura"]},
        customer=gold,
    )
    mixed = plant(
        org,
        r_other,
        "Bra personal. Men lång väntetid i telefon.",
        day=this_month,
        score=6,
        label="mixed",
        sentiment=0.0,
        drivers=[["bra", 1.9], ["lång", -0.8]],
        themes={staff: ["personal"]},
        sentences=[
            {"text": "Bra personal.", "sentiment": 0.6, "label": "positive", "drivers": [["bra", 1.9]]},
            {
                "text": "Men lång väntetid i telefon.",
                "sentiment": -0.4,
                "label": "negative",
                "drivers": [["lång", -0.8]],
            },
        ],
    )
    other = plant(
        org,
        r_other,
        "Personalen i butiken var trevlig",
        day=this_month,
        score=9,
        label="positive",
        sentiment=0.5,
        language="sv",
        themes={staff: ["personal"]},
    )
    english = plant(
        org, r_other, "Great service, thanks", day=this_month, score=10, language="en", label="positive", sentiment=0.8
    )
    recompute_stats(org.pk, [before, this_month])
    index_search_vectors()
    proposal = ThemeProposal.objects.create(
        organization=org,
        language="sv",
        label="leverans paket",
        terms=["leverans", "paket", "försenad"],
        example_ids=[english.pk, other.pk],
        size=14,
    )
    run = VoiceRun.objects.create(
        organization=org, kind=VoiceRun.Kind.RETAG, status=VoiceRun.Status.RUNNING, total=200, done=50
    )
    return VoiceWorld(
        cast, org, journey, tp_team, tp_other, invoice, late, staff, negative, mixed, other, proposal, run
    )


@pytest.fixture
def world(cast_a) -> VoiceWorld:
    return make_voice_world(cast_a)


def page_urls(w: VoiceWorld) -> dict[str, str]:
    return {
        "overview": reverse("voice:overview"),
        "theme": reverse("voice:theme_detail", args=[w.invoice.pk]),
        "comments": reverse("voice:comment_list"),
        "taxonomy": reverse("voice:taxonomy"),
        "run": reverse("voice:run_progress", args=[w.run.pk]),
    }


def text_of(response) -> str:
    return response.content.decode()


# -- who may read and write ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_the_insight_pages(world, client_for, role):
    client = client_for(world.cast.member(role))
    for name, url in page_urls(world).items():
        assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE])
def test_proposals_are_read_by_managers_and_executives(world, client_for, role):
    page = client_for(world.cast.member(role)).get(reverse("voice:proposal_list"))
    assert page.status_code == 200
    assert "leverans paket" in text_of(page)
    assert ('data-testid="proposal-accept"' in text_of(page)) == (role in EDITORS)


def test_frontline_staff_do_not_see_the_proposals(world, client_for):
    client = client_for(world.cast.frontline)
    assert client.get(reverse("voice:proposal_list")).status_code == 403
    assert reverse("voice:proposal_list") not in text_of(client.get(reverse("voice:overview")))


def test_the_menu_leads_to_the_voice_pages(world, client_for):
    page = text_of(client_for(world.cast.executive).get(reverse("kpis:overview")))
    assert 'data-testid="voice-menu"' in page
    assert reverse("voice:comment_list") in page


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FRONTLINE])
def test_readers_get_no_edit_buttons_and_their_writes_are_refused(world, client_for, role):
    client = client_for(world.cast.member(role))
    page = text_of(client.get(reverse("voice:taxonomy")))
    assert reverse("voice:theme_detail", args=[world.invoice.pk]) in page
    assert 'data-testid="theme-archive"' not in page and 'data-testid="theme-create"' not in page
    posts = [
        (reverse("voice:theme_create"), {"name": "X", "keywords_sv": "x"}),
        (reverse("voice:theme_edit", args=[world.invoice.pk]), {"name": "X", "keywords_sv": "x"}),
        (reverse("voice:theme_archive", args=[world.invoice.pk]), {}),
        (reverse("voice:proposal_accept", args=[world.proposal.pk]), {"name": "Leverans"}),
        (reverse("voice:proposal_merge", args=[world.proposal.pk]), {"theme": world.staff.pk}),
        (reverse("voice:proposal_reject", args=[world.proposal.pk]), {}),
        (reverse("voice:discovery_start"), {}),
        (reverse("voice:starter_install"), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("voice:theme_create")).status_code == 403
    world.invoice.refresh_from_db()
    world.proposal.refresh_from_db()
    assert world.invoice.status == Theme.Status.ACTIVE and world.invoice.name == "Invoice"
    assert world.proposal.status == ThemeProposal.Status.PROPOSED
    assert not Theme.objects.filter(organization=world.org, name="X").exists()
    assert not VoiceRun.objects.filter(organization=world.org, kind=VoiceRun.Kind.DISCOVER).exists()


def test_another_organizations_ids_are_not_found(world, cast_b, client_for):
    client = client_for(cast_b.admin)
    w = world
    gets = [
        reverse("voice:theme_detail", args=[w.invoice.pk]),
        reverse("voice:theme_edit", args=[w.invoice.pk]),
        reverse("voice:run_progress", args=[w.run.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("voice:theme_edit", args=[w.invoice.pk]), {"name": "Hacked", "keywords_sv": "x"}),
        (reverse("voice:theme_archive", args=[w.invoice.pk]), {}),
        (reverse("voice:proposal_accept", args=[w.proposal.pk]), {"name": "Hacked"}),
        (reverse("voice:proposal_merge", args=[w.proposal.pk]), {"theme": w.staff.pk}),
        (reverse("voice:proposal_reject", args=[w.proposal.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    w.invoice.refresh_from_db()
    w.proposal.refresh_from_db()
    assert (w.invoice.name, w.invoice.status) == ("Invoice", Theme.Status.ACTIVE)
    assert w.proposal.status == ThemeProposal.Status.PROPOSED
    # Their own pages show nothing of org A.
    for url in (reverse("voice:overview"), reverse("voice:comment_list"), reverse("voice:taxonomy")):
        page = text_of(client.get(url))
        assert "Fakturan" not in page and "Faktura" not in page and "Phone support" not in page


# -- the overview ---------------------------------------------------------------------------------------------------


def test_the_overview_ranks_themes_with_impact_emerging_themes_and_languages(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:overview"))
    html = text_of(page)
    rows = page.context["rows"]
    invoice_row = next(row for row, depth in rows if row.theme == world.invoice)
    assert invoice_row.comments == 13 and invoice_row.significant and invoice_row.impact < 0
    # Most harmful first, sub-theme right under its theme, indented.
    assert rows[0][0].theme == world.invoice
    assert (rows[1][0].theme, rows[1][1]) == (world.late_invoice, 1)
    assert "Comments with this theme score" in html and "lower on average; unlikely to be chance (p" in html
    assert 'data-significant="true"' in html
    emerging = page.context["emerging"]
    assert [e.theme for e in emerging] == [world.invoice]
    assert 'data-testid="emerging-theme"' in html
    languages = {lang["code"]: lang["n"] for lang in page.context["languages"]}
    assert languages == {"sv": 45, "en": 1} and page.context["totals"].comments == 46
    assert f"?from={page.context['start'].isoformat()}" in html and f"theme={world.invoice.pk}" in html


def test_the_overview_defaults_to_the_last_three_full_months_and_this_month(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:overview"))
    this_month = month_start(timezone.localdate())
    assert page.context["start"] == months_back(this_month, 3)
    assert page.context["end"].replace(day=1) == this_month
    assert page.context["end"].month != (page.context["end"] + dt.timedelta(days=1)).month  # the month's last day


def test_the_overview_filters_by_month_touchpoint_and_metric(world, client_for):
    client = client_for(world.cast.cx_manager)
    this_month = month_start(timezone.localdate())
    two_ago = months_back(this_month, 2)
    page = client.get(reverse("voice:overview"), {"start": f"{two_ago:%Y-%m}", "end": f"{two_ago:%Y-%m}"})
    assert page.context["totals"].comments == 21
    page = client.get(reverse("voice:overview"), {"touchpoint": world.tp_team.pk})
    assert page.context["totals"].comments == 13
    page = client.get(reverse("voice:overview"), {"metric": "csat"})
    assert page.context["metric"] == "csat" and "Mean CSAT score with" in text_of(page)


def test_bad_overview_filters_are_named_and_ignored(world, cast_b, client_for):
    foreign = TouchpointFactory(stage=StageFactory(journey=JourneyFactory(organization=cast_b.org)))
    page = client_for(world.cast.cx_manager).get(
        reverse("voice:overview"), {"start": "2026-13", "end": "nonsense", "touchpoint": foreign.pk, "metric": "x"}
    )
    assert page.status_code == 200
    errors = page.context["filter_errors"]
    assert len(errors) == 4
    assert any("touchpoint filter was not applied" in e for e in errors)
    assert page.context["totals"].comments > 13  # the whole organization: no filter applied
    assert text_of(page).count('data-testid="filter-error"') == 4


def test_a_later_first_month_than_last_month_is_an_error(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:overview"), {"start": "2026-05", "end": "2026-02"})
    assert page.status_code == 200
    assert any("before the first one" in e for e in page.context["filter_errors"])


def test_without_themes_the_overview_offers_the_taxonomy_and_the_starter(cast_a, client_for):
    manager = text_of(client_for(cast_a.cx_manager).get(reverse("voice:overview")))
    assert 'data-testid="empty-taxonomy"' in manager and 'data-testid="empty-comments"' in manager
    assert reverse("voice:taxonomy") in manager
    assert 'data-testid="install-starter"' in manager
    executive = text_of(client_for(cast_a.executive).get(reverse("voice:overview")))
    assert 'data-testid="empty-taxonomy"' in executive and 'data-testid="install-starter"' not in executive


def test_a_cx_manager_installs_the_starter_taxonomy(cast_a, client_for):
    client = client_for(cast_a.cx_manager)
    page = client.post(reverse("voice:starter_install"), follow=True)
    assert page.status_code == 200
    assert Theme.objects.filter(organization=cast_a.org, origin=Theme.Origin.STARTER).count() > 5
    assert VoiceRun.objects.filter(organization=cast_a.org, kind=VoiceRun.Kind.RETAG).exists()
    assert "starter themes installed" in text_of(page)
    again = client.post(reverse("voice:starter_install"), follow=True)
    assert "already installed" in text_of(again)


# -- a theme's page -------------------------------------------------------------------------------------------------


def test_the_theme_page_shows_its_figures_trend_touchpoints_and_latest_comments(world, client_for):
    page = client_for(world.cast.executive).get(reverse("voice:theme_detail", args=[world.invoice.pk]))
    html = text_of(page)
    assert page.context["row"].comments == 13
    assert 'data-plotly="trend-figure"' in html and 'id="trend-figure"' in html
    figure = page.context["trend_figure"]
    assert len(figure["data"]) == 3 and len(figure["data"][0]["x"]) == 4  # four months
    touchpoints = page.context["touchpoints"]
    assert [t.touchpoint for t in touchpoints] == [world.tp_team]
    assert "Late invoice" in html and "faktura" in html  # sub-theme and keywords
    examples = page.context["examples"]
    assert len(examples) == 5
    assert "<mark>Fakturan</mark>" in html  # the matched term highlighted in the examples
    assert f"theme={world.invoice.pk}" in page.context["explorer_url"]


def test_a_theme_without_comments_says_so(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:theme_detail", args=[world.late_invoice.pk]))
    html = text_of(page)
    assert page.status_code == 200
    assert 'data-testid="trend-empty"' in html and page.context["trend_figure"] is None


# -- the verbatim explorer -----------------------------------------------------------------------------------------


def test_the_explorer_finds_inflected_words_and_highlights_them(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:comment_list"), {"q": "faktura"})
    html = text_of(page)
    found = page.context["comments"]
    assert len(found) == 13  # every invoice comment ("Fakturan", "Fakturan"...), newest first
    assert all("Faktura" in c.masked_text for c in found)
    assert "<mark>Fakturan</mark> var fel och dyr" in html


def test_the_explorer_explains_sentiment_and_shows_theme_chips_and_links(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:comment_list"), {"q": "fel dyr"})
    html = text_of(page)
    assert [c.pk for c in page.context["comments"]] == [world.negative.pk]
    assert "Negative because of: fel (\u22121.9), dyr (\u22121.2)" in html
    assert reverse("voice:theme_detail", args=[world.invoice.pk]) in html
    assert 'data-testid="theme-chip"' in html
    assert reverse("surveys:response_detail", args=[world.negative.response_id]) in html


def test_mixed_comments_show_the_sentiment_of_each_sentence(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:comment_list"), {"sentiment": "mixed"})
    html = text_of(page)
    assert [c.pk for c in page.context["comments"]] == [world.mixed.pk]
    assert 'data-testid="comment-sentences"' in html
    assert "Men lång väntetid i telefon." in html and "lång (\u22120.8)" in html


def test_the_explorer_filters(world, client_for):
    client = client_for(world.cast.cx_manager)

    def pks(**params):
        return {c.pk for c in client.get(reverse("voice:comment_list"), params).context["comments"]}

    assert pks(theme=world.staff.pk) == {world.mixed.pk, world.other_tp_comment.pk}
    assert pks(segment="Gold") == {world.negative.pk}
    assert len(pks(language="en", score_min="10")) == 1
    assert pks(score_min="1", score_max="1") == {world.negative.pk}
    assert pks(touchpoint=world.tp_other.pk, sentiment="mixed") == {world.mixed.pk}
    this_month = month_start(timezone.localdate())
    older = pks(journey=world.journey.pk, to=(this_month - dt.timedelta(days=1)).isoformat(), q="faktura")
    assert [CommentAnalysis.objects.get(pk=pk).masked_text for pk in older] == ["Fakturan kom sent"]


def test_the_explorer_pages_by_25(world, client_for):
    client = client_for(world.cast.cx_manager)
    first = client.get(reverse("voice:comment_list"))
    assert len(first.context["comments"]) == 25 and first.context["has_next"]
    second = client.get(reverse("voice:comment_list"), {"page": 2})
    assert len(second.context["comments"]) == 46 - 25 and not second.context["has_next"]
    assert not {c.pk for c in first.context["comments"]} & {c.pk for c in second.context["comments"]}
    assert client.get(reverse("voice:comment_list"), {"page": "x"}).status_code == 200


def test_bad_explorer_filters_get_a_message_never_an_error(world, cast_b, client_for):
    foreign_theme = Theme.objects.create(organization=cast_b.org, name="Foreign")
    page = client_for(world.cast.cx_manager).get(
        reverse("voice:comment_list"),
        {"theme": foreign_theme.pk, "score_min": "abc", "score_max": "99", "from": "2026-02-31", "sentiment": "x"},
    )
    assert page.status_code == 200
    errors = page.context["filter_errors"]
    assert any("theme filter was not applied" in e for e in errors)
    assert len(errors) == 5
    assert len(page.context["comments"]) == 25  # nothing applied: every comment
    inverted = client_for(world.cast.cx_manager).get(reverse("voice:comment_list"), {"score_min": 8, "score_max": 2})
    assert any("highest score is below the lowest" in e for e in inverted.context["filter_errors"])


def test_the_explorer_answers_htmx_with_the_results_only(world, client_for):
    page = client_for(world.cast.cx_manager).get(
        reverse("voice:comment_list"), {"q": "faktura"}, HTTP_HX_REQUEST="true"
    )
    html = text_of(page)
    assert 'data-testid="comment-list"' in html and "<html" not in html


def test_frontline_staff_read_only_their_teams_comments(world, client_for):
    page = client_for(world.cast.frontline).get(reverse("voice:comment_list"))
    comments = page.context["comments"]
    assert comments and all(c.touchpoint_id == world.tp_team.pk for c in comments)
    refused = client_for(world.cast.frontline).get(reverse("voice:comment_list"), {"touchpoint": world.tp_other.pk})
    assert any("touchpoint filter was not applied" in e for e in refused.context["filter_errors"])
    overview = client_for(world.cast.frontline).get(reverse("voice:overview"))
    assert overview.context["totals"].comments == 13  # only the team's touchpoint's comments


def test_a_comment_with_a_case_links_to_it(world, client_for):
    from actions.models import FeedbackCase

    case = FeedbackCase.objects.create(
        organization=world.org,
        response=world.negative.response,
        touchpoint=world.tp_team,
        team=world.cast.team,
        warn_at=timezone.now() + dt.timedelta(days=1),
        due_at=timezone.now() + dt.timedelta(days=2),
    )
    html = text_of(client_for(world.cast.cx_manager).get(reverse("voice:comment_list"), {"q": "fel dyr"}))
    assert reverse("actions:case_detail", args=[case.pk]) in html


# -- the taxonomy ---------------------------------------------------------------------------------------------------


def test_the_taxonomy_shows_the_tree_and_the_retagging_progress(world, client_for):
    html = text_of(client_for(world.cast.cx_manager).get(reverse("voice:taxonomy")))
    assert html.count('data-testid="tree-theme"') == 2 and html.count('data-testid="tree-subtheme"') == 1
    assert 'data-testid="run-progress"' in html and "25&nbsp;%" in html
    assert f'hx-get="{reverse("voice:run_progress", args=[world.run.pk])}" hx-trigger="every 2s"' in html


def test_run_progress_polls_until_the_run_is_done(world, client_for):
    client = client_for(world.cast.executive)
    url = reverse("voice:run_progress", args=[world.run.pk])
    assert 'hx-trigger="every 2s"' in text_of(client.get(url))
    VoiceRun.objects.filter(pk=world.run.pk).update(status=VoiceRun.Status.DONE, done=200, finished_at=timezone.now())
    done = text_of(client.get(url))
    assert "hx-trigger" not in done and "100&nbsp;%" in done


def test_a_cx_manager_creates_a_sub_theme_with_keywords_per_language(world, client_for):
    client = client_for(world.cast.cx_manager)
    form = client.get(reverse("voice:theme_create"), {"parent": world.invoice.pk})
    assert form.status_code == 200 and 'id="id_keywords_nb"' in text_of(form)
    response = client.post(
        reverse("voice:theme_create"),
        {
            "name": "Wrong amount",
            "parent": world.invoice.pk,
            "label_sv": "Fel belopp",
            "keywords_sv": "fel belopp, för hög\növerdebitering",
            "keywords_en": "wrong amount",
            "examples_sv": "Fakturan hade fel belopp\n",
            "description": "Invoices with a wrong amount",
        },
    )
    assert response.status_code == 302 and response.url == reverse("voice:taxonomy")
    theme = Theme.objects.get(organization=world.org, name="Wrong amount")
    assert theme.parent == world.invoice and theme.labels == {"sv": "Fel belopp"}
    assert theme.keywords == {"sv": ["fel belopp", "för hög", "överdebitering"], "en": ["wrong amount"]}
    assert theme.examples == {"sv": ["Fakturan hade fel belopp"]}
    assert VoiceRun.objects.filter(organization=world.org, kind=VoiceRun.Kind.RETAG, status="queued").exists()


def test_theme_form_errors_are_shown(world, client_for):
    client = client_for(world.cast.cx_manager)
    page = client.post(reverse("voice:theme_create"), {"name": ""})
    html = text_of(page)
    assert page.status_code == 200
    assert "This field is required." in html
    assert "Give at least one keyword or example phrase" in html
    duplicate = client.post(reverse("voice:theme_create"), {"name": "Staff", "keywords_sv": "personal"})
    assert duplicate.status_code == 200
    assert "already exists at this level" in text_of(duplicate)
    assert Theme.objects.filter(organization=world.org, name="Staff").count() == 1


def test_a_cx_manager_edits_and_archives_a_theme(world, client_for, cast_a):
    from actions.models import RootCause

    cause = RootCause.objects.create(organization=cast_a.org, name="Billing errors")
    client = client_for(world.cast.admin)
    page = client.get(reverse("voice:theme_edit", args=[world.invoice.pk]))
    assert 'value="Faktura"' in text_of(page) and "faktura</textarea>" in text_of(page)
    response = client.post(
        reverse("voice:theme_edit", args=[world.invoice.pk]),
        {"name": "Invoices", "keywords_sv": "faktura, räkning", "root_cause": cause.pk, "label_sv": "Fakturor"},
    )
    assert response.status_code == 302
    world.invoice.refresh_from_db()
    assert world.invoice.name == "Invoices" and world.invoice.root_cause == cause
    assert world.invoice.keywords == {"sv": ["faktura", "räkning"]}
    client.post(reverse("voice:theme_archive", args=[world.invoice.pk]))
    world.invoice.refresh_from_db()
    world.late_invoice.refresh_from_db()
    assert world.invoice.status == world.late_invoice.status == Theme.Status.ARCHIVED
    assert client.get(reverse("voice:theme_archive", args=[world.staff.pk])).status_code == 405


def test_a_theme_cannot_take_another_organizations_root_cause(world, cast_b, client_for):
    from actions.models import RootCause

    foreign = RootCause.objects.create(organization=cast_b.org, name="Foreign cause")
    page = client_for(world.cast.cx_manager).post(
        reverse("voice:theme_edit", args=[world.staff.pk]),
        {"name": "Staff", "keywords_sv": "personal", "root_cause": foreign.pk},
    )
    assert page.status_code == 200 and "Select a valid choice" in text_of(page)
    world.staff.refresh_from_db()
    assert world.staff.root_cause is None


# -- proposals ------------------------------------------------------------------------------------------------------


def test_the_proposals_page_shows_terms_size_and_examples(world, client_for):
    page = client_for(world.cast.cx_manager).get(reverse("voice:proposal_list"))
    html = text_of(page)
    assert "leverans, paket, försenad" in html and "14 comments" in html
    assert "Personalen i butiken var trevlig" in html
    assert f'id="p{world.proposal.pk}_accept_name"' in html and 'value="leverans paket"' in html


def test_a_cx_manager_accepts_a_proposal_as_a_sub_theme(world, client_for):
    client = client_for(world.cast.cx_manager)
    page = client.post(
        reverse("voice:proposal_accept", args=[world.proposal.pk]),
        {"name": "Delayed parcel", "parent": world.staff.pk},
        follow=True,
    )
    assert "Delayed parcel" in text_of(page)
    theme = Theme.objects.get(organization=world.org, name="Delayed parcel")
    assert theme.parent == world.staff and theme.origin == Theme.Origin.DISCOVERED
    assert theme.keywords["sv"][:3] == ["leverans", "paket", "försenad"]
    world.proposal.refresh_from_db()
    assert (world.proposal.status, world.proposal.theme) == (ThemeProposal.Status.ACCEPTED, theme)
    again = client.post(reverse("voice:proposal_accept", args=[world.proposal.pk]), {"name": "Twice"}, follow=True)
    assert "already been decided" in text_of(again)


def test_accepting_without_a_name_is_refused_with_a_message(world, client_for):
    page = client_for(world.cast.cx_manager).post(
        reverse("voice:proposal_accept", args=[world.proposal.pk]), {"name": ""}, follow=True
    )
    assert "This field is required." in text_of(page)
    world.proposal.refresh_from_db()
    assert world.proposal.status == ThemeProposal.Status.PROPOSED


def test_a_cx_manager_merges_a_proposal_into_a_theme(world, client_for):
    client_for(world.cast.cx_manager).post(
        reverse("voice:proposal_merge", args=[world.proposal.pk]), {"theme": world.staff.pk}
    )
    world.staff.refresh_from_db()
    world.proposal.refresh_from_db()
    assert world.staff.keywords["sv"] == ["personal", "leverans", "paket", "försenad"]
    assert (world.proposal.status, world.proposal.theme) == (ThemeProposal.Status.MERGED, world.staff)


def test_a_cx_manager_rejects_a_proposal(world, client_for):
    page = client_for(world.cast.admin).post(reverse("voice:proposal_reject", args=[world.proposal.pk]), follow=True)
    world.proposal.refresh_from_db()
    assert world.proposal.status == ThemeProposal.Status.REJECTED
    assert 'data-testid="no-proposals"' in text_of(page)


def test_find_new_themes_starts_discovery_once(world, client_for, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client = client_for(world.cast.cx_manager)
    page = client.post(reverse("voice:discovery_start"), follow=True)
    run = VoiceRun.objects.get(organization=world.org, kind=VoiceRun.Kind.DISCOVER)
    assert run.created_by == world.cast.cx_manager.user
    assert 'data-testid="run-progress"' in text_of(page)
    again = client.post(reverse("voice:discovery_start"), follow=True)
    assert "already running" in text_of(again)
    assert VoiceRun.objects.filter(organization=world.org, kind=VoiceRun.Kind.DISCOVER).count() == 1


# -- the SQLite demo ------------------------------------------------------------------------------------------------

SQLITE_SCRIPT = r"""
import json, re
from django.test import Client
from django.urls import reverse
from tests.conftest import _make_cast
from tests.voice.test_views import make_voice_world

cast = _make_cast("Alpha Telecom")
w = make_voice_world(cast)
web = Client()
web.force_login(cast.cx_manager.user)
urls = [reverse("voice:overview"), reverse("voice:theme_detail", args=[w.invoice.pk]), reverse("voice:taxonomy"),
        reverse("voice:proposal_list"), reverse("voice:run_progress", args=[w.run.pk])]
statuses = [web.get(url).status_code for url in urls]
search = web.get(reverse("voice:comment_list"), {"q": "fakturan fel"})
accepted = web.post(reverse("voice:proposal_accept", args=[w.proposal.pk]), {"name": "Leverans"})
print(json.dumps({"statuses": statuses, "search": search.status_code,
                  "found": [int(pk) for pk in re.findall(r'data-comment="(\d+)"', search.content.decode())],
                  "negative": w.negative.pk,
                  "marked": "<mark>Fakturan</mark> var <mark>fel</mark>" in search.content.decode(),
                  "accepted": accepted.status_code}))
"""


def test_the_voice_pages_work_on_the_sqlite_demo(tmp_path):
    from tests.sqlite_demo import run_on_fresh_sqlite

    result = run_on_fresh_sqlite(tmp_path, SQLITE_SCRIPT)
    assert result["statuses"] == [200] * 5
    assert result["search"] == 200 and result["found"] == [result["negative"]] and result["marked"]
    assert result["accepted"] == 302


def test_the_overview_and_the_explorer_read_a_bounded_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.cast.cx_manager)
    for url, params in ((reverse("voice:overview"), {}), (reverse("voice:comment_list"), {"q": "faktura"})):
        client.get(url, params)  # warm the session and caches
        with django_assert_max_num_queries(QUERY_BUDGET):
            assert client.get(url, params).status_code == 200
