"""The voice REST API (/api/v1/voice/): roles and API keys, another organization's ids, filters, validation, the
decisions on proposals, masked comments only, and theme statistics equal to the selectors' figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from actions.models import RootCause
from core.masking import MASK
from tests.factories import (
    AnswerFactory,
    CustomerFactory,
    JourneyFactory,
    QuestionFactory,
    ResponseFactory,
    StageFactory,
    TouchpointFactory,
)
from voice import selectors
from voice.models import CommentAnalysis, CommentTheme, Taxonomy, Theme, ThemeProposal, VoiceRun
from voice.search_vector import config_for
from voice.stats import recompute_stats

pytestmark = pytest.mark.django_db

BASE = "/api/v1/voice"
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def session(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user)
    return client


def key_client(cast, *, read_only: bool = False) -> APIClient:
    _key, raw = api_key_create(
        ctx=context_for_membership(cast.admin, user=cast.admin.user), name="voice", read_only=read_only
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@dataclass
class World:
    cast: object
    journey: object
    tp_team: object  # the frontline member's team is responsible
    tp_other: object
    invoice: Theme
    late_invoice: Theme  # sub-theme of invoice
    staff: Theme
    gold: object


def make_world(cast) -> World:
    org = cast.org
    journey = JourneyFactory(organization=org, name="Support")
    stage = StageFactory(journey=journey, organization=org)
    invoice = Theme.objects.create(organization=org, name="Invoice", keywords={"en": ["invoice"]})
    return World(
        cast=cast,
        journey=journey,
        tp_team=TouchpointFactory(stage=stage, name="Phone support", responsible_team=cast.team),
        tp_other=TouchpointFactory(stage=stage, name="Shop"),
        invoice=invoice,
        late_invoice=Theme.objects.create(
            organization=org, name="Late invoice", parent=invoice, keywords={"en": ["late invoice"]}
        ),
        staff=Theme.objects.create(organization=org, name="Staff", position=1, keywords={"en": ["staff"]}),
        gold=CustomerFactory(organization=org, segment="Gold"),
    )


def comment(
    w: World,
    masked: str,
    *,
    raw: str | None = None,
    touchpoint=None,
    day: dt.date = dt.date(2026, 2, 10),
    score: float | None = 8,
    metric: str = "nps",
    language: str = "en",
    label: str = "neutral",
    sentiment: float = 0.0,
    themes: dict | None = None,
    customer=None,
) -> CommentAnalysis:
    """A comment (an Answer with text) and its analysis, as the pipeline would have written them."""
    touchpoint = touchpoint or w.tp_team
    response = ResponseFactory(
        version__survey__organization=w.cast.org, touchpoint=touchpoint, journey=w.journey, customer=customer
    )
    question = QuestionFactory(version=response.version, code="why", kind="text")
    answer = AnswerFactory(response=response, question=question, text=raw or masked, value=None)
    analysis = CommentAnalysis.objects.create(
        answer=answer,
        organization=w.cast.org,
        response=response,
        survey=response.survey,
        touchpoint=touchpoint,
        journey=w.journey,
        customer=customer,
        submitted_on=day,
        month=day.replace(day=1),
        metric=metric if score is not None else "",
        score=score,
        status=CommentAnalysis.Status.DONE,
        language=language,
        masked_text=masked,
        has_personal_data=raw is not None and raw != masked,
        sentiment=sentiment,
        sentiment_label=label,
        sentences=[{"text": masked, "sentiment": sentiment, "label": label, "drivers": [["slow", -1.5]]}],
        drivers=[["slow", -1.5]],
        taxonomy_version=1,
    )
    if connection.vendor == "postgresql":  # the pipeline's full-text vector (voice.search_vector)
        vector = SearchVector("masked_text", config=config_for(language))
        CommentAnalysis.objects.filter(pk=analysis.pk).update(search=vector)
    for theme, matched in (themes or {}).items():
        CommentTheme.objects.create(
            organization=w.cast.org, analysis=analysis, theme=theme, matched=matched, sentiment=sentiment
        )
    return analysis


@pytest.fixture
def world(cast_a) -> World:
    return make_world(cast_a)


# -- themes: roles, keys, validation -----------------------------------------------------------------------------


THEME = {"name": "Delivery", "keywords": {"en": ["delivery", "parcel"], "sv": ["leverans"]}}


@pytest.mark.parametrize(
    ("role", "may_write"),
    [(Role.ADMIN, True), (Role.CX_MANAGER, True), (Role.EXECUTIVE, False), (Role.FRONTLINE, False)],
)
def test_every_role_reads_themes_and_only_admins_and_cx_managers_write(world, role, may_write):
    client = session(world.cast.member(role))
    assert ids(client.get(f"{BASE}/themes/")) == {world.invoice.pk, world.late_invoice.pk, world.staff.pk}
    assert client.get(f"{BASE}/themes/{world.invoice.pk}/").json()["name"] == "Invoice"
    assert client.get(f"{BASE}/taxonomy/").status_code == 200
    created = client.post(f"{BASE}/themes/", THEME, format="json")
    patched = client.patch(f"{BASE}/themes/{world.staff.pk}/", {"description": "People"}, format="json")
    archived = client.delete(f"{BASE}/themes/{world.staff.pk}/")
    if may_write:
        assert (created.status_code, patched.status_code, archived.status_code) == (201, 200, 204)
        assert Theme.objects.get(organization=world.cast.org, name="Delivery").keywords["sv"] == ["leverans"]
        world.staff.refresh_from_db()
        assert world.staff.description == "People" and world.staff.status == Theme.Status.ARCHIVED
    else:
        assert (created.status_code, patched.status_code, archived.status_code) == (403, 403, 403)
        assert not Theme.objects.filter(name="Delivery").exists()
        world.staff.refresh_from_db()
        assert world.staff.description == "" and world.staff.status == Theme.Status.ACTIVE


def test_an_api_key_reads_and_writes_and_a_read_only_key_only_reads(world):
    full, read_only = key_client(world.cast), key_client(world.cast, read_only=True)
    assert ids(read_only.get(f"{BASE}/themes/")) == ids(full.get(f"{BASE}/themes/"))
    refused = read_only.post(f"{BASE}/themes/", THEME, format="json")
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert read_only.post(f"{BASE}/discovery/").status_code == 403
    response = full.post(f"{BASE}/themes/", THEME, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["origin"] == "manual" and body["status"] == "active" and body["parent"] is None
    assert Theme.objects.get(pk=body["id"]).organization == world.cast.org


def test_an_anonymous_caller_gets_401(world):
    assert APIClient().get(f"{BASE}/themes/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Api-Key nope")
    assert bad.get(f"{BASE}/comments/").status_code == 401


def test_creating_changing_and_archiving_themes_through_the_taxonomy_services(world):
    client = key_client(world.cast)
    version = Taxonomy.objects.filter(pk=world.cast.org.pk).values_list("version", flat=True).first() or 1
    cause = RootCause.objects.create(organization=world.cast.org, name="Billing system")
    body = {
        "name": "  Late   refund ",
        "parent": world.invoice.pk,
        "labels": {"sv": "Sen återbetalning"},
        "keywords": {"en": ["Refund", "refund", " money back "]},
        "examples": {"sv": ["Jag väntar fortfarande på pengarna"]},
        "root_cause": cause.pk,
        "description": "Refunds that take weeks.",
    }
    response = client.post(f"{BASE}/themes/", body, format="json")
    assert response.status_code == 201, response.content
    theme = Theme.objects.get(pk=response.json()["id"])
    assert theme.name == "Late refund" and theme.parent == world.invoice and theme.root_cause == cause
    assert theme.keywords == {"en": ["refund", "money back"]}
    assert theme.labels == {"sv": "Sen återbetalning"}
    assert Taxonomy.objects.get(pk=world.cast.org.pk).version == version + 1
    taxonomy = client.get(f"{BASE}/taxonomy/").json()
    assert taxonomy["version"] == version + 1
    assert taxonomy["last_run"]["kind"] == "retag" and taxonomy["last_run"]["status"] == "queued"
    tree = {node["id"]: node for node in taxonomy["themes"]}
    assert set(tree) == {world.invoice.pk, world.staff.pk}
    assert {c["id"] for c in tree[world.invoice.pk]["children"]} == {world.late_invoice.pk, theme.pk}

    response = client.patch(f"{BASE}/themes/{theme.pk}/", {"keywords": {"nb": ["refusjon"]}}, format="json")
    assert response.status_code == 200 and response.json()["keywords"] == {"nb": ["refusjon"]}
    assert (
        client.put(
            f"{BASE}/themes/{theme.pk}/",
            {"name": "Refunds", "parent": None, "keywords": {"da": ["refusion"]}},
            format="json",
        ).json()["parent"]
        is None
    )

    assert client.delete(f"{BASE}/themes/{world.invoice.pk}/").status_code == 204
    world.late_invoice.refresh_from_db()
    assert world.late_invoice.status == Theme.Status.ARCHIVED  # its sub-themes go with it
    assert world.invoice.pk not in ids(client.get(f"{BASE}/themes/"))
    assert ids(client.get(f"{BASE}/themes/", {"status": "archived"})) == {world.invoice.pk, world.late_invoice.pk}
    assert client.get(f"{BASE}/themes/{world.invoice.pk}/").json()["status"] == "archived"
    assert client.get(f"{BASE}/themes/", {"status": "gone"}).status_code == 400


def test_theme_validation_errors_are_clear_400s(world, cast_b):
    client = key_client(world.cast)
    foreign = Theme.objects.create(organization=cast_b.org, name="Foreign", keywords={"en": ["x"]})
    cases = [
        ({**THEME, "keywords": {"fi": ["lasku"]}}, "keywords", "fi"),
        ({**THEME, "examples": {"en": ["fine"], "xx": ["y"]}}, "examples", "xx"),
        ({**THEME, "labels": {"de": "Lieferung"}}, "labels", "de"),
        ({**THEME, "keywords": {"en": "delivery"}}, "keywords", "list"),
        ({**THEME, "parent": foreign.pk}, "parent", "no such theme"),
        ({**THEME, "parent": world.late_invoice.pk}, "parent", "sub-theme"),
        ({**THEME, "parent": True}, "parent", ""),
        ({"name": "Delivery", "keywords": {}}, "keywords", "at least one keyword"),
        ({**THEME, "name": "Invoice"}, "name", "already exists"),
        ({**THEME, "name": 7}, "name", ""),
        ({**THEME, "keywords": {"en": ["a\x00b"]}}, "keywords", "null"),
        ({"keywords": {"en": ["x"]}}, "name", "required"),
    ]
    for body, field, words in cases:
        response = client.post(f"{BASE}/themes/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        errors = response.json()
        assert field in errors, (body, errors)
        assert words.lower() in " ".join(errors[field]).lower(), (body, errors)
    assert not Theme.objects.filter(name="Delivery").exists()
    # A main theme with sub-themes cannot become a sub-theme; a theme cannot sit under itself.
    response = client.patch(f"{BASE}/themes/{world.invoice.pk}/", {"parent": world.staff.pk}, format="json")
    assert response.status_code == 400 and "sub-themes" in response.json()["parent"][0]
    response = client.patch(f"{BASE}/themes/{world.staff.pk}/", {"parent": world.staff.pk}, format="json")
    assert response.status_code == 400 and "own parent" in response.json()["parent"][0]
    world.staff.refresh_from_db()
    assert world.staff.parent is None


# -- another organization ----------------------------------------------------------------------------------------


def test_another_organizations_ids_are_404_and_its_lists_are_empty(world, cast_b):
    analysis = comment(world, "The invoice was wrong", themes={world.invoice: ["invoice"]})
    proposal = ThemeProposal.objects.create(organization=world.cast.org, language="en", label="app", terms=["app"])
    run = VoiceRun.objects.create(organization=world.cast.org, kind=VoiceRun.Kind.DISCOVER)
    recompute_stats(world.cast.org.pk, [FEB])
    for client in (session(cast_b.admin), key_client(cast_b)):
        assert ids(client.get(f"{BASE}/themes/")) == set()
        assert ids(client.get(f"{BASE}/comments/")) == set()
        assert ids(client.get(f"{BASE}/proposals/")) == set()
        assert client.get(f"{BASE}/taxonomy/").json()["themes"] == []
        stats = client.get(f"{BASE}/theme-stats/", {"start": "2026-01", "end": "2026-03"}).json()
        assert stats["themes"] == [] and stats["totals"]["comments"] == 0
        for path in (
            f"themes/{world.invoice.pk}/",
            f"themes/{world.invoice.pk}/trend/",
            f"comments/{analysis.pk}/",
            f"proposals/{proposal.pk}/",
            f"runs/{run.pk}/",
        ):
            assert client.get(f"{BASE}/{path}").status_code == 404, path
        assert client.get(f"{BASE}/comments/", {"theme": world.invoice.pk}).status_code == 404
        assert client.get(f"{BASE}/comments/", {"touchpoint": world.tp_team.pk}).status_code == 404
        assert client.get(f"{BASE}/theme-stats/", {"journey": world.journey.pk}).status_code == 404
        assert client.patch(f"{BASE}/themes/{world.staff.pk}/", {"name": "Mine"}, format="json").status_code == 404
        assert client.delete(f"{BASE}/themes/{world.staff.pk}/").status_code == 404
        for verb, body in (("accept", {"name": "Mine"}), ("merge", {"theme": world.staff.pk}), ("reject", {})):
            assert client.post(f"{BASE}/proposals/{proposal.pk}/{verb}/", body, format="json").status_code == 404
    world.staff.refresh_from_db()
    proposal.refresh_from_db()
    assert world.staff.name == "Staff" and world.staff.status == "active" and proposal.status == "proposed"


# -- comments ----------------------------------------------------------------------------------------------------


def test_the_comment_detail_never_contains_the_unmasked_personal_data(world):
    raw = "Call me on 070-123 45 67 or write to anna.svensson@example.com about the invoice"
    masked = f"Call me on {MASK} or write to {MASK} about the invoice"
    analysis = comment(world, masked, raw=raw, themes={world.invoice: ["invoice"]})
    assert analysis.answer.text == raw
    for client in (session(world.cast.admin), key_client(world.cast)):
        detail = client.get(f"{BASE}/comments/{analysis.pk}/")
        assert detail.status_code == 200
        body = detail.content.decode()
        assert "anna.svensson@example.com" not in body and "070-123 45 67" not in body
        data = detail.json()
        assert data["text"] == masked and data["has_personal_data"] is True
        assert data["sentences"][0]["text"] == masked
        listing = client.get(f"{BASE}/comments/", {"q": "invoice"}).content.decode()
        assert "anna.svensson@example.com" not in listing and MASK in listing


def test_the_comment_detail_has_the_whole_analysis(world):
    analysis = comment(
        world,
        "The late invoice made me angry. Staff were kind.",
        score=3,
        label="mixed",
        sentiment=-0.2,
        themes={world.late_invoice: ["late invoice"], world.staff: ["staff"]},
    )
    data = key_client(world.cast).get(f"{BASE}/comments/{analysis.pk}/").json()
    assert data["id"] == analysis.pk and data["response"] == analysis.response_id
    assert (data["language"], data["label"], data["sentiment"]) == ("en", "mixed", -0.2)
    assert (data["metric"], data["score"], data["submitted_on"]) == ("nps", 3.0, "2026-02-10")
    assert data["touchpoint"] == {"id": world.tp_team.pk, "name": "Phone support"}
    assert data["journey"] == {"id": world.journey.pk, "name": "Support"}
    assert data["drivers"] == [["slow", -1.5]] and data["sentences"][0]["drivers"] == [["slow", -1.5]]
    themes = {t["id"]: t for t in data["themes"]}
    assert themes[world.late_invoice.pk]["matched"] == ["late invoice"]
    assert themes[world.late_invoice.pk]["parent"] == world.invoice.pk
    assert set(themes) == {world.late_invoice.pk, world.staff.pk} and data["taxonomy_version"] == 1


def test_comment_filters(world):
    w = world
    a = comment(w, "The invoice was late", score=2, label="negative", themes={w.late_invoice: ["late invoice"]})
    b = comment(
        w,
        "Kind staff in the shop",
        touchpoint=w.tp_other,
        score=10,
        label="positive",
        customer=w.gold,
        themes={w.staff: ["staff"]},
    )
    c = comment(w, "Fakturan var fel", language="sv", score=6, day=dt.date(2026, 3, 5), themes={w.invoice: ["faktura"]})
    client = key_client(w.cast)
    url = f"{BASE}/comments/"
    assert ids(client.get(url)) == {a.pk, b.pk, c.pk}
    assert ids(client.get(url, {"theme": w.invoice.pk})) == {a.pk, c.pk}  # sub-themes included
    assert ids(client.get(url, {"theme": w.late_invoice.pk})) == {a.pk}
    assert ids(client.get(url, {"sentiment": "positive"})) == {b.pk}
    assert ids(client.get(url, {"language": "sv"})) == {c.pk}
    assert ids(client.get(url, {"touchpoint": w.tp_other.pk})) == {b.pk}
    assert ids(client.get(url, {"journey": w.journey.pk})) == {a.pk, b.pk, c.pk}
    assert ids(client.get(url, {"score_min": 5, "score_max": 8})) == {c.pk}
    assert ids(client.get(url, {"segment": "Gold"})) == {b.pk}
    assert ids(client.get(url, {"start": "2026-03-01"})) == {c.pk}
    assert ids(client.get(url, {"end": "2026-02-28"})) == {a.pk, b.pk}
    assert ids(client.get(url, {"q": "invoice"})) == {a.pk}
    # Newest first, a page at a time with a cursor.
    first = client.get(url, {"page_size": 2}).json()
    page_one = [r["id"] for r in first["results"]]
    assert page_one == [c.pk, b.pk]
    assert [r["id"] for r in client.get(first["next"]).json()["results"]] == [a.pk]
    for bad in (
        {"score_min": 8, "score_max": 2},
        {"score_min": "nan"},
        {"score_max": 11},
        {"language": "fi"},
        {"sentiment": "angry"},
        {"start": "2026-13-01"},
        {"start": "2026-03-02", "end": "2026-03-01"},
        {"theme": "abc"},
        {"q": ""},
        {"page_size": 0},
    ):
        response = client.get(url, bad)
        assert response.status_code == 400, (bad, response.content)
    assert client.get(f"{url}?language=en&language=sv").status_code == 400


def test_the_comment_list_costs_the_same_queries_for_a_longer_page(world):
    client = key_client(world.cast)
    client.get(f"{BASE}/comments/")  # the key's last use is recorded once a minute

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{BASE}/comments/").status_code == 200
        return len(captured)

    for i in range(2):
        comment(world, f"Invoice {i}", themes={world.invoice: ["invoice"], world.staff: ["staff"]})
    few = queries()
    for i in range(8):
        comment(world, f"Staff {i}", touchpoint=world.tp_other, themes={world.late_invoice: ["late invoice"]})
    assert queries() == few <= 4


def test_frontline_reads_the_comments_of_their_teams_touchpoints_only(world):
    mine = comment(world, "Slow answer on the phone", touchpoint=world.tp_team)
    theirs = comment(world, "Slow queue in the shop", touchpoint=world.tp_other)
    frontline, executive = session(world.cast.frontline), session(world.cast.executive)
    assert ids(frontline.get(f"{BASE}/comments/")) == {mine.pk}
    assert frontline.get(f"{BASE}/comments/{theirs.pk}/").status_code == 404
    assert frontline.get(f"{BASE}/comments/", {"touchpoint": world.tp_other.pk}).status_code == 404
    assert ids(executive.get(f"{BASE}/comments/")) == {mine.pk, theirs.pk}
    assert executive.get(f"{BASE}/comments/{theirs.pk}/").status_code == 200


# -- statistics --------------------------------------------------------------------------------------------------


def plant(w: World) -> None:
    """Two months of comments: the invoice theme (through its sub-theme too) comes with low scores."""
    for month in (JAN, FEB):
        for i in range(24):
            touchpoint = w.tp_team if i % 2 else w.tp_other
            themes = {}
            if i % 4 == 0:
                themes = {w.invoice: ["invoice"]}
            elif i % 4 == 1:
                themes = {w.late_invoice: ["late invoice"]}
            elif i % 3 == 0:
                themes = {w.staff: ["staff"]}
            low = bool(themes) and w.staff not in themes
            score = float(2 + i % 3) if low else float(8 + i % 3)
            label = "negative" if low else "positive"
            sentiment = -0.6 if low else 0.5
            comment(
                w,
                f"Comment {i}",
                touchpoint=touchpoint,
                day=month + dt.timedelta(days=i),
                score=score,
                label=label,
                sentiment=sentiment,
                themes=themes,
            )
    recompute_stats(w.cast.org.pk, [JAN, FEB])


def test_theme_stats_are_the_selectors_figures(world):
    plant(world)
    ctx = context_for_membership(world.cast.executive, user=world.cast.executive.user)
    client = session(world.cast.executive)
    for params, scope in (
        ({"start": "2026-01", "end": "2026-02", "metric": "nps"}, {}),
        (
            {"start": "2026-01-15", "end": "2026-02-03", "metric": "nps", "touchpoint": world.tp_team.pk},
            {"touchpoint_id": world.tp_team.pk},
        ),
        (
            {"start": "2026-02", "end": "2026-02", "journey": world.journey.pk, "metric": "csat"},
            {"journey_id": world.journey.pk},
        ),
    ):
        response = client.get(f"{BASE}/theme-stats/", params)
        assert response.status_code == 200, response.content
        data = response.json()
        metric = params["metric"]
        start = dt.date.fromisoformat(params["start"] + ("-01" if len(params["start"]) == 7 else ""))
        end = dt.date.fromisoformat(params["end"] + ("-01" if len(params["end"]) == 7 else ""))
        expected = selectors.theme_overview(ctx, start=start, end=end, metric=metric, **scope)
        assert data["metric"] == metric and data["start"] == start.replace(day=1).isoformat()
        assert data["totals"]["comments"] == expected.totals.comments > 0
        assert [r["theme"] for r in data["themes"]] == [r.theme.pk for r in expected]
        for got, row in zip(data["themes"], expected, strict=True):
            for name in (
                "comments",
                "share",
                "mean_with",
                "mean_without",
                "impact",
                "p_value",
                "significant",
                "nps_with",
                "nps_without",
                "sentiment",
                "negative_share",
                "scored",
            ):
                assert got[name] == getattr(row, name), (params, name)
    full = client.get(f"{BASE}/theme-stats/", {"start": "2026-01", "end": "2026-02"}).json()
    invoice = next(r for r in full["themes"] if r["theme"] == world.invoice.pk)
    assert invoice["comments"] == 24 and invoice["share"] == pytest.approx(0.5)  # its sub-theme's comments count
    assert invoice["impact"] < -4 and invoice["significant"] is True and invoice["value_at_stake"] is None
    assert full["end"] == "2026-02-28"


def test_theme_stats_of_a_frontline_user_cover_their_touchpoints(world):
    plant(world)
    frontline = world.cast.frontline
    ctx = context_for_membership(frontline, user=frontline.user)
    data = session(frontline).get(f"{BASE}/theme-stats/", {"start": "2026-01", "end": "2026-02"}).json()
    expected = selectors.theme_overview(ctx, start=JAN, end=FEB, metric="nps")
    assert data["totals"]["comments"] == expected.totals.comments == 24
    assert {r["theme"]: r["comments"] for r in data["themes"]} == {r.theme.pk: r.comments for r in expected}
    assert session(frontline).get(f"{BASE}/theme-stats/", {"touchpoint": world.tp_other.pk}).status_code == 404


def test_theme_stats_parameters_are_validated(world):
    client = key_client(world.cast)
    for bad in (
        {"start": "2026-13"},
        {"start": "26-01"},
        {"start": "2026-03", "end": "2026-01"},
        {"metric": "ces2"},
        {"touchpoint": "x"},
        {"touchpoint": "99999999999999999999"},
        {"start": ""},
    ):
        response = client.get(f"{BASE}/theme-stats/", bad)
        assert response.status_code == 400, (bad, response.content)
    assert client.get(f"{BASE}/theme-stats/").status_code == 200


def test_a_themes_trend_and_the_emerging_themes_are_the_selectors_figures(world):
    plant(world)
    ctx = context_for_membership(world.cast.admin, user=world.cast.admin.user)
    client = key_client(world.cast)
    response = client.get(f"{BASE}/themes/{world.invoice.pk}/trend/", {"start": "2025-12", "end": "2026-02"})
    assert response.status_code == 200, response.content
    points = response.json()
    expected = selectors.theme_trend(ctx, world.invoice, start=dt.date(2025, 12, 1), end=FEB, metric="nps")
    assert [p["month"] for p in points] == ["2025-12-01", "2026-01-01", "2026-02-01"]
    assert [p["comments"] for p in points] == [e.comments for e in expected] == [0, 12, 12]
    assert [p["impact"] for p in points] == [e.impact for e in expected]
    assert [p["share"] for p in points] == [e.share for e in expected] == [None, 0.5, 0.5]
    assert (
        client.get(f"{BASE}/themes/{world.invoice.pk}/trend/", {"start": "2000-01", "end": "2026-01"}).status_code
        == 400
    )

    # March: the staff theme in 15 of 20 comments, against a few of 48 before.
    for i in range(20):
        comment(world, f"March {i}", day=MAR + dt.timedelta(days=i), themes={world.staff: ["staff"]} if i < 15 else {})
    recompute_stats(world.cast.org.pk, [MAR])
    emerging = client.get(f"{BASE}/emerging/", {"month": "2026-03"})
    assert emerging.status_code == 200, emerging.content
    expected = selectors.emerging_themes(ctx, month=MAR)
    assert [e["theme"] for e in emerging.json()] == [e.theme.pk for e in expected] == [world.staff.pk]
    assert emerging.json()[0]["comments"] == 15 and emerging.json()[0]["share"] == pytest.approx(0.75)
    assert client.get(f"{BASE}/emerging/", {"month": "March"}).status_code == 400
    assert client.get(f"{BASE}/emerging/").status_code == 200


# -- proposals, discovery and runs -------------------------------------------------------------------------------


def proposal(w: World, label: str, terms: list[str]) -> ThemeProposal:
    return ThemeProposal.objects.create(
        organization=w.cast.org, language="en", label=label, terms=terms, size=12, coherence=0.4
    )


def test_proposals_are_accepted_merged_and_rejected(world):
    app, roaming, spam = (
        proposal(world, "app", ["app", "login"]),
        proposal(world, "roaming", ["roaming"]),
        proposal(world, "spam", ["spam"]),
    )
    client = session(world.cast.cx_manager)
    assert ids(client.get(f"{BASE}/proposals/")) == {app.pk, roaming.pk, spam.pk}

    response = client.post(f"{BASE}/proposals/{app.pk}/accept/", {"name": "Mobile app"}, format="json")
    assert response.status_code == 201, response.content
    theme = Theme.objects.get(pk=response.json()["id"])
    assert theme.name == "Mobile app" and theme.origin == Theme.Origin.DISCOVERED and theme.parent is None
    assert theme.keywords == {"en": ["app", "login"]}
    app.refresh_from_db()
    assert app.status == ThemeProposal.Status.ACCEPTED and app.theme == theme
    again = client.post(f"{BASE}/proposals/{app.pk}/accept/", {"name": "Other"}, format="json")
    assert again.status_code == 409

    response = client.post(f"{BASE}/proposals/{roaming.pk}/merge/", {"theme": world.staff.pk}, format="json")
    assert response.status_code == 200, response.content
    world.staff.refresh_from_db()
    assert world.staff.keywords["en"] == ["staff", "roaming"]
    roaming.refresh_from_db()
    assert roaming.status == ThemeProposal.Status.MERGED and roaming.theme == world.staff

    response = client.post(f"{BASE}/proposals/{spam.pk}/reject/")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    spam.refresh_from_db()
    assert spam.status == ThemeProposal.Status.REJECTED and spam.decided_by == world.cast.cx_manager.user
    assert ids(client.get(f"{BASE}/proposals/", {"status": "proposed"})) == set()
    assert ids(client.get(f"{BASE}/proposals/", {"status": "rejected"})) == {spam.pk}


def test_proposal_decisions_are_validated(world):
    p = proposal(world, "app", ["app"])
    client = key_client(world.cast)
    for verb, body, field in (
        ("accept", {"name": "Invoice"}, "detail"),  # a main theme of that name exists
        ("accept", {"name": "Mobile", "parent": world.late_invoice.pk}, "parent"),
        ("accept", {"name": ""}, "name"),
        ("merge", {}, "theme"),
        ("merge", {"theme": 0}, "theme"),
    ):
        response = client.post(f"{BASE}/proposals/{p.pk}/{verb}/", body, format="json")
        assert response.status_code == 400 and field in response.json(), (verb, body, response.content)
    p.refresh_from_db()
    assert p.status == ThemeProposal.Status.PROPOSED
    # Without a name, the suggested label is the theme's name.
    assert client.post(f"{BASE}/proposals/{p.pk}/accept/", {}, format="json").json()["name"] == "app"


def test_executives_read_proposals_and_frontline_staff_do_not(world):
    p = proposal(world, "app", ["app"])
    executive, frontline = session(world.cast.executive), session(world.cast.frontline)
    assert ids(executive.get(f"{BASE}/proposals/")) == {p.pk}
    assert executive.get(f"{BASE}/proposals/{p.pk}/").json()["terms"] == ["app"]
    assert executive.post(f"{BASE}/proposals/{p.pk}/reject/").status_code == 403
    assert frontline.get(f"{BASE}/proposals/").status_code == 403
    assert frontline.get(f"{BASE}/proposals/{p.pk}/").status_code == 403
    p.refresh_from_db()
    assert p.status == ThemeProposal.Status.PROPOSED


def test_a_proposals_examples_are_masked_comments_the_reader_may_see(world):
    seen = comment(world, f"Call {MASK} about the app", raw="Call 070-1234567 about the app")
    hidden = comment(world, "The app in the shop", touchpoint=world.tp_other)
    p = ThemeProposal.objects.create(
        organization=world.cast.org, language="en", label="app", terms=["app"], example_ids=[seen.pk, hidden.pk]
    )
    data = key_client(world.cast).get(f"{BASE}/proposals/{p.pk}/").json()
    assert data["examples"] == [
        {"id": seen.pk, "text": f"Call {MASK} about the app"},
        {"id": hidden.pk, "text": "The app in the shop"},
    ]
    assert "070-1234567" not in str(data)


def test_discovery_starts_a_run_whose_progress_is_readable(world, cast_b):
    client = key_client(world.cast)
    response = client.post(f"{BASE}/discovery/")
    assert response.status_code == 202, response.content
    run = VoiceRun.objects.get(pk=response.json()["id"])
    assert run.organization == world.cast.org and run.kind == VoiceRun.Kind.DISCOVER
    assert client.post(f"{BASE}/discovery/").status_code == 409
    assert VoiceRun.objects.filter(kind=VoiceRun.Kind.DISCOVER).count() == 1
    VoiceRun.objects.filter(pk=run.pk).update(status=VoiceRun.Status.RUNNING, total=200, done=50)
    progress = session(world.cast.frontline).get(f"{BASE}/runs/{run.pk}/").json()
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == ("running", 50, 200, 25)
    assert session(world.cast.executive).post(f"{BASE}/discovery/").status_code == 403
    assert key_client(cast_b).get(f"{BASE}/runs/{run.pk}/").status_code == 404


SQLITE_SCRIPT = r"""
import datetime as dt, json
from rest_framework.test import APIClient
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from tests.conftest import _make_cast
from tests.voice.test_api import comment, make_world
from voice.stats import recompute_stats

w = make_world(_make_cast("Alpha Telecom"))
late = comment(w, "The invoice came late", score=2, label="negative", themes={w.invoice: ["invoice"]})
comment(w, "Kind staff", score=10, label="positive", themes={w.staff: ["staff"]})
recompute_stats(w.cast.org.pk, [dt.date(2026, 2, 1)])
_key, raw = api_key_create(ctx=context_for_membership(w.cast.admin, user=w.cast.admin.user), name="sqlite")
api = APIClient()
api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
base = "/api/v1/voice"
paths = ["themes/", f"themes/{w.invoice.pk}/", f"themes/{w.invoice.pk}/trend/?start=2026-01&end=2026-02",
         "taxonomy/", "comments/", f"comments/{late.pk}/", "theme-stats/?start=2026-02&end=2026-02",
         "emerging/?month=2026-02", "proposals/"]
statuses = [api.get(f"{base}/{p}").status_code for p in paths]
found = [r["id"] for r in api.get(f"{base}/comments/", {"q": "invoice -staff"}).json()["results"]]
stats = api.get(f"{base}/theme-stats/", {"start": "2026-02", "end": "2026-02"}).json()
created = api.post(f"{base}/themes/", {"name": "Delivery", "keywords": {"en": ["parcel"]}}, format="json")
started = api.post(f"{base}/discovery/")
print(json.dumps({"statuses": statuses, "found": found, "late": late.pk, "totals": stats["totals"]["comments"],
                  "created": created.status_code, "started": started.status_code}))
"""


def test_the_api_works_on_the_sqlite_demo_database(tmp_path):
    from tests.sqlite_demo import run_on_fresh_sqlite

    result = run_on_fresh_sqlite(tmp_path, SQLITE_SCRIPT)
    assert result["statuses"] == [200] * 9
    assert result["found"] == [result["late"]] and result["totals"] == 2
    assert (result["created"], result["started"]) == (201, 202)
