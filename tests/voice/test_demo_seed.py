import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from actions.models import RootCause
from demo.seed.voice_comments import NEGATIVE, REMARKS
from voice import selectors
from voice.models import CommentAnalysis, CommentTheme, Theme
from voice.starter import STARTER_THEMES, iter_starter_themes

pytestmark = pytest.mark.django_db

# Small and short (a little larger than tests/demo/test_seed.py: significance needs a few hundred comments).
SMALL = {"customers": 300, "months": 4}


@pytest.fixture
def demo() -> Organization:
    call_command("seed_demo", stdout=StringIO(), **SMALL)
    return Organization.objects.get(name="Nordlys Bredband AB")


def test_seeded_demo_has_analysed_comments_in_four_languages_on_every_theme_and_a_harmful_one(demo):
    analyses = CommentAnalysis.objects.for_org(demo)
    assert analyses.exists()
    assert not analyses.filter(status=CommentAnalysis.Status.PENDING).exists()
    done = analyses.done()
    languages = set(done.values_list("language", flat=True))
    assert {"sv", "nb", "da", "en"} <= languages
    assert "other" in languages  # the comments in German, Finnish, ...
    # Personal data is masked in what the pages show.
    masked = done.filter(has_personal_data=True)
    assert masked.exists()
    assert all("@example." not in a.masked_text for a in masked)

    # Every starter theme, mapped to a root cause where it names one (the demo adds the ones actions lacks).
    themes = Theme.objects.for_org(demo)
    assert themes.count() == len(iter_starter_themes())
    for spec, _parent, _position in iter_starter_themes():
        theme = themes.get(name=spec["name"], parent__name=_parent["name"] if _parent else None)
        if spec["root_cause"]:
            assert theme.root_cause is not None, spec["name"]
    assert RootCause.objects.for_org(demo).filter(name="Mobile coverage", parent__name="Network").exists()

    tagged = set(
        CommentTheme.objects.for_org(demo).filter(theme__parent__isnull=True).values_list("theme__name", flat=True)
    )
    assert {t["name"] for t in STARTER_THEMES} <= tagged
    assert CommentTheme.objects.for_org(demo).filter(theme__parent__isnull=False).exists()

    # The statistics are current: the overview shows a theme that drags the score down, significantly.
    ctx = OrgContext(organization=demo, role=Role.CX_MANAGER)
    today = timezone.localdate()
    rows = selectors.theme_overview(ctx, start=today - dt.timedelta(days=120), end=today)
    assert rows.totals.comments == done.count()
    harmful = [r for r in rows if r.significant and r.impact is not None and r.impact < 0]
    assert harmful, [(r.theme.name, r.impact, r.p_value) for r in rows]
    # ... and it is one the demo writes complaints about (which one depends on the day: the seed's times follow now).
    complained_of = {remark.theme for remark in REMARKS if remark.tone == NEGATIVE}
    assert complained_of & {(r.theme.parent or r.theme).name for r in harmful}, [r.theme.name for r in harmful]
    helpful = [r for r in rows if r.significant and r.impact is not None and r.impact > 0]
    assert helpful


def test_every_remark_of_the_comment_bank_meets_its_theme_in_every_language():
    """The bank and the starter taxonomy are kept together: a remark about invoices is tagged Invoice, in sv, nb,
    da and en, and is recognised as written in that language."""
    from demo.seed.voice_comments import EMERGING, REMARKS
    from voice.engine import analyse_comments
    from voice.engine.themes import ThemeSpec, compile_taxonomy

    ids, specs = {}, []
    for spec, parent, _position in iter_starter_themes():
        ids[(parent["name"] if parent else None, spec["name"])] = len(ids) + 1
    for spec, parent, _position in iter_starter_themes():
        specs.append(
            ThemeSpec(
                id=ids[(parent["name"] if parent else None, spec["name"])],
                parent_id=ids[(None, parent["name"])] if parent else None,
                keywords=spec["keywords"],
                examples=spec["examples"],
            )
        )
    top_names = {ids[(None, t["name"])]: t["name"] for t in STARTER_THEMES}
    taxonomy = compile_taxonomy(specs)
    misses = []
    for language in ("sv", "nb", "da", "en"):
        remarks = [*REMARKS, *EMERGING]
        results = analyse_comments([(r.text(language), language) for r in remarks], taxonomy)
        for remark, result in zip(remarks, results, strict=True):
            found = {top_names[t] for t in result.themes if t in top_names}
            if remark.theme not in found or result.language != language:
                misses.append((language, remark.text(language), result.language, sorted(found)))
    assert not misses
