"""Writes of the comment pipeline: analyse pending comments, keep theme statistics current, re-tag comments after
a taxonomy change, discover themes, and forget a comment's text when the customer's data is erased.

Claims follow the project's pattern (surveys.ingestion, kpis.rollups): rows are taken inside a transaction with
FOR UPDATE SKIP LOCKED on PostgreSQL, so several worker processes share a backlog without ever analysing the same
comment, and a crash rolls the chunk back to pending. Results are written set-based (one UPDATE ... FROM unnest per
chunk on PostgreSQL, voice.search_vector); SQLite (the demo) takes the plain ORM path. A Celery worker works
through a backlog with `analyse_backlog`, which overlaps the text engine of one chunk with the database writes of
the previous one.
"""

# SQL is assembled from model table names; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection, connections, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from core.masking import MASK
from surveys.models import Answer, Response
from voice import loop, search_vector
from voice.models import (
    LANGUAGES,
    CommentAnalysis,
    CommentTheme,
    StatDirty,
    Taxonomy,
    Theme,
    ThemeProposal,
    VoiceRun,
)
from voice.receivers import mark_pending, schedule_stats
from voice.taxonomy import compiled_taxonomy, lock_versions

logger = logging.getLogger(__name__)

CHUNK = 2000
RETAG_CHUNK = 2000
PIPELINE_WRITERS = 2  # chunks in flight in analyse_backlog: one written while the next is analysed
STATS_CHUNK = 200  # (organization, month) keys per statistics transaction
SQLITE_ID_CHUNK = 400
DISCOVERY_MONTHS = 12
DISCOVERY_MAX_DOCS = 20_000  # the most recent comments without a theme, per language
PENDING_ALIAS_HINTS = {"no": "nb", "nn": "nb", "nob": "nb", "swe": "sv", "dan": "da", "eng": "en"}


def language_hint(value: str | None) -> str | None:
    """The analysed language a response's language code ("sv-SE", "no", "en") stands for, or None."""
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    code = PENDING_ALIAS_HINTS.get(code, code)
    return code if code in LANGUAGES else None


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _ids_sql(ids: list[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


# -- analysis ---------------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    answer_id: int
    organization_id: int
    response_id: int
    month: dt.date
    text: str
    hint: str | None


def _claim_pending(*, organization_id: int | None, response_ids: list[int] | None, limit: int) -> list[_Pending]:
    """Lock up to `limit` pending analyses (skipping rows another worker holds) with their comment text."""
    ca, answer, response = CommentAnalysis._meta.db_table, Answer._meta.db_table, Response._meta.db_table
    where, params = ["ca.status = 'pending'"], []
    if organization_id is not None:
        where.append("ca.organization_id = %s")
        params.append(organization_id)
    if response_ids is not None:
        sql, values = _ids_sql(response_ids)
        where.append(f"ca.response_id {sql}")
        params += values
    lock = " FOR UPDATE OF ca SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ca.answer_id, ca.organization_id, ca.response_id, ca.month, a.text, r.language "
            f"FROM {ca} ca JOIN {answer} a ON a.id = ca.answer_id JOIN {response} r ON r.id = ca.response_id "
            f"WHERE {' AND '.join(where)} LIMIT %s{lock}",
            [*params, limit],
        )
        rows = cursor.fetchall()
    out = []
    for answer_id, org_id, response_id, month, text, language in rows:
        if isinstance(month, str):  # SQLite returns dates as text
            month = dt.date.fromisoformat(month)
        out.append(_Pending(answer_id, org_id, response_id, month, text or "", language_hint(language)))
    return out


def _theme_rows(analysis_id: int, organization_id: int, themes: dict) -> list[tuple]:
    return [
        (organization_id, analysis_id, theme_id, list(hit.matched), hit.sentiment)
        for theme_id, hit in sorted(themes.items())
    ]


def _write_results(claimed: list[_Pending], results: list, versions: dict[int, int], now: dt.datetime) -> None:
    """Store a chunk's results and replace its theme links (set-based on PostgreSQL)."""
    from voice.engine.lemmas import tokens

    ids = [p.answer_id for p in claimed]
    theme_rows = [
        row
        for p, r in zip(claimed, results, strict=True)
        for row in _theme_rows(p.answer_id, p.organization_id, r.themes)
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                search_vector.WRITE_RESULTS,
                [
                    now,
                    ids,
                    [r.language for r in results],
                    [r.masked_text for r in results],
                    [bool(r.has_personal_data) for r in results],
                    [r.sentiment for r in results],
                    [r.sentiment_label for r in results],
                    [json.dumps(r.sentences, ensure_ascii=False) for r in results],
                    [json.dumps(r.drivers, ensure_ascii=False) for r in results],
                    [search_vector.config_for(r.language) for r in results],
                    [search_vector.extra_lemmas(tokens(r.masked_text), r.lemmas) for r in results],
                    [versions[p.organization_id] for p in claimed],
                ],
            )
            _replace_theme_links_pg(cursor, ids, theme_rows)
        return
    analyses = [
        CommentAnalysis(
            answer_id=p.answer_id,
            status=CommentAnalysis.Status.DONE,
            language=r.language,
            masked_text=r.masked_text,
            has_personal_data=bool(r.has_personal_data),
            sentiment=r.sentiment,
            sentiment_label=r.sentiment_label,
            sentences=r.sentences,
            drivers=r.drivers,
            taxonomy_version=versions[p.organization_id],
            analysed_at=now,
        )
        for p, r in zip(claimed, results, strict=True)
    ]
    CommentAnalysis.objects.bulk_update(
        analyses,
        [
            "status",
            "language",
            "masked_text",
            "has_personal_data",
            "sentiment",
            "sentiment_label",
            "sentences",
            "drivers",
            "taxonomy_version",
            "analysed_at",
        ],
        batch_size=500,
    )
    _replace_theme_links_orm(ids, theme_rows)


def _replace_theme_links_pg(cursor, ids: list[int], rows: list[tuple]) -> None:
    cursor.execute(search_vector.DELETE_THEMES, [ids])
    if rows:
        cursor.execute(
            search_vector.INSERT_THEMES,
            [
                [r[1] for r in rows],
                [r[2] for r in rows],
                [json.dumps(r[3], ensure_ascii=False) for r in rows],
                [r[4] for r in rows],
            ],
        )


def _replace_theme_links_orm(ids: list[int], rows: list[tuple]) -> None:
    for start in range(0, len(ids), SQLITE_ID_CHUNK):
        CommentTheme.objects.filter(analysis_id__in=ids[start : start + SQLITE_ID_CHUNK]).delete()
    live = set(Theme.objects.filter(pk__in={r[2] for r in rows}).values_list("pk", flat=True)) if rows else set()
    CommentTheme.objects.bulk_create(
        [
            CommentTheme(organization_id=org, analysis_id=aid, theme_id=tid, matched=matched, sentiment=sentiment)
            for org, aid, tid, matched, sentiment in rows
            if tid in live
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


def mark_months_dirty(keys: set[tuple[int, dt.date]]) -> None:
    """Queue the statistics of these (organization, month) keys for a recompute (idempotent)."""
    if not keys:
        return
    # Sorted: two transactions marking overlapping keys take them in the same order (no deadlock).
    StatDirty.objects.bulk_create(
        [StatDirty(organization_id=org, month=month) for org, month in sorted(keys)],
        batch_size=1000,
        ignore_conflicts=True,
    )
    schedule_stats()


def _engine(items: list[tuple[str, str | None]], taxonomy) -> list:
    from voice.engine import analyse_comments

    return analyse_comments(items, taxonomy)


def _unanalysable() -> Any:
    from voice.engine import CommentResult

    # Nothing of the text is kept: the engine failed on it, so its masking cannot be trusted either.
    return CommentResult(
        language="other", masked_text=MASK, has_personal_data=False, sentiment=None, sentiment_label=""
    )


def _analyse_isolating(items: list[tuple[str, str | None]], taxonomy, analyse: Callable) -> list:
    """The engine's results; a chunk it fails on is retried in halves, so one comment it cannot handle is stored
    as unanalysable (and logged) instead of holding every comment claimed with it back forever."""
    try:
        return analyse(items, taxonomy)
    except Exception:
        if len(items) == 1:
            logger.exception("the text engine failed on a comment; it is stored without analysis")
            return [_unanalysable()]
    middle = len(items) // 2
    return _analyse_isolating(items[:middle], taxonomy, analyse) + _analyse_isolating(items[middle:], taxonomy, analyse)


def _analyse_chunk(
    *, organization_id: int | None, response_ids: list[int] | None, limit: int, analyse: Callable = _engine
) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Every statement here is an index lookup per row; JIT compilation (on by default, triggered by the
            # cost estimates of a large table) only adds time. Transaction-local: the chunk's transaction is ours.
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', 'off', true)")
        claimed = _claim_pending(organization_id=organization_id, response_ids=response_ids, limit=limit)
        if not claimed:
            return 0
        by_org: dict[int, list[_Pending]] = defaultdict(list)
        for p in claimed:
            by_org[p.organization_id].append(p)
        # The taxonomy rows are share-locked until the chunk commits: a taxonomy change waits for it, so every
        # comment written with an older version exists before the change's re-tagging run starts.
        lock_versions(sorted(by_org))
        ordered: list[_Pending] = []
        results: list = []
        versions: dict[int, int] = {}
        for org_id, items in by_org.items():
            version, taxonomy = compiled_taxonomy(org_id)
            versions[org_id] = version
            results += _analyse_isolating([(p.text, p.hint) for p in items], taxonomy, analyse)
            ordered += items
        _write_results(ordered, results, versions, timezone.now())
        mark_months_dirty({(p.organization_id, p.month) for p in ordered})
        _after_analysis(ordered, by_org)
    return len(claimed)


def _after_analysis(ordered: list, by_org) -> None:
    """Alert rules on comments and suggested root causes, per organization in a savepoint: a failure there (a rule,
    a case e-mail) is logged and must not hold the analysis of every organization back (the chunk would roll back
    to pending and fail again forever). The comments stay analysed; the failed responses get no comment-rule case
    or suggestion (the error is in the log)."""
    for org_id in sorted(by_org):
        response_ids = sorted({p.response_id for p in ordered if p.organization_id == org_id})
        try:
            with transaction.atomic():
                loop.after_analysis(response_ids=response_ids, organization_ids=[org_id])
        except Exception:
            logger.exception("alert rules or suggestions after analysis failed for organization %s", org_id)


def analyse_pending(*, organization_id: int | None = None, limit: int = CHUNK, analyse: Callable = _engine) -> int:
    """Claim up to `limit` pending comments, analyse and store them in one transaction; return how many.

    Safe to run in several processes at once (they claim disjoint rows). A deadlock or serialization failure
    rolls the chunk back (it is pending again) and is retried a few times.
    """
    for attempt in range(4):
        try:
            return _analyse_chunk(organization_id=organization_id, response_ids=None, limit=limit, analyse=analyse)
        except OperationalError as exc:
            message = str(exc).lower()
            if attempt == 3 or ("deadlock" not in message and "serializ" not in message):
                raise
    return 0


def analyse_all_pending(
    *,
    organization_id: int | None = None,
    limit: int = CHUNK,
    time_budget_seconds: float | None = None,
    stats: bool = False,
) -> int:
    """Analyse chunks until nothing pending is left (or the time budget is spent); `stats=True` then also
    recomputes the dirty statistics in-process (the demo seed, tests). Returns how many comments were analysed."""
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    done = 0
    while deadline is None or time.monotonic() < deadline:
        n = analyse_pending(organization_id=organization_id, limit=limit)
        done += n
        if n < limit:
            break
    if stats:
        recompute_dirty_stats()
    return done


def analyse_backlog(
    *, organization_id: int | None = None, limit: int = CHUNK, time_budget_seconds: float | None = None
) -> int:
    """Analyse until nothing pending is left (or the time budget is spent), overlapping the engine with the database.

    The engine (CPU, this thread) takes about as long per chunk as writing the chunk does (the database's CPU), so
    PIPELINE_WRITERS threads, each with its own connection and transaction, claim and write chunks while this thread
    runs the engine for whichever chunk is ready: one chunk is being written while the next is analysed. The engine
    runs in this thread only. PostgreSQL only, and only outside a transaction (a writer's connection must see what
    the caller committed); otherwise the chunks run one after the other (analyse_all_pending).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return analyse_all_pending(
            organization_id=organization_id, limit=limit, time_budget_seconds=time_budget_seconds
        )
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    requests: queue.Queue = queue.Queue()
    counts: list[int] = []
    errors: list[BaseException] = []

    def analyse_here(items, taxonomy) -> list:
        reply: queue.Queue = queue.Queue(maxsize=1)
        requests.put((items, taxonomy, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value

    def writer() -> None:
        total = 0
        try:
            while deadline is None or time.monotonic() < deadline:
                n = analyse_pending(organization_id=organization_id, limit=limit, analyse=analyse_here)
                total += n
                if n < limit:
                    break
        except BaseException as exc:  # reported by the calling thread
            errors.append(exc)
        finally:
            counts.append(total)
            requests.put(None)
            connections.close_all()  # this thread's connection only

    threads = [threading.Thread(target=writer, name=f"voice-writer-{i}", daemon=True) for i in range(PIPELINE_WRITERS)]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        request = requests.get()
        if request is None:
            running -= 1
            continue
        items, taxonomy, reply = request
        try:
            reply.put((True, _engine(items, taxonomy)))
        except Exception as exc:
            reply.put((False, exc))
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts)


def analyse_responses_now(response_ids: list[int], *, stats: bool = True) -> int:
    """Add and analyse the comments of these responses at once (tests, the demo); returns how many were analysed."""
    ids = sorted(set(response_ids))
    done = 0
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        with transaction.atomic():
            mark_pending(part)
        while n := _analyse_chunk(organization_id=None, response_ids=part, limit=CHUNK):
            done += n
    if stats:
        recompute_dirty_stats()
    return done


def pending_exists(*, older_than: dt.datetime | None = None) -> bool:
    qs = CommentAnalysis.objects.filter(status=CommentAnalysis.Status.PENDING)
    if older_than is not None:
        qs = qs.filter(created_at__lt=older_than)
    return qs.exists()


# -- statistics -------------------------------------------------------------------------------------------------


STATS_BACKLOG_SECONDS = 30


def stats_waiting() -> bool:
    """Whether months are still marked dirty (some wait for their organization's backlog)."""
    return StatDirty.objects.exists()


def _claim_dirty(limit: int) -> list[tuple[int, dt.date]]:
    table = StatDirty._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # While an organization still has a backlog of pending comments (an import), its months wait until
            # they have been dirty for STATS_BACKLOG_SECONDS: each recompute reads every analysed comment of the
            # month, so recomputing after every chunk would make a large backlog quadratic. Without a backlog a
            # key is recomputed at once. The oldest mark is kept (ON CONFLICT DO NOTHING), so figures trail a
            # backlog by at most that long.
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT d.id FROM {table} d "
                f"WHERE d.marked_at < now() - make_interval(secs => %s) OR NOT EXISTS ("
                f"SELECT 1 FROM {CommentAnalysis._meta.db_table} p "
                "WHERE p.organization_id = d.organization_id AND p.status = 'pending') "
                "ORDER BY d.organization_id, d.month LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING organization_id, month",
                [STATS_BACKLOG_SECONDS, limit],
            )
            return cursor.fetchall()
    rows = list(StatDirty.objects.order_by("organization_id", "month").values_list("pk", "organization_id", "month"))
    rows = rows[:limit]
    StatDirty.objects.filter(pk__in=[r[0] for r in rows]).delete()
    return [(org, month) for _pk, org, month in rows]


def recompute_dirty_stats(*, limit: int = STATS_CHUNK, max_batches: int | None = None) -> int:
    """Recompute the ThemeStat rows of dirty (organization, month) keys; returns how many keys were recomputed.

    Each batch is one transaction: the keys are claimed by deleting them (SKIP LOCKED), so a crash marks them dirty
    again and two workers never recompute the same key at once.
    """
    from voice.stats import recompute_stats

    done = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            claimed = _claim_dirty(limit)
            by_org: dict[int, list[dt.date]] = defaultdict(list)
            for org_id, month in claimed:
                by_org[org_id].append(month)
            for org_id, months in sorted(by_org.items()):
                recompute_stats(org_id, sorted(months))
        done += len(claimed)
        batches += 1
        if len(claimed) < limit:
            break
    return done


# -- re-tagging after a taxonomy change ---------------------------------------------------------------------------


def _run_claim(run_id: int, kind: str) -> VoiceRun | None:
    """Take a queued run (or resume one the sweep re-queued); None when it is done, failed or someone else's."""
    now = timezone.now()
    updated = VoiceRun.objects.filter(pk=run_id, kind=kind, status=VoiceRun.Status.QUEUED).update(
        status=VoiceRun.Status.RUNNING, started_at=now
    )
    return VoiceRun.objects.filter(pk=run_id).first() if updated else None


def _run_finish(run: VoiceRun, *, error: str = "", complete: bool = True) -> None:
    """Mark a run done (complete: its progress shows the whole total) or failed."""
    run.status = VoiceRun.Status.FAILED if error else VoiceRun.Status.DONE
    run.error = error[:300]
    run.finished_at = timezone.now()
    if complete and not error:
        run.done = max(run.done, run.total)
    run.save(update_fields=["status", "error", "finished_at", "done"])


def _current_version(organization_id: int) -> int:
    return Taxonomy.objects.filter(pk=organization_id).values_list("version", flat=True).first() or 1


RETAG_LOCK = 0x76726574  # "vret": the advisory-lock class of re-tagging chunks (the second key: the organization)


def _retag_chunk(run: VoiceRun, version: int, taxonomy) -> int:
    from voice.engine import retag_comment

    org_id = run.organization_id
    with transaction.atomic():
        qs = CommentAnalysis.objects.filter(
            organization_id=org_id, status=CommentAnalysis.Status.DONE, taxonomy_version__lt=version
        ).order_by("answer_id")
        if connection.vendor == "postgresql":
            # One re-tagging chunk at a time per organization, and no skipping of locked rows: a run started by a
            # later change waits for the chunk in flight and then re-tags those rows too (with SKIP LOCKED it would
            # find nothing, finish at once and leave them on the older taxonomy).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RETAG_LOCK, org_id])
            qs = qs.select_for_update()
        rows = list(
            qs.values_list("answer_id", "month", "language", "masked_text", "sentences", "sentiment")[:RETAG_CHUNK]
        )
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        erased = [r[0] for r in rows if r[3] == MASK]
        kept: list[tuple] = []
        if erased:
            # An erased comment has no text left to match: it keeps the themes it had that are still active.
            active = set(
                Theme.objects.filter(organization_id=org_id, status=Theme.Status.ACTIVE).values_list("pk", flat=True)
            )
            kept = [
                (org_id, aid, tid, matched, sentiment)
                for aid, tid, matched, sentiment in CommentTheme.objects.filter(analysis_id__in=erased).values_list(
                    "analysis_id", "theme_id", "matched", "sentiment"
                )
                if tid in active
            ]
        theme_rows = kept + [
            row
            for answer_id, _month, language, masked_text, sentences, sentiment in rows
            if masked_text != MASK
            for row in _theme_rows(
                answer_id, org_id, retag_comment(masked_text, language, sentences, taxonomy, score=sentiment)
            )
        ]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                _replace_theme_links_pg(cursor, ids, theme_rows)
                cursor.execute(search_vector.SET_TAXONOMY_VERSION, [version, ids])
        else:
            _replace_theme_links_orm(ids, theme_rows)
            for start in range(0, len(ids), SQLITE_ID_CHUNK):
                CommentAnalysis.objects.filter(answer_id__in=ids[start : start + SQLITE_ID_CHUNK]).update(
                    taxonomy_version=version
                )
        mark_months_dirty({(org_id, month) for _aid, month, *_rest in rows})
        VoiceRun.objects.filter(pk=run.pk).update(done=F("done") + len(rows))
    run.done += len(rows)
    return len(rows)


def retag_run(run_id: int) -> VoiceRun | None:
    """Re-tag the organization's analysed comments tagged with an older taxonomy version, in chunks, with progress.

    A newer taxonomy version (a later change) supersedes the run: it stops and is marked done, the newer run does
    the rest. Sentiment is not recomputed: only the themes depend on the taxonomy.
    """
    run = _run_claim(run_id, VoiceRun.Kind.RETAG)
    if run is None:
        return None
    try:
        version, taxonomy = compiled_taxonomy(run.organization_id)
        run.taxonomy_version = max(run.taxonomy_version, version)
        run.total = (
            run.done
            + CommentAnalysis.objects.filter(
                organization_id=run.organization_id, status=CommentAnalysis.Status.DONE, taxonomy_version__lt=version
            ).count()
        )
        run.save(update_fields=["taxonomy_version", "total"])
        superseded = False
        while not superseded:
            if not _retag_chunk(run, version, taxonomy):
                break
            superseded = _current_version(run.organization_id) != version
    except Exception as exc:
        logger.exception("re-tagging run %s failed", run_id)
        _run_finish(run, error=f"{type(exc).__name__}: {exc}")
        raise
    _run_finish(run, complete=not superseded)
    return run


# -- theme discovery --------------------------------------------------------------------------------------------


def _known_terms(organization_id: int, language: str) -> set[str]:
    from voice.engine.lemmas import lemmas

    terms: set[str] = set()
    for keywords in Theme.objects.filter(organization_id=organization_id, status=Theme.Status.ACTIVE).values_list(
        "keywords", flat=True
    ):
        for term in (keywords or {}).get(language, []):
            terms.add(term.lower())
            terms.update(lemmas(term, language))
    return terms


def _rejected_terms(organization_id: int, language: str) -> set[str]:
    terms: set[str] = set()
    for proposal_terms in ThemeProposal.objects.filter(
        organization_id=organization_id, language=language, status=ThemeProposal.Status.REJECTED
    ).values_list("terms", flat=True):
        terms.update(t.lower() for t in proposal_terms or [])
    return terms


def _uncovered_comments(organization_id: int, language: str, since: dt.date) -> list[tuple[int, str]]:
    qs = (
        CommentAnalysis.objects.filter(
            organization_id=organization_id,
            status=CommentAnalysis.Status.DONE,
            language=language,
            month__gte=since,
        )
        .exclude(masked_text=MASK)
        .exclude(Exists(CommentTheme.objects.filter(analysis_id=OuterRef("pk"))))
        .order_by("-submitted_on", "-pk")
    )
    return list(qs.values_list("answer_id", "masked_text")[:DISCOVERY_MAX_DOCS])


def discover_run(run_id: int) -> VoiceRun | None:
    """Propose themes from the last 12 months' analysed comments that no theme covers, per language; the new
    proposals replace the organization's undecided ones. Progress counts comments read."""
    from voice.engine.discovery import discover_themes
    from voice.engine.lemmas import lemmas

    run = _run_claim(run_id, VoiceRun.Kind.DISCOVER)
    if run is None:
        return None
    org_id = run.organization_id
    try:
        since = _month(timezone.localdate()).replace(year=timezone.localdate().year - 1)
        docs_by_language = {language: _uncovered_comments(org_id, language, since) for language in LANGUAGES}
        run.total = sum(len(docs) for docs in docs_by_language.values())
        run.save(update_fields=["total"])
        proposals: list[ThemeProposal] = []
        for language, comments in docs_by_language.items():
            if comments:
                docs = [(pk, lemmas(text, language)) for pk, text in comments]
                found = discover_themes(
                    docs,
                    language=language,
                    known_terms=_known_terms(org_id, language),
                    rejected_terms=_rejected_terms(org_id, language),
                )
                proposals += [
                    ThemeProposal(
                        organization_id=org_id,
                        language=language,
                        label=theme.label[:120],
                        terms=list(theme.terms),
                        example_ids=list(theme.example_ids),
                        size=theme.size,
                        coherence=float(theme.coherence),
                        run=run,
                    )
                    for theme in found
                ]
            run.done += len(comments)
            VoiceRun.objects.filter(pk=run.pk).update(done=run.done)
        with transaction.atomic():
            ThemeProposal.objects.filter(organization_id=org_id, status=ThemeProposal.Status.PROPOSED).delete()
            ThemeProposal.objects.bulk_create(proposals)
    except Exception as exc:
        logger.exception("theme discovery run %s failed", run_id)
        _run_finish(run, error=f"{type(exc).__name__}: {exc}")
        raise
    _run_finish(run)
    return run


# -- background runs: the sweep's part ----------------------------------------------------------------------------

QUEUED_STALE = dt.timedelta(minutes=2)
# A run still "running" after the task time limit lost its worker (killed, or the hard limit hit).
RUNNING_STALE = dt.timedelta(hours=1, minutes=10)


def runs_requeue_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Runs whose task was lost: queued ones are queued again; running ones past the time limit are resumed
    (re-tagging: rows already done are skipped) or failed (discovery). Returns the ids queued."""
    from voice.taxonomy import queue_run

    now = now or timezone.now()
    running = VoiceRun.objects.filter(status=VoiceRun.Status.RUNNING, started_at__lt=now - RUNNING_STALE)
    running.filter(kind=VoiceRun.Kind.DISCOVER).update(
        status=VoiceRun.Status.FAILED, error="interrupted", finished_at=now
    )
    resumed = list(running.filter(kind=VoiceRun.Kind.RETAG).values_list("pk", flat=True))
    VoiceRun.objects.filter(pk__in=resumed, status=VoiceRun.Status.RUNNING).update(status=VoiceRun.Status.QUEUED)
    lost = VoiceRun.objects.filter(status=VoiceRun.Status.QUEUED, created_at__lt=now - QUEUED_STALE)
    stale = sorted(set(lost.values_list("pk", "kind")) | {(pk, VoiceRun.Kind.RETAG) for pk in resumed})
    for pk, kind in stale:
        queue_run(pk, kind)
    return [pk for pk, _kind in stale]


# -- privacy: the comment's text follows the answer's ------------------------------------------------------------


def analyses_forget_text(
    *, organization_id: int, response_ids: list[int] | None = None, before: dt.date | None = None
) -> int:
    """The comments of these responses (or submitted before `before`) were masked in the answers: mask their
    analyses too (text, sentences, drivers, search vector). Language, sentiment and themes stay, like the scores.

    Pending analyses are locked too, so an analysis running concurrently either finishes first (and is masked
    here) or claims the row afterwards and reads the masked answer.
    """
    qs = CommentAnalysis.objects.filter(organization_id=organization_id)
    if response_ids is not None:
        qs = qs.filter(response_id__in=response_ids)
    if before is not None:
        # The month bound lets the (organization, month, touchpoint) index find the rows.
        qs = qs.filter(month__lte=before.replace(day=1), submitted_on__lt=before)
    if response_ids is None and before is None:
        raise ValueError("give response_ids or before")
    return qs.exclude(masked_text=MASK, status=CommentAnalysis.Status.DONE).update(
        masked_text=MASK, sentences=[], drivers=[], search=None
    )
