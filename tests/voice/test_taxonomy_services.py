"""The taxonomy's writes: themes edited by CX managers and admins only, every matching change bumping the version and
re-tagging, discovered proposals accepted, merged or rejected, and discovery started once at a time."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from tests.voice.test_pipeline import ctx_of, drain, prog, submit  # noqa: F401 (prog is a fixture)
from voice import services
from voice.models import CommentAnalysis, CommentTheme, Taxonomy, Theme, ThemeProposal, VoiceRun
from voice.taxonomy import (
    compiled_taxonomy,
    discovery_start,
    proposal_accept,
    proposal_merge,
    proposal_reject,
    theme_archive,
    theme_create,
    theme_update,
)

pytestmark = pytest.mark.django_db


def version(org) -> int:
    return Taxonomy.objects.filter(pk=org.pk).values_list("version", flat=True).first() or 1


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_only_cx_managers_and_admins_edit_the_taxonomy(cast_a, role, django_capture_on_commit_callbacks):
    ctx = ctx_of(cast_a.member(role))
    with pytest.raises(PermissionDenied):
        theme_create(ctx, name="Invoice", keywords={"sv": ["faktura"]})
    assert not Theme.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        theme = theme_create(ctx_of(cast_a.admin), name="Invoice", keywords={"sv": ["faktura"]})
    for call in (
        lambda: theme_update(ctx, theme, name="Bills"),
        lambda: theme_archive(ctx, theme),
        lambda: discovery_start(ctx),
    ):
        with pytest.raises(PermissionDenied):
            call()
    theme.refresh_from_db()
    assert (theme.name, theme.status) == ("Invoice", "active")


def test_keywords_are_normalised_and_languages_checked(cast_a, django_capture_on_commit_callbacks):
    ctx = ctx_of(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        theme = theme_create(
            ctx,
            name="  Invoice  ",
            labels={"sv": " Faktura ", "en": ""},
            keywords={"sv": ["  Faktura ", "faktura", "", "Fel   belopp"], "en": []},
            examples={"sv": ["  Fakturan var fel ", "fakturan var fel"]},
        )
    theme.refresh_from_db()
    assert theme.name == "Invoice" and theme.labels == {"sv": "Faktura"}
    assert theme.keywords == {"sv": ["faktura", "fel belopp"]}
    assert theme.examples == {"sv": ["Fakturan var fel"]}
    assert theme.origin == "manual" and theme.created_by == cast_a.cx_manager.user
    with pytest.raises(ValidationError):
        theme_create(ctx, name="Rechnung", keywords={"de": ["rechnung"]})
    with pytest.raises(ValidationError):
        theme_create(ctx, name="Invoice", keywords={"sv": ["räkning"]})  # the name is taken
    with pytest.raises(ValidationError):
        theme_create(ctx, name="   ", keywords={"sv": ["x"]})


def test_a_parent_must_be_a_main_theme_of_the_same_organization(cast_a, cast_b, django_capture_on_commit_callbacks):
    ctx = ctx_of(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        main = theme_create(ctx, name="Billing", keywords={"sv": ["faktura"]})
        sub = theme_create(ctx, name="Wrong amount", parent=main, keywords={"sv": ["fel belopp"]})
        foreign = theme_create(ctx_of(cast_b.cx_manager), name="Billing", keywords={"sv": ["faktura"]})
    assert sub.parent == main
    with pytest.raises(ValidationError):
        theme_create(ctx, name="Late", parent=sub, keywords={"sv": ["sen"]})
    with pytest.raises(ValidationError):
        theme_create(ctx, name="Late", parent=foreign, keywords={"sv": ["sen"]})
    with pytest.raises(ValidationError):
        theme_update(ctx, main, parent=main)
    other_main = Theme.objects.create(organization=cast_a.org, name="Delivery")
    with pytest.raises(ValidationError):
        theme_update(ctx, main, parent=other_main)  # a theme with sub-themes cannot become one
    # Another organization's theme is not found at all.
    with pytest.raises(Theme.DoesNotExist):
        theme_update(ctx, foreign, name="Mine now")


def test_matching_changes_bump_the_version_and_queue_retagging_renames_do_not(
    cast_a, django_capture_on_commit_callbacks
):
    ctx = ctx_of(cast_a.cx_manager)
    org = cast_a.org
    start = version(org)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        theme = theme_create(ctx, name="Invoice", keywords={"sv": ["faktura"]})
    assert version(org) == start + 1 and len(queued) == 1
    run = VoiceRun.objects.get(organization=org, kind="retag")
    assert (run.status, run.taxonomy_version, run.created_by) == ("queued", start + 1, cast_a.cx_manager.user)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        theme_update(ctx, theme, name="Invoices", labels={"en": "Invoices"}, description="Bills")
    assert version(org) == start + 1 and queued == []

    # A run still queued is reused for the next change (it tags with the newest version anyway).
    with django_capture_on_commit_callbacks(execute=False):
        theme_update(ctx, theme, keywords={"sv": ["faktura", "räkning"]})
    assert version(org) == start + 2
    assert VoiceRun.objects.filter(organization=org, kind="retag").count() == 1
    assert VoiceRun.objects.get(organization=org, kind="retag").taxonomy_version == start + 2

    with django_capture_on_commit_callbacks(execute=True):
        sub = theme_create(ctx, name="Late", parent=theme, keywords={"sv": ["sen"]})
        theme_archive(ctx, theme)
    assert set(Theme.objects.filter(pk__in=[theme.pk, sub.pk]).values_list("status", flat=True)) == {"archived"}
    assert version(org) == start + 4
    # Still the one queued run (its task was never sent in this test): it tags with the newest version.
    services.retag_run(run.pk)
    run.refresh_from_db()
    assert (run.status, run.taxonomy_version) == ("done", start + 4)
    assert not VoiceRun.objects.filter(organization=org, status__in=["queued", "running"]).exists()
    actions = list(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert {"theme.create", "theme.change", "theme.archive"} <= set(actions)


def test_archived_themes_no_longer_tag_comments(prog, django_capture_on_commit_callbacks):  # noqa: F811
    ctx = ctx_of(prog.cast.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        theme = theme_create(ctx, name="Invoice", keywords={"sv": ["faktura"]})
    first_version, first = compiled_taxonomy(prog.org.pk)
    assert compiled_taxonomy(prog.org.pk)[1] is first  # cached per version
    with django_capture_on_commit_callbacks(execute=False):
        response = submit(prog, "Fakturan var fel")
    drain(django_capture_on_commit_callbacks)
    assert CommentTheme.objects.filter(theme=theme).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        theme_archive(ctx, theme)
    assert compiled_taxonomy(prog.org.pk)[0] == first_version + 1
    assert not CommentTheme.objects.filter(theme=theme).exists()
    assert CommentAnalysis.objects.get(response=response).taxonomy_version == first_version + 1


def make_proposal(org, **kw) -> ThemeProposal:
    values = {
        "organization": org,
        "language": "sv",
        "label": "parkering / full",
        "terms": ["parkering", "full", "parkeringsplats", "bil", "garage", "avgift", "lapp", "vakt"],
        "size": 40,
        "coherence": 4.2,
    }
    values.update(kw)
    return ThemeProposal.objects.create(**values)


def test_accepting_a_proposal_creates_a_discovered_theme(prog, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=False):
        short = submit(prog, "Parkeringen var full igen")
        long = submit(prog, "Parkeringen var full, ring mig Anna Berg på Storgatan 5")
    drain(django_capture_on_commit_callbacks)
    ids = [CommentAnalysis.objects.get(response=r).pk for r in (short, long)]
    proposal = make_proposal(prog.org, example_ids=ids)
    ctx = ctx_of(prog.cast.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        theme = proposal_accept(ctx, proposal, name="Parking")
    assert (theme.name, theme.origin, theme.parent) == ("Parking", "discovered", None)
    assert theme.keywords == {"sv": ["parkering", "full", "parkeringsplats", "bil", "garage", "avgift"]}
    # Customers' comments are never copied into the theme (read by every role, outlives retention and erasure).
    assert theme.examples == {}
    proposal.refresh_from_db()
    assert (proposal.status, proposal.theme, proposal.decided_by) == ("accepted", theme, prog.cast.cx_manager.user)
    assert proposal.decided_at is not None
    # The re-tagging run tagged the old comments with the new theme.
    assert CommentTheme.objects.filter(theme=theme, analysis_id=ids[0]).exists()
    with pytest.raises(ValidationError):
        proposal_reject(ctx, proposal)  # decided once
    assert AuditEvent.objects.filter(action="theme_proposal.accept", target_id=str(proposal.pk)).exists()


def test_merging_a_proposal_adds_its_terms_to_a_theme(cast_a, django_capture_on_commit_callbacks):
    ctx = ctx_of(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        theme = theme_create(ctx, name="Parking", keywords={"sv": ["parkering"], "en": ["parking"]})
    before = version(cast_a.org)
    proposal = make_proposal(cast_a.org)
    with django_capture_on_commit_callbacks(execute=True):
        merged = proposal_merge(ctx, proposal, theme)
    assert merged.keywords == {
        "sv": ["parkering", "full", "parkeringsplats", "bil", "garage", "avgift"],
        "en": ["parking"],
    }
    assert version(cast_a.org) == before + 1
    proposal.refresh_from_db()
    assert (proposal.status, proposal.theme) == ("merged", theme)


WIFI_SV = [
    "Wifi fungerar inte i butiken",
    "Nätverket tappar uppkopplingen hela tiden",
    "Gick inte att ansluta till wifi",
    "Uppkopplingen till nätverket bröts",
    "Dåligt wifi och segt nätverk",
    "Wifi-lösenordet fungerade inte",
    "Ingen uppkoppling alls på wifi",
    "Nätverket var nere hela förmiddagen",
]
EVERYDAY_SV = [
    "personal",
    "trevlig",
    "pris",
    "dyr",
    "öppettid",
    "kassa",
    "vara",
    "sortiment",
    "vänta",
    "service",
    "snabb",
    "kund",
    "hylla",
    "kvitto",
    "påse",
    "färg",
    "storlek",
    "jacka",
    "sko",
    "byxa",
    "kampanj",
    "erbjudande",
    "medlem",
    "poäng",
    "app",
    "beställning",
    "retur",
    "paket",
    "leverans",
    "faktura",
    "kundtjänst",
    "telefon",
    "svar",
    "fråga",
    "hjälp",
    "problem",
    "tekniker",
    "installation",
    "router",
    "abonnemang",
    "avtal",
    "uppsägning",
    "räkning",
    "mejl",
    "chatt",
    "väntetid",
    "kö",
    "bemötande",
    "kunskap",
    "råd",
    "tips",
    "produkt",
    "kvalitet",
    "garanti",
    "reklamation",
]


def test_discovery_proposes_uncovered_themes_and_never_a_rejected_one_again(prog, django_capture_on_commit_callbacks):  # noqa: F811
    from tests.voice.test_engine_discovery import PARKING_SV
    from tests.voice.test_pipeline import imported

    rng = random.Random(3)
    texts = [" ".join(rng.sample(PARKING_SV, rng.randint(1, 2))) for _ in range(40)]
    texts += [" ".join(rng.sample(WIFI_SV, rng.randint(1, 2))) for _ in range(40)]
    texts += [f"Jag tycker att {' och '.join(rng.sample(EVERYDAY_SV, rng.randint(2, 5)))} var bra" for _ in range(320)]
    ctx = ctx_of(prog.cast.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        # A theme already covers the comments about delivery; they are not read again.
        theme_create(ctx, name="Delivery", keywords={"sv": ["leverans"]})
    imported(prog, texts)
    drain(django_capture_on_commit_callbacks)
    covered = CommentAnalysis.objects.filter(organization=prog.org, theme_links__isnull=False).distinct().count()
    assert covered > 0
    old = make_proposal(prog.org, label="old undecided", terms=["gammal"])
    decided = make_proposal(prog.org, label="decided", terms=["kassa"], status="accepted")

    with django_capture_on_commit_callbacks(execute=False):
        run = discovery_start(ctx)
        with pytest.raises(ValidationError):
            discovery_start(ctx)  # one at a time
    services.discover_run(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == ("done", "")
    assert run.total == run.done == 400 - covered
    proposals = list(ThemeProposal.objects.filter(organization=prog.org, status="proposed"))
    assert not ThemeProposal.objects.filter(pk=old.pk).exists()  # undecided ones are replaced
    assert ThemeProposal.objects.filter(pk=decided.pk).exists()
    assert all(p.run == run and p.language == "sv" and p.size >= 5 for p in proposals)
    parking = next(p for p in proposals if "parkering" in p.terms[:2])
    wifi = next(p for p in proposals if {"wifi", "nätverk"} & set(p.terms[:3]))
    assert set(parking.example_ids) <= set(CommentAnalysis.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=False):
        proposal_reject(ctx, wifi)
        again = discovery_start(ctx)
    services.discover_run(again.pk)
    again_terms = [p.terms for p in ThemeProposal.objects.filter(organization=prog.org, status="proposed")]
    assert any("parkering" in terms[:2] for terms in again_terms)
    assert not any({"wifi", "nätverk"} & set(terms[:3]) for terms in again_terms)

    # Accepted: the parking comments get a theme and are no longer read by discovery.
    with django_capture_on_commit_callbacks(execute=True):
        proposal_accept(
            ctx,
            ThemeProposal.objects.get(organization=prog.org, status="proposed", terms=parking.terms),
            name="Parking",
        )
        third = discovery_start(ctx)
    third.refresh_from_db()
    assert third.status == "done" and third.total < run.total - 30
    assert not any(
        "parkering" in terms[:2]
        for terms in ThemeProposal.objects.filter(organization=prog.org, status="proposed").values_list(
            "terms", flat=True
        )
    )


def test_another_organizations_proposal_cannot_be_decided(cast_a, cast_b):
    proposal = make_proposal(cast_b.org)
    with pytest.raises(ThemeProposal.DoesNotExist):
        proposal_reject(ctx_of(cast_a.cx_manager), proposal)
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
