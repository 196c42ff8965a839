"""The SQL of the responses import: parse and check staged text rows, then insert valid rows in chunks.

Identifiers (temporary table names, `c<n>` columns) are generated here from integers; every value that comes from
the file, the mapping or the survey is a bound parameter. Hence the file-wide S608 exemption.
"""
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from journeys.models import Channel
from surveys.ingestion.importer.plan import (
    DATE_RE,
    DECIMAL_ZERO_RE,
    INT_RE,
    LANGUAGE_RE,
    RESPONSE_ID_MAX,
    SCORE_KIND_SET,
    Plan,
    Tables,
)
from surveys.ingestion.validation import TEXT_MAX_LENGTH
from surveys.models import Answer, Question, Response

# -- step 2: parse and check in SQL ------------------------------------------------------------------------------


def build_touchpoint_lookup(cursor, plan: Plan, tables: Tables) -> None:
    """key (id as text, or lower-cased name) -> touchpoint; a name shared by two touchpoints is ambiguous."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE {tables.touchpoints} AS
        SELECT key, min(id) AS id, min(journey_id) AS journey_id, count(*) > 1 AS ambiguous
        FROM (
            SELECT id::text AS key, id, journey_id FROM journeys_touchpoint WHERE organization_id = %(org)s
            UNION ALL
            SELECT lower(btrim(name)), id, journey_id FROM journeys_touchpoint WHERE organization_id = %(org)s
        ) keys
        GROUP BY key
        """,
        {"org": plan.org_id},
    )
    cursor.execute(f"ALTER TABLE {tables.touchpoints} ADD PRIMARY KEY (key)")


def _cell(index: int | None) -> str:
    return f"btrim(coalesce(s.c{index}, ''))" if index is not None else "''"


def build_clean(cursor, plan: Plan, tables: Tables) -> None:
    cols = plan.columns
    params: dict[str, Any] = {
        "org": plan.org_id,
        "tz": plan.tz,
        "survey": plan.survey_id,
        "survey_journey": plan.survey_journey_id,
        "default_tp": plan.default_touchpoint_id,
        "default_journey": plan.default_journey_id,
        "default_language": plan.default_language,
        "date_re": DATE_RE,
        "int_re": INT_RE,
        "decimal_zero_re": DECIMAL_ZERO_RE,
        "language_re": LANGUAGE_RE,
        "languages": sorted({code for code, _name in settings.LANGUAGES} | {"no", "nn", "fi", "de", "fr", "es"}),
        "channels": list(Channel.values),
        "text_max": TEXT_MAX_LENGTH,
        "rid_max": RESPONSE_ID_MAX,
    }

    def msg(key: str, column: int | None, text: str) -> str:
        params[key] = f"{plan.label(column)}: {text}" if column is not None else text
        return f"%({key})s"

    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Response._meta.db_table])
    params["sequence"] = cursor.fetchone()[0]
    tp_col, cust_col, date_col = cols.get("touchpoint"), cols.get("customer"), cols.get("submitted_at")
    lang_col, chan_col, rid_col = cols.get("language"), cols.get("channel"), cols.get("response_id")

    # Level 1: raw cells and joins. Each level is fenced with OFFSET 0 so an expression is computed once per row.
    raw = [
        "s.row_number AS row",
        "s.bad",
        f"{_cell(tp_col)} AS tp_raw",
        f"{_cell(cust_col)} AS cust_raw",
        f"{_cell(date_col)} AS date_raw",
        f"lower({_cell(lang_col)}) AS lang_raw",
        f"lower({_cell(chan_col)}) AS chan_raw",
        f"{_cell(rid_col)} AS rid_raw",
        "tp.id AS tp_id",
        "tp.journey_id AS tp_journey",
        "coalesce(tp.ambiguous, false) AS tp_ambiguous",
        "cu.id AS customer_id" if cust_col is not None else "NULL::bigint AS customer_id",
    ]
    for k, q in enumerate(plan.questions):
        raw.append(f"{_cell(q.column)} AS v{k}")
    customer_join = (
        f"LEFT JOIN customers_customer cu ON cu.organization_id = %(org)s AND cu.external_id = {_cell(cust_col)}"
        if cust_col is not None
        else ""
    )
    level1 = f"""
        SELECT {", ".join(raw)}
        FROM {tables.stage} s
        LEFT JOIN {tables.touchpoints} tp ON tp.key = lower({_cell(tp_col)})
        {customer_join}
        OFFSET 0
    """
    # Level 2: the date in ISO order (DD.MM.YYYY is turned around) and the scores as integers.
    parsed = [
        "l1.*",
        "CASE WHEN date_raw ~ '^\\d{2}\\.\\d{2}\\.\\d{4}' THEN substr(date_raw, 7, 4) || '-' || substr(date_raw, 4, 2) "
        "|| '-' || substr(date_raw, 1, 2) || substr(date_raw, 11) ELSE date_raw END AS nd",
    ]
    for k, q in enumerate(plan.questions):
        if q.kind in SCORE_KIND_SET:
            parsed.append(
                f"CASE WHEN v{k} = '' THEN NULL WHEN v{k} ~ %(int_re)s THEN v{k}::int "
                f"WHEN v{k} ~ %(decimal_zero_re)s THEN split_part(translate(v{k}, ',', '.'), '.', 1)::int END AS n{k}"
            )
    level2 = f"SELECT {', '.join(parsed)} FROM ({level1}) l1 OFFSET 0"
    # Level 3: is it a real moment? Each CASE branch only runs when the ones before it passed, so the casts are safe.
    date_ok = """
        CASE
            WHEN nd !~ %(date_re)s THEN false
            WHEN substr(nd, 1, 4)::int NOT BETWEEN 1900 AND 2100 OR substr(nd, 6, 2)::int NOT BETWEEN 1 AND 12
                THEN false
            WHEN substr(nd, 9, 2)::int NOT BETWEEN 1 AND extract(
                day FROM make_date(substr(nd, 1, 4)::int, substr(nd, 6, 2)::int, 1) + interval '1 month - 1 day')
                THEN false
            WHEN length(nd) > 10 AND (substr(nd, 12, 2)::int > 23 OR substr(nd, 15, 2)::int > 59
                OR (substr(nd, 17, 1) = ':' AND substr(nd, 18, 2)::int > 59)) THEN false
            WHEN length(nd) > 16 AND substr(nd, 17) ~ '[+-]'
                AND substring(substr(nd, 17) from '[+-]([0-9]{2})')::int > 14 THEN false
            ELSE true
        END
    """
    has_tz = "(length(nd) > 16 AND substr(nd, 17) ~ '[Z+-]')"
    level3a = f"SELECT l2.*, {date_ok} AS date_ok, {has_tz} AS has_tz FROM ({level2}) l2 OFFSET 0"
    ts = """
        CASE WHEN date_ok THEN
            CASE WHEN has_tz THEN nd::timestamptz ELSE nd::timestamp AT TIME ZONE %(tz)s END
        END
    """
    level3 = f"SELECT l3a.*, {ts} AS ts FROM ({level3a}) l3a OFFSET 0"

    errors = [
        "bad",
        f"CASE WHEN tp_raw <> '' AND tp_id IS NULL THEN {msg('e_tp', tp_col, _('Unknown touchpoint.'))} END",
        f"CASE WHEN tp_ambiguous THEN "
        f"{msg('e_tp_amb', tp_col, _('Several touchpoints have this name: use the id.'))} END",
        f"CASE WHEN cust_raw <> '' AND customer_id IS NULL THEN {msg('e_cust', cust_col, _('Unknown customer.'))} END",
        f"CASE WHEN date_raw = '' THEN {msg('e_date_missing', date_col, _('A date is required.'))} "
        f"WHEN ts IS NULL THEN {msg('e_date', date_col, _('Not a date (use YYYY-MM-DD or DD.MM.YYYY).'))} "
        f"WHEN ts > now() + interval '1 day' "
        f"THEN {msg('e_date_future', date_col, _('The date is in the future.'))} END",
        f"CASE WHEN lang_raw = '' OR lang_raw = ANY(%(languages)s::text[]) THEN NULL WHEN lang_raw !~ %(language_re)s "
        f"THEN {msg('e_lang', lang_col, _('Not a language code (e.g. sv, nb, da, en).'))} END",
        f"CASE WHEN chan_raw <> '' AND NOT (chan_raw = ANY(%(channels)s::text[])) "
        f"THEN {msg('e_chan', chan_col, _('Unknown channel.'))} END",
        f"CASE WHEN length(rid_raw) > %(rid_max)s THEN {msg('e_rid', rid_col, _('The id is too long.'))} END",
    ]
    codes = {q.code: k for k, q in enumerate(plan.questions)}
    for k, q in enumerate(plan.questions):
        if q.kind in SCORE_KIND_SET:
            params[f"low{k}"], params[f"high{k}"] = q.low, q.high
            text = _("Enter a whole number between %(low)s and %(high)s.") % {"low": q.low, "high": q.high}
            errors.append(
                f"CASE WHEN v{k} <> '' AND (n{k} IS NULL OR n{k} NOT BETWEEN %(low{k})s AND %(high{k})s) "
                f"THEN {msg(f'e_v{k}', q.column, text)} END"
            )
        elif q.kind == Question.Kind.TEXT:
            text = _("Keep it under %(max)s characters.") % {"max": TEXT_MAX_LENGTH}
            errors.append(f"CASE WHEN length(v{k}) > %(text_max)s THEN {msg(f'e_v{k}', q.column, text)} END")
        else:
            params[f"options{k}"] = list(q.options)
            errors.append(
                f"CASE WHEN v{k} <> '' AND NOT (v{k} = ANY(%(options{k})s::text[])) "
                f"THEN {msg(f'e_v{k}', q.column, _('Choose one of the options.'))} END"
            )
        if q.required:
            parent = codes.get(q.parent_code) if q.parent_code else None
            if q.parent_code is None or parent is not None:
                condition = f"v{k} = ''" + (f" AND v{parent} <> ''" if parent is not None else "")
                errors.append(
                    f"CASE WHEN {condition} THEN {msg(f'e_req{k}', q.column, _('This question is required.'))} END"
                )
    all_blank = " AND ".join(f"v{k} = ''" for k in range(len(plan.questions)))
    errors.append(f"CASE WHEN {all_blank} THEN {msg('e_empty', None, _('The row has no answers.'))} END")
    level4 = f"SELECT l3.*, array_remove(ARRAY[{', '.join(errors)}]::text[], NULL) AS errs FROM ({level3}) l3 OFFSET 0"

    answer_parts = []
    for k, q in enumerate(plan.questions):
        value = f"n{k}::text" if q.kind in SCORE_KIND_SET else f"v{k}"
        params[f"code{k}"] = f"{q.code}="
        answer_parts.append(f"%(code{k})s || coalesce({value}, '')")
    # The key starts with the time so that a time-ordered file fills the unique index in order (far fewer page
    # misses than random hashes); the hash of the whole content makes it unique.
    key_content = ", ".join(
        [
            "%(survey)s::text",
            "coalesce(touchpoint_id::text, '')",
            "coalesce(customer_id::text, '')",
            "ts_utc",
            "language",
            "channel",
            *answer_parts,
        ]
    )
    answer_columns = []
    for k, q in enumerate(plan.questions):
        if q.kind in SCORE_KIND_SET:
            answer_columns.append(f"CASE WHEN v{k} <> '' THEN n{k}::float8 END AS a{k}")
        else:
            answer_columns.append(f"nullif(v{k}, '') AS a{k}")
    level5 = f"""
        SELECT l4.*,
            CASE WHEN tp_raw = '' THEN %(default_tp)s::bigint ELSE tp_id END AS touchpoint_id,
            coalesce(CASE WHEN tp_raw = '' THEN %(default_journey)s::bigint ELSE tp_journey END,
                     %(survey_journey)s::bigint) AS journey_id,
            CASE WHEN lang_raw = '' THEN %(default_language)s ELSE lang_raw END AS language,
            chan_raw AS channel,
            to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts_utc
        FROM ({level4}) l4 OFFSET 0
    """
    cursor.execute(
        f"""
        CREATE TEMP TABLE {tables.clean} AS
        SELECT row, errs,
            CASE WHEN cardinality(errs) = 0
                THEN nextval(%(sequence)s::regclass) END AS rid,
            touchpoint_id, journey_id, customer_id, ts, (ts AT TIME ZONE %(tz)s)::date AS submitted_on,
            language, channel,
            CASE WHEN rid_raw <> '' THEN 'ext:' || rid_raw
                 ELSE 'imp:' || left(ts_utc, 19) || ':' || md5(concat_ws(chr(31), {key_content})) END AS key,
            {", ".join(answer_columns)}
        FROM ({level5}) l5
        """,
        params,
    )
    cursor.execute(f"CREATE INDEX ON {tables.clean} (row)")
    cursor.execute(f"ANALYZE {tables.clean}")


# -- step 3: insert in chunks ------------------------------------------------------------------------------------


def can_check_references_per_chunk(cursor) -> bool:
    """Whether this connection may switch off per-row foreign-key triggers (superuser, or on PostgreSQL 15+
    `GRANT SET ON PARAMETER session_replication_role TO <app user>`)."""
    if not getattr(settings, "SURVEYS_IMPORT_SET_BASED_FK_CHECKS", True):
        return False
    try:
        with transaction.atomic():
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        return bool(row and row[0])


def _lock_references(cursor, plan: Plan, tables: Tables, params: dict[str, Any]) -> bool:
    """Take the locks the foreign-key triggers would take (FOR KEY SHARE), once per chunk instead of once per row
    and key; True if every referenced row exists, so the per-row triggers can be skipped for this transaction."""
    chunk = f"FROM {tables.clean} WHERE rid IS NOT NULL AND row >= %(lo)s AND row < %(hi)s"
    params["questions"] = [q.pk for q in plan.questions]
    checks = [
        ("accounts_organization", "SELECT %(org)s::bigint"),
        ("surveys_survey", "SELECT %(survey)s::bigint"),
        ("surveys_surveyversion", "SELECT %(version)s::bigint"),
        ("surveys_question", "SELECT unnest(%(questions)s::bigint[])"),
        ("journeys_touchpoint", f"SELECT DISTINCT touchpoint_id {chunk} AND touchpoint_id IS NOT NULL"),
        ("journeys_journey", f"SELECT DISTINCT journey_id {chunk} AND journey_id IS NOT NULL"),
        ("customers_customer", f"SELECT DISTINCT customer_id {chunk} AND customer_id IS NOT NULL"),
    ]
    for table, ids in checks:
        cursor.execute(
            f"""
            WITH wanted AS ({ids}),
            locked AS (SELECT id FROM {table} WHERE id IN (SELECT * FROM wanted) FOR KEY SHARE)
            SELECT (SELECT count(*) FROM wanted) = (SELECT count(*) FROM locked)
            """,
            params,
        )
        if not cursor.fetchone()[0]:
            return False
    return True


def insert_chunk(
    cursor, plan: Plan, tables: Tables, start: int, end: int, *, set_based_references: bool = False
) -> int:
    """Insert one chunk of valid rows (inside the caller's transaction); return how many responses were new.

    With `set_based_references`, the referenced rows are locked and checked once for the chunk and the per-row
    foreign-key triggers are skipped for this transaction (they are most of the cost of a bulk insert); every
    reference was already resolved within the organization by the check phase.
    """
    params = {"org": plan.org_id, "survey": plan.survey_id, "version": plan.version_id, "lo": start, "hi": end}
    cursor.execute(f"TRUNCATE {tables.inserted}")
    if not (set_based_references and _lock_references(cursor, plan, tables, params)):
        return _insert_rows(cursor, plan, tables, params)
    cursor.execute("SET LOCAL session_replication_role = replica")
    created = _insert_rows(cursor, plan, tables, params)
    # Back on before anything else runs in this transaction (an error rolls the setting back by itself).
    cursor.execute("SET LOCAL session_replication_role = origin")
    return created


def _insert_rows(cursor, plan: Plan, tables: Tables, params: dict[str, Any]) -> int:
    cursor.execute(
        f"""
        WITH ins AS (
            INSERT INTO {Response._meta.db_table} (
                id, organization_id, survey_id, version_id, touchpoint_id, journey_id, customer_id, language,
                channel, source, submitted_at, idempotency_key, created_at
            )
            SELECT rid, %(org)s, %(survey)s, %(version)s, touchpoint_id, journey_id, customer_id, language,
                channel, 'import', ts, key, now()
            FROM {tables.clean}
            WHERE rid IS NOT NULL AND row >= %(lo)s AND row < %(hi)s
            ORDER BY row
            ON CONFLICT (organization_id, idempotency_key) DO NOTHING
            RETURNING id
        )
        INSERT INTO {tables.inserted} (id) SELECT id FROM ins
        """,
        params,
    )
    created = cursor.rowcount
    if not created:
        return 0
    values = []
    for k, q in enumerate(plan.questions):
        params[f"q{k}"], params[f"m{k}"] = q.pk, q.metric
        if q.kind in SCORE_KIND_SET:
            values.append(f"(%(q{k})s::bigint, %(m{k})s, c.a{k}, '', '[]'::jsonb, c.a{k} IS NOT NULL)")
        elif q.kind == Question.Kind.TEXT:
            values.append(f"(%(q{k})s::bigint, '', NULL::float8, c.a{k}, '[]'::jsonb, c.a{k} IS NOT NULL)")
        else:
            values.append(f"(%(q{k})s::bigint, '', NULL::float8, '', jsonb_build_array(c.a{k}), c.a{k} IS NOT NULL)")
    cursor.execute(
        f"""
        INSERT INTO {Answer._meta.db_table} (
            organization_id, response_id, question_id, touchpoint_id, submitted_on, metric, value, text, choices,
            customer_id
        )
        SELECT %(org)s, c.rid, a.question_id, c.touchpoint_id, c.submitted_on, a.metric, a.value, a.text, a.choices,
            c.customer_id
        FROM {tables.clean} c
        JOIN {tables.inserted} i ON i.id = c.rid
        CROSS JOIN LATERAL (VALUES {", ".join(values)}) AS a(question_id, metric, value, text, choices, present)
        WHERE c.row >= %(lo)s AND c.row < %(hi)s AND a.present
        """,
        params,
    )
    return created


def row_range(cursor, tables: Tables) -> tuple[int, int]:
    """Create the per-chunk table of inserted ids; return [first, last) row numbers to walk in chunks."""
    cursor.execute(f"CREATE TEMP TABLE {tables.inserted} (id bigint PRIMARY KEY)")
    cursor.execute(f"SELECT min(row), max(row) FROM {tables.clean}")
    low, high = cursor.fetchone()
    return (low, high + 1) if low is not None else (2, 2)


def outcome_counts(cursor, tables: Tables) -> tuple[int, int]:
    """(valid rows, rows with errors)."""
    cursor.execute(
        f"SELECT count(*) FILTER (WHERE rid IS NOT NULL), count(*) FILTER (WHERE rid IS NULL) FROM {tables.clean}"
    )
    return cursor.fetchone()


def error_rows_sql(plan: Plan, tables: Tables) -> str:
    """Rejected rows as they were in the file: (row number, errors, cell 0, cell 1, ...)."""
    cells = ", ".join(f"s.c{i}" for i in range(len(plan.header)))
    return (
        f"SELECT c.row, c.errs, {cells} FROM {tables.clean} c "
        f"JOIN {tables.stage} s ON s.row_number = c.row WHERE c.rid IS NULL ORDER BY c.row"
    )
