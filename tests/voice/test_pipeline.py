"""The comment pipeline end to end: responses submitted and drained as in production, comments marked pending in the
drain's transaction, analysed (language, masked text, sentiment, themes, search vector), re-tagged after a taxonomy
change, and forgotten with the customer's data."""

from __future__ import annotations

import os
import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.scoping import context_for_membership
from core.masking import MASK
from customers.models import Customer
from privacy import services as privacy_services
from privacy.models import RetentionPolicy
from surveys.ingestion.services import response_submit, responses_sweep_unprocessed
from surveys.models import Answer, Response
from surveys.signals import responses_processed
from tests.factories import CustomerFactory
from tests.surveys.ingestion.conftest import Program, make_program
from voice import services, tasks
from voice.models import CommentAnalysis, CommentTheme, StatDirty, Taxonomy, ThemeStat, VoiceRun
from voice.receivers import DEBOUNCE_KEY, mark_pending
from voice.taxonomy import bump_version, theme_create, theme_update

pytestmark = pytest.mark.django_db

INVOICE = {"sv": ["faktura"], "en": ["invoice"], "nb": ["faktura", "regning"]}
DELIVERY = {"sv": ["leverans"], "en": ["delivery"]}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.delete(DEBOUNCE_KEY)
    yield
    cache.delete(DEBOUNCE_KEY)


@pytest.fixture
def prog(cast_a) -> Program:
    return make_program(cast_a)


def ctx_of(membership):
    return context_for_membership(membership, user=membership.user)


def submit(prog: Program, text: str, *, nps: int | None = 3, csat: int | None = None, language: str = "sv", **kw):
    answers = {"why": text}
    if nps is not None:
        answers["nps"] = nps
    if csat is not None:
        answers["csat"] = csat
    response, _created = response_submit(
        organization=prog.org,
        survey=prog.survey,
        version=prog.survey.current_version,
        answers=answers,
        touchpoint=kw.pop("touchpoint", prog.touchpoint),
        language=language,
        **kw,
    )
    return response


def imported(prog: Program, texts: list[str], *, language: str = "sv") -> list[Response]:
    """Responses with an NPS and a comment stored in bulk, unprocessed, the way a response import stores them."""
    version = prog.survey.current_version
    questions = {q.code: q for q in version.questions.all()}
    now = timezone.now()
    responses = Response.objects.bulk_create(
        [
            Response(
                organization=prog.org,
                survey=prog.survey,
                version=version,
                touchpoint=prog.touchpoint,
                journey_id=prog.touchpoint.journey_id,
                language=language,
                submitted_at=now,
                source=Response.Source.IMPORT,
            )
            for _text in texts
        ]
    )
    common = {"organization": prog.org, "touchpoint": prog.touchpoint, "submitted_on": timezone.localdate()}
    Answer.objects.bulk_create(
        [
            answer
            for response, text in zip(responses, texts, strict=True)
            for answer in (
                Answer(response=response, question=questions["nps"], metric="nps", value=5, **common),
                Answer(response=response, question=questions["why"], text=text, **common),
            )
        ]
    )
    return responses


def drain(capture, *, execute: bool = True) -> None:
    """The drain (as the surveys.process_pending task runs it); its commit queues the analysis (eager here)."""
    with capture(execute=execute):
        responses_sweep_unprocessed(min_age_seconds=0, time_budget_seconds=None)


def invoice_theme(prog: Program, capture, **kw):
    with capture(execute=True):
        return theme_create(ctx_of(prog.cast.cx_manager), name=kw.pop("name", "Invoice"), keywords=INVOICE, **kw)


def test_comments_are_marked_pending_inside_the_drains_transaction(prog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = submit(prog, "Fakturan var fel igen", nps=2, csat=4)
        submit(prog, "   \n ")  # a blank comment is no comment
    seen: dict[str, list] = {}

    def spy(sender, response_ids, **kwargs):
        # Connected after the voice app's receiver: it sees what the batch's transaction wrote so far.
        seen.setdefault(
            "rows",
            list(
                CommentAnalysis.objects.filter(response_id__in=response_ids).values_list(
                    "response_id", "status", "metric", "score", "month", "touchpoint_id", "journey_id", "survey_id"
                )
            ),
        )
        raise RuntimeError("the follow-up fails")

    responses_processed.connect(spy, dispatch_uid="test-voice-spy")
    try:
        drain(django_capture_on_commit_callbacks, execute=False)
    finally:
        responses_processed.disconnect(dispatch_uid="test-voice-spy")
    month = timezone.localdate().replace(day=1)
    assert seen["rows"] == [
        (response.pk, "pending", "nps", 2.0, month, prog.touchpoint.pk, prog.touchpoint.journey_id, prog.survey.pk)
    ]
    # The failed follow-up rolled the batch back: nothing is pending, the responses wait for the next drain.
    assert not CommentAnalysis.objects.exists()
    assert Response.objects.filter(processed_at=None).count() == 2

    drain(django_capture_on_commit_callbacks, execute=False)
    row = CommentAnalysis.objects.get()
    assert (row.response_id, row.status, row.organization_id) == (response.pk, "pending", prog.org.pk)
    assert row.answer == Answer.objects.get(response=response, question__code="why")


def test_csat_is_the_score_when_the_response_has_no_nps(prog, django_capture_on_commit_callbacks):
    from surveys.models import Question

    Question.objects.filter(version=prog.survey.current_version, code="nps").update(required=False)
    with django_capture_on_commit_callbacks(execute=False):
        submit(prog, "Bra service", nps=None, csat=5)
        submit(prog, "Inget betyg", nps=None)
    drain(django_capture_on_commit_callbacks, execute=False)
    assert sorted(CommentAnalysis.objects.values_list("metric", "score")) == [("", None), ("csat", 5.0)]


def test_a_drained_comment_is_analysed_with_language_mask_sentiment_themes_and_search(
    prog, django_capture_on_commit_callbacks
):
    theme = invoice_theme(prog, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        response = submit(prog, "Fakturan var helt fel och ingen ringde tillbaka på 070-123 45 67. Mycket dåligt!")
        english = submit(prog, "Great people, the delivery was fast and friendly", nps=10, language="en")
    drain(django_capture_on_commit_callbacks)

    row = CommentAnalysis.objects.get(response=response)
    assert row.status == "done" and row.analysed_at is not None
    assert row.language == "sv"
    assert "070-123 45 67" not in row.masked_text and MASK in row.masked_text and row.has_personal_data
    assert row.sentiment < 0 and row.sentiment_label == "negative"
    assert row.sentences and all("070" not in s["text"] for s in row.sentences)
    assert row.taxonomy_version == Taxonomy.objects.get(pk=prog.org.pk).version
    link = CommentTheme.objects.get(analysis=row)
    assert link.theme == theme and link.organization_id == prog.org.pk and "faktura" in link.matched

    other = CommentAnalysis.objects.get(response=english)
    assert (other.language, other.sentiment_label) == ("en", "positive")
    assert not CommentTheme.objects.filter(analysis=other).exists()

    # Full-text search in the comment's language: "faktura" finds "Fakturan" (Swedish stemming).
    found = CommentAnalysis.objects.extra(where=["search @@ to_tsquery('swedish', %s)"], params=["faktura"])
    assert list(found.values_list("pk", flat=True)) == [row.pk]
    assert not CommentAnalysis.objects.extra(where=["search @@ to_tsquery('swedish', %s)"], params=["leverans"])

    # The statistics were recomputed after the analysis (the statistics task ran on commit).
    assert not StatDirty.objects.exists()
    assert ThemeStat.objects.filter(organization=prog.org, theme_key=theme.pk).exists()


def test_analysing_again_changes_nothing(prog, django_capture_on_commit_callbacks):
    invoice_theme(prog, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        response = submit(prog, "Fakturan kom för sent och var för hög")
    drain(django_capture_on_commit_callbacks)
    columns = ("language", "masked_text", "sentiment", "sentiment_label", "sentences", "drivers", "taxonomy_version")

    def state():
        row = CommentAnalysis.objects.values_list(*columns).get(response=response)
        themes = sorted(CommentTheme.objects.filter(analysis__response=response).values_list("theme", "matched"))
        return row, themes

    before = state()
    assert before[1], "the comment has a theme"
    # The signal sent again (a re-sent batch) and the analysis run again find nothing to do.
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            assert mark_pending([response.pk]) == 0
        assert services.analyse_all_pending() == 0
    # The same comment analysed a second time gives the same result and the same theme links.
    CommentAnalysis.objects.filter(response=response).update(status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.analyse_all_pending() == 1
    assert state() == before
    assert CommentTheme.objects.filter(analysis__response=response).count() == 1


def test_a_comment_of_a_staff_survey_is_not_analysed(prog, django_capture_on_commit_callbacks):
    prog.survey.kind = "employee"
    prog.survey.save(update_fields=["kind"])
    with django_capture_on_commit_callbacks(execute=False):
        response = Response.objects.create(
            organization=prog.org,
            survey=prog.survey,
            version=prog.survey.current_version,
            submitted_at=timezone.now(),
        )
        question = prog.survey.current_version.questions.get(code="why")
        Answer.objects.create(
            organization=prog.org, response=response, question=question, submitted_on=timezone.localdate(), text="x y"
        )
    with transaction.atomic():
        assert mark_pending([response.pk]) == 0


def test_a_comment_the_engine_fails_on_does_not_hold_the_others_back(prog, django_capture_on_commit_callbacks):
    from voice.engine import analyse_comments

    with django_capture_on_commit_callbacks(execute=False):
        for text in ("Fakturan var fel", "Trevlig personal", "BOOM breaks the engine", "Snabb leverans"):
            submit(prog, text)
    drain(django_capture_on_commit_callbacks, execute=False)

    def engine(items, taxonomy):
        if any(text.startswith("BOOM") for text, _hint in items):
            raise ValueError("the engine cannot handle this text")
        return analyse_comments(items, taxonomy)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.analyse_pending(analyse=engine) == 4
    rows = {a.answer.text: a for a in CommentAnalysis.objects.select_related("answer")}
    assert all(row.status == "done" for row in rows.values())
    broken = rows["BOOM breaks the engine"]
    assert (broken.language, broken.masked_text, broken.sentiment, broken.sentences) == ("other", MASK, None, [])
    assert rows["Fakturan var fel"].language == "sv" and rows["Fakturan var fel"].sentiment is not None


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_analyse_the_same_comment(cast_a):
    prog = make_program(cast_a)
    texts = ["Fakturan var fel", "Bra bemötande", "Leveransen tog för lång tid", "Appen kraschar hela tiden"]
    for i in range(240):
        submit(prog, f"{texts[i % 4]} ({i})")
    responses_sweep_unprocessed(min_age_seconds=0, time_budget_seconds=None)
    # The drain's commit queued the analysis (eager in tests): put every comment back to pending for the race.
    CommentAnalysis.objects.update(status="pending")
    total = CommentAnalysis.objects.count()
    assert total == 240

    # A claim held open by one worker: the other skips its rows instead of waiting for them or taking them.
    held = threading.Event()
    release = threading.Event()
    claimed_by_first: list[int] = []

    def first_worker():
        try:
            with transaction.atomic():
                claimed_by_first.extend(
                    p.answer_id for p in services._claim_pending(organization_id=None, response_ids=None, limit=40)
                )
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert held.wait(30)
    try:
        assert services.analyse_all_pending(limit=50) == total - 40
        assert set(CommentAnalysis.objects.filter(status="pending").values_list("pk", flat=True)) == set(
            claimed_by_first
        )
    finally:
        release.set()
        thread.join(30)

    # Two workers racing over the same backlog (each writing with several threads, as a Celery worker does):
    # every comment analysed exactly once between them.
    CommentAnalysis.objects.update(status="pending")
    counts: list[int] = []

    def worker():
        try:
            counts.append(services.analyse_backlog(limit=20))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(counts) == total
    assert not CommentAnalysis.objects.filter(status="pending").exists()


def test_a_keyword_change_retags_old_comments_in_the_background_with_progress(
    prog, django_capture_on_commit_callbacks, monkeypatch
):
    theme = invoice_theme(prog, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        about_delivery = [submit(prog, f"Leveransen var sen, paket nummer {i}") for i in range(5)]
        about_invoice = submit(prog, "Fakturan var fel")
    drain(django_capture_on_commit_callbacks)
    assert not CommentTheme.objects.filter(analysis__response__in=about_delivery).exists()
    old_version = Taxonomy.objects.get(pk=prog.org.pk).version

    monkeypatch.setattr(services, "RETAG_CHUNK", 2)  # several chunks, as with a large organization
    with django_capture_on_commit_callbacks(execute=True):
        theme_update(ctx_of(prog.cast.cx_manager), theme, keywords={**INVOICE, "sv": ["faktura", "leverans"]})

    run = VoiceRun.objects.get(organization=prog.org, kind="retag", taxonomy_version=old_version + 1)
    assert run.status == "done" and run.error == ""
    assert run.total == 6 and run.done == run.total and run.percent == 100
    tagged = CommentTheme.objects.filter(theme=theme, analysis__response__in=about_delivery)
    assert tagged.count() == 5 and all("leverans" in m for m in tagged.values_list("matched", flat=True))
    assert CommentTheme.objects.filter(theme=theme, analysis__response=about_invoice).exists()
    assert set(CommentAnalysis.objects.values_list("taxonomy_version", flat=True)) == {old_version + 1}
    assert not StatDirty.objects.exists(), "the touched months' statistics were recomputed"
    stat = ThemeStat.objects.get(
        organization=prog.org, theme_key=theme.pk, touchpoint_key=prog.touchpoint.pk, language="sv", metric="nps"
    )
    assert stat.comments == 6


def test_a_newer_taxonomy_version_supersedes_a_running_retag(prog, django_capture_on_commit_callbacks, monkeypatch):
    theme = invoice_theme(prog, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(4):
            submit(prog, f"Leveransen var sen ({i})")
    drain(django_capture_on_commit_callbacks)
    ctx = ctx_of(prog.cast.cx_manager)
    with django_capture_on_commit_callbacks(execute=False):
        theme_update(ctx, theme, keywords={"sv": ["leverans"]})
    first = VoiceRun.objects.get(organization=prog.org, kind="retag", status="queued")

    # A CX manager changes the taxonomy again while the first run is between two chunks.
    monkeypatch.setattr(services, "RETAG_CHUNK", 1)
    real_chunk = services._retag_chunk
    newer: list[VoiceRun] = []

    def chunk_then_edit(run, version, taxonomy):
        done = real_chunk(run, version, taxonomy)
        if not newer:
            with django_capture_on_commit_callbacks(execute=False):
                theme_update(ctx, theme, keywords={"sv": ["leverans", "sen"]})
            newer.append(VoiceRun.objects.get(organization=prog.org, kind="retag", status="queued"))
        return done

    monkeypatch.setattr(services, "_retag_chunk", chunk_then_edit)
    services.retag_run(first.pk)
    first.refresh_from_db()
    assert first.status == "done" and (first.done, first.total) == (1, 4)  # stopped early, marked done
    assert newer[0].pk != first.pk and newer[0].taxonomy_version == first.taxonomy_version + 1

    monkeypatch.setattr(services, "_retag_chunk", real_chunk)
    services.retag_run(newer[0].pk)
    newer[0].refresh_from_db()
    assert (newer[0].status, newer[0].done, newer[0].total) == ("done", 4, 4)
    assert set(CommentAnalysis.objects.values_list("taxonomy_version", flat=True)) == {newer[0].taxonomy_version}
    assert CommentTheme.objects.filter(theme=theme).count() == 4


def test_lost_tasks_are_caught_up_by_the_sweep(prog, django_capture_on_commit_callbacks):
    invoice_theme(prog, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        response = submit(prog, "Fakturan var fel")
    drain(django_capture_on_commit_callbacks, execute=False)  # the analysis task is never queued
    CommentAnalysis.objects.update(created_at=timezone.now() - tasks.SWEEP_MIN_AGE * 2)
    with django_capture_on_commit_callbacks(execute=False):
        run = bump_version(prog.org.pk)  # and the re-tagging run's task is lost too
    VoiceRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - services.QUEUED_STALE * 2)
    # A re-tagging run whose worker died long ago (still "running"), and a discovery run likewise.
    started = timezone.now() - services.RUNNING_STALE * 2
    died = VoiceRun.objects.create(organization=prog.org, kind="retag", status="running", started_at=started)
    lost = VoiceRun.objects.create(organization=prog.org, kind="discover", status="running", started_at=started)
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sweep_task()
    assert result["analysed"] == 1 and result["runs"] == sorted([run.pk, died.pk])
    assert CommentAnalysis.objects.get(response=response).status == "done"
    for r in (run, died, lost):
        r.refresh_from_db()
    assert (run.status, died.status, lost.status, lost.error) == ("done", "done", "failed", "interrupted")
    assert not StatDirty.objects.exists()


def test_erasure_removes_the_comment_from_its_analysis(prog, django_capture_on_commit_callbacks):
    theme = invoice_theme(prog, django_capture_on_commit_callbacks)
    person = CustomerFactory(organization=prog.org, name="Ragnhild Fjellstad", email="ragnhild@fjell.example")
    text = "Fakturan är fel, Ragnhild Fjellstad här, ring mig på ragnhild@fjell.example"
    with django_capture_on_commit_callbacks(execute=False):
        response = submit(prog, text, customer=person)
        kept = submit(prog, "Fakturan är fel igen, Sven här")
    drain(django_capture_on_commit_callbacks)
    row = CommentAnalysis.objects.get(response=response)
    assert "Ragnhild" in row.masked_text and row.customer_id == person.pk  # the test can fail
    sentiment, label = row.sentiment, row.sentiment_label

    with django_capture_on_commit_callbacks(execute=True):
        privacy_services.subject_erase(ctx=ctx_of(prog.cast.admin), customer=person)

    row.refresh_from_db()
    assert row.masked_text == MASK and row.sentences == [] and row.drivers == [] and row.search is None
    assert row.customer_id is None and not Customer.objects.filter(pk=person.pk).exists()
    # Statistics stay: language, sentiment and themes, like the response's scores.
    assert (row.sentiment, row.sentiment_label, row.language) == (sentiment, label, "sv")
    assert CommentTheme.objects.filter(analysis=row, theme=theme).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM voice_commentanalysis WHERE masked_text ILIKE %s OR sentences::text ILIKE %s "
            "OR drivers::text ILIKE %s OR search @@ to_tsquery('simple', 'ragnhild')",
            ["%ragnhild%"] * 3,
        )
        assert cursor.fetchone()[0] == 0
    assert "Sven" in CommentAnalysis.objects.get(response=kept).masked_text  # other customers' comments stay

    # A later taxonomy change keeps the erased comment's themes (it has no text left to match).
    with django_capture_on_commit_callbacks(execute=True):
        theme_update(ctx_of(prog.cast.cx_manager), theme, keywords={"sv": ["faktura", "fel"]})
    assert CommentTheme.objects.filter(analysis=row, theme=theme).exists()


def test_retention_masks_old_comments_in_their_analyses(prog, django_capture_on_commit_callbacks):
    old_day = timezone.now() - timezone.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=False):
        old = submit(prog, "Fakturan var fel, Gunnar Sandvik", submitted_at=old_day)
        recent = submit(prog, "Fakturan var fel, Gunnar Sandvik")
    drain(django_capture_on_commit_callbacks)
    RetentionPolicy.objects.create(organization=prog.org, comments_months=6)
    with django_capture_on_commit_callbacks(execute=True):
        run = privacy_services.retention_run(organization_id=prog.org.pk)
    assert run.error == "" and run.counts["comments_masked"] == 1
    assert CommentAnalysis.objects.get(response=old).masked_text == MASK
    assert CommentAnalysis.objects.get(response=old).search is None
    assert "Gunnar" in CommentAnalysis.objects.get(response=recent).masked_text


def test_the_pipeline_works_on_the_sqlite_demo(tmp_path):
    from tests.sqlite_demo import run_on_fresh_sqlite

    result = run_on_fresh_sqlite(tmp_path, SQLITE_SCRIPT)
    assert result["statuses"] == ["done", "done"]
    assert result["languages"] == ["en", "sv"]
    assert result["themes_before"] == [["Fakturan var fel, ring 070-123 45 67"]]
    assert result["themes_after"] == 2
    assert result["run"] == ["done", 2, 2]
    assert result["masked"] == MASK
    assert result["stats"] > 0


SQLITE_SCRIPT = r"""
import json
from accounts.scoping import context_for_membership
from privacy import services as privacy_services
from tests.conftest import _make_cast
from tests.factories import CustomerFactory
from tests.surveys.ingestion.conftest import make_program
from voice.models import CommentAnalysis, CommentTheme, ThemeStat, VoiceRun
from voice.taxonomy import theme_create, theme_update
from surveys.ingestion.services import response_submit

cast = _make_cast("Alpha Telecom")
prog = make_program(cast)
ctx = context_for_membership(cast.cx_manager, user=cast.cx_manager.user)
theme = theme_create(ctx, name="Invoice", keywords={"sv": ["faktura"]})
person = CustomerFactory(organization=prog.org, name="Ragnhild Fjellstad")
def submit(text, language, customer=None):
    return response_submit(organization=prog.org, survey=prog.survey, version=prog.survey.current_version,
                           answers={"nps": 3, "why": text}, touchpoint=prog.touchpoint, language=language,
                           customer=customer)[0]
submit("Fakturan var fel, ring 070-123 45 67", "sv", person)
submit("The delivery was late and the invoice wrong", "en")
rows = CommentAnalysis.objects.order_by("language")
themes_before = [[a.answer.text for a in CommentAnalysis.objects.filter(theme_links__theme=theme)]]
theme_update(ctx, theme, keywords={"sv": ["faktura"], "en": ["invoice"]})
run = VoiceRun.objects.filter(kind="retag").order_by("-pk").first()
themes_after = CommentTheme.objects.filter(theme=theme).count()
admin = context_for_membership(cast.admin, user=cast.admin.user)
privacy_services.subject_erase(ctx=admin, customer=person)
print(json.dumps({
    "statuses": sorted(rows.values_list("status", flat=True)),
    "languages": list(rows.values_list("language", flat=True)),
    "themes_before": themes_before,
    "themes_after": themes_after,
    "run": [run.status, run.done, run.total],
    "masked": CommentAnalysis.objects.get(language="sv").masked_text,
    "stats": ThemeStat.objects.filter(organization=prog.org).count(),
}))
"""


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_analyses_a_submitted_comment(cast_a, tmp_path):
    from tests.live_worker import broker_key, publishing_to, redis_or_fail, start_worker, stop_worker, wait_for

    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")
    client = redis_or_fail(broker)
    client.delete(*[broker_key(name) for name in ("celery", "unacked", "unacked_index")])
    prog = make_program(cast_a)
    ctx = ctx_of(cast_a.cx_manager)
    theme = theme_create(ctx, name="Invoice", keywords=INVOICE)  # eager here: no worker yet, nothing to re-tag
    worker = start_worker(app="cxplatform", name="voice", broker=broker, log=tmp_path / "worker.log", env={})
    try:
        assert "voice.analyse_pending" in worker.log.read_text(), "the worker knows the voice tasks"
        with publishing_to(broker):
            response = submit(prog, "Fakturan var fel igen, ingen svarade")  # commits: the drain is queued
            wait_for(
                lambda: CommentAnalysis.objects.filter(response=response, status="done").exists(),
                60,
                "the worker to drain the response and analyse its comment",
            )
    finally:
        stop_worker(worker)
    row = CommentAnalysis.objects.get(response=response)
    assert row.language == "sv" and row.search is not None
    assert CommentTheme.objects.filter(analysis=row, theme=theme).exists()
