"""Signal receivers of the voice app (imported by VoiceConfig.ready, which connects them by importing this module).

A processed batch of responses (the drain's transaction, surveys.signals) gets one pending CommentAnalysis row per
comment, written with one set-based INSERT ... SELECT, and the analysis task is queued once the batch commits.
Nothing here analyses text: a submission never waits for language detection or sentiment.
"""

# SQL is assembled from model table names and constants; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from core.tasks import enqueue_coalesced
from surveys.models import Answer, Response, Survey
from surveys.signals import responses_processed
from voice.models import CommentAnalysis

DEBOUNCE_KEY = "voice:analyse-pending:queued"
# Comments are analysed soon after they arrive; a burst of drain batches still queues one task per window.
DEBOUNCE_SECONDS = 1
DEBOUNCE_TIMEOUT = 60
STATS_DEBOUNCE_KEY = "voice:recompute-stats:queued"
STATS_DEBOUNCE_SECONDS = 5
SQLITE_ID_CHUNK = 400  # SQLite's limit on parameters per statement
# Whitespace a comment may consist of and still be empty.
BLANK = " \t\r\n"
# Staff surveys (employee, leadership) are not the voice of the customer.
INTERNAL_KINDS = sorted(Survey.INTERNAL_KINDS)

_COLUMNS = (
    "answer_id, organization_id, response_id, survey_id, touchpoint_id, journey_id, customer_id, submitted_on, "
    "month, metric, score, status, language, masked_text, has_personal_data, sentiment_label, sentences, drivers, "
    "taxonomy_version, created_at"
)
# The response's score the theme impact is measured on: NPS if it has one, else CSAT, else CES.
_SCORE_ORDER = "CASE m.metric WHEN 'nps' THEN 0 WHEN 'csat' THEN 1 ELSE 2 END"
_SCORE_WHERE = "m.response_id = a.response_id AND m.metric IN ('nps', 'csat', 'ces') AND m.value IS NOT NULL"


def _insert_sql(vendor: str, ids_filter: str) -> str:
    ca, answer, response, survey = (
        CommentAnalysis._meta.db_table,
        Answer._meta.db_table,
        Response._meta.db_table,
        Survey._meta.db_table,
    )
    kinds = ", ".join(f"'{k}'" for k in INTERNAL_KINDS)
    if vendor == "postgresql":
        score_join = (
            f"LEFT JOIN LATERAL (SELECT m.metric, m.value FROM {answer} m WHERE {_SCORE_WHERE} "
            f"ORDER BY {_SCORE_ORDER} LIMIT 1) s ON true"
        )
        metric, score = "COALESCE(s.metric, '')", "s.value"
        month, blank = "date_trunc('month', a.submitted_on)::date", "btrim(a.text, %s) <> ''"
        json_empty = "'[]'::jsonb"
    else:
        # No LATERAL: two correlated look-ups (the demo's volumes).
        score_join = ""
        pick = f"FROM {answer} m WHERE {_SCORE_WHERE} ORDER BY {_SCORE_ORDER} LIMIT 1"
        metric, score = f"COALESCE((SELECT m.metric {pick}), '')", f"(SELECT m.value {pick})"
        month, blank = "date(a.submitted_on, 'start of month')", "trim(a.text, %s) <> ''"
        json_empty = "'[]'"
    return (
        f"INSERT INTO {ca} ({_COLUMNS}) "
        f"SELECT a.id, a.organization_id, a.response_id, r.survey_id, r.touchpoint_id, r.journey_id, r.customer_id, "
        f"a.submitted_on, {month}, {metric}, {score}, 'pending', '', '', false, '', {json_empty}, {json_empty}, 0, %s "
        f"FROM {answer} a JOIN {response} r ON r.id = a.response_id JOIN {survey} sv ON sv.id = r.survey_id "
        f"{score_join} "
        f"WHERE a.response_id {ids_filter} AND {blank} AND sv.kind NOT IN ({kinds}) "
        "ON CONFLICT (answer_id) DO NOTHING"
    )


def mark_pending(response_ids: Iterable[int]) -> int:
    """Add a pending analysis for every comment of these responses (idempotent); returns how many were added.

    Call it inside the transaction that processed the responses: a rollback adds nothing.
    """
    ids = sorted(set(response_ids))
    if not ids:
        return 0
    vendor = connection.vendor
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    added = 0
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # No JIT: on a large database the planner's cost estimate crosses jit_above_cost, and compiling the
            # statement took 0.7 s of a 5,000-response batch that runs in 0.3 s without it. Restored afterwards (the
            # drain's transaction belongs to every receiver).
            cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
            previous = cursor.fetchone()[0]
            cursor.execute(_insert_sql(vendor, "= ANY(%s)"), [now, ids, BLANK])
            added = cursor.rowcount
            cursor.execute("SELECT set_config('jit', %s, true)", [previous])
            return added
        for start in range(0, len(ids), SQLITE_ID_CHUNK):
            chunk = ids[start : start + SQLITE_ID_CHUNK]
            cursor.execute(_insert_sql(vendor, f"IN ({', '.join(['%s'] * len(chunk))})"), [now, *chunk, BLANK])
            added += cursor.rowcount
    return added


def schedule_analysis() -> None:
    """Queue `voice.analyse_pending` once the current transaction commits, at most once per debounce window."""
    from voice.tasks import analyse_pending_task

    enqueue_coalesced(analyse_pending_task, DEBOUNCE_KEY, countdown=DEBOUNCE_SECONDS, window=DEBOUNCE_TIMEOUT)


def schedule_stats() -> None:
    """Queue `voice.recompute_stats` once the current transaction commits, at most once per debounce window."""
    from voice.tasks import recompute_stats_task

    enqueue_coalesced(
        recompute_stats_task, STATS_DEBOUNCE_KEY, countdown=STATS_DEBOUNCE_SECONDS, window=DEBOUNCE_TIMEOUT
    )


def on_responses_processed(sender, response_ids, **kwargs) -> None:
    if mark_pending(response_ids):
        schedule_analysis()


responses_processed.connect(on_responses_processed, dispatch_uid="voice.responses_processed")
