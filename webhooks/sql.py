"""The one statement that turns a processed batch of responses into webhook deliveries.

INSERT ... SELECT: one row per (response, subscribed endpoint of its organization), with the event's data built by
the database (the response's ids, its answers, and personal data only for endpoints that asked for it), whatever
the batch size. ON CONFLICT DO NOTHING on (endpoint, event id): the id is derived from the response id
(webhooks.events.response_event_id), so a batch followed up again adds nothing.

PostgreSQL and SQLite (the demo) differ only in the JSON and text functions, listed in DIALECTS. Identifiers come
from model metadata; values, including format strings, always go as parameters.
"""

# ruff: noqa: S608

from __future__ import annotations

import datetime as dt

from django.db import connection

from customers.models import Customer
from surveys.models import Answer, Question, Response
from webhooks.events import RESPONSE_EVENT_PREFIX
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

DELIVERY = WebhookDelivery._meta.db_table
ENDPOINT = WebhookEndpoint._meta.db_table
RESPONSE = Response._meta.db_table
ANSWER = Answer._meta.db_table
QUESTION = Question._meta.db_table
CUSTOMER = Customer._meta.db_table

DIALECTS = {
    "postgresql": {
        "object": "jsonb_build_object",
        "answers": "COALESCE((SELECT jsonb_agg({item} ORDER BY q.position, q.id) {source}), '[]'::jsonb)",
        "embed": "{}",
        "choices": "a.choices",
        "timestamp": "to_char(r.submitted_at AT TIME ZONE 'UTC', %s)",
        "timestamp_format": 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"',
        "event_id": "CAST(%s || lpad(to_hex(r.id), 16, '0') AS uuid)",
        "id_format": None,
    },
    "sqlite": {
        "object": "json_object",
        "answers": (
            "COALESCE(json((SELECT json_group_array(json(x.item)) FROM "
            "(SELECT {item} AS item {source} ORDER BY q.position, q.id) x)), json('[]'))"
        ),
        "embed": "json({})",
        "choices": "json(a.choices)",
        "timestamp": "strftime(%s, r.submitted_at)",
        "timestamp_format": "%Y-%m-%dT%H:%M:%fZ",
        "event_id": "(%s || printf(%s, r.id))",
        "id_format": "%016x",
    },
}


def _statement(vendor: str, id_filter: str, endpoint_filter: str) -> tuple[str, list]:
    d = DIALECTS[vendor]
    obj = d["object"]
    item = (
        f"{obj}('question', q.code, 'metric', a.metric, 'value', a.value, 'choices', {d['choices']}, "
        "'text', CASE WHEN e.include_personal_data AND a.text <> '' THEN a.text END)"
    )
    source = f"FROM {ANSWER} a JOIN {QUESTION} q ON q.id = a.question_id WHERE a.response_id = r.id"
    answers = d["answers"].format(item=item, source=source)
    customer = d["embed"].format(
        f"CASE WHEN e.include_personal_data AND c.id IS NOT NULL "
        f"THEN {obj}('id', c.id, 'external_id', c.external_id) END"
    )
    data = (
        f"{obj}('response_id', r.id, 'survey_id', r.survey_id, 'touchpoint_id', r.touchpoint_id, "
        f"'journey_id', r.journey_id, 'submitted_at', {d['timestamp']}, 'source', r.source, 'channel', r.channel, "
        f"'language', r.language, 'answers', {answers}, 'customer', {customer})"
    )
    id_params = [RESPONSE_EVENT_PREFIX] + ([d["id_format"]] if d["id_format"] else [])
    sql = (
        f"INSERT INTO {DELIVERY} "
        "(organization_id, endpoint_id, event_type, event_id, payload, next_attempt_at, created_at) "
        f"SELECT r.organization_id, e.id, %s, {d['event_id']}, {data}, %s, %s "
        f"FROM {RESPONSE} r JOIN {ENDPOINT} e ON e.organization_id = r.organization_id "
        f"LEFT JOIN {CUSTOMER} c ON c.id = r.customer_id "
        f"WHERE r.id {id_filter} AND e.id {endpoint_filter} "
        "ON CONFLICT (endpoint_id, event_id) DO NOTHING"
    )
    return sql, [EventType.RESPONSE_RECEIVED.value, *id_params, d["timestamp_format"]]


SQLITE_CHUNK = 500


def insert_response_deliveries(*, response_ids: list[int], endpoint_ids: list[int], now: dt.datetime) -> int:
    """Insert the response.received deliveries of these responses for these endpoints; the number inserted."""
    if not response_ids or not endpoint_ids:
        return 0
    vendor = connection.vendor
    stamp = connection.ops.adapt_datetimefield_value(now)
    inserted = 0
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            sql, params = _statement(vendor, "= ANY(%s)", "= ANY(%s)")
            cursor.execute(sql, [*params, stamp, stamp, list(response_ids), list(endpoint_ids)])
            return cursor.rowcount
        marks = ", ".join(["%s"] * len(endpoint_ids))
        for start in range(0, len(response_ids), SQLITE_CHUNK):
            chunk = response_ids[start : start + SQLITE_CHUNK]
            sql, params = _statement(vendor, f"IN ({', '.join(['%s'] * len(chunk))})", f"IN ({marks})")
            cursor.execute(sql, [*params, stamp, stamp, *chunk, *endpoint_ids])
            inserted += cursor.rowcount
    return inserted
