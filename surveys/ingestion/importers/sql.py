"""The SQL of the responses import: parse and check staged text rows, then insert valid rows in chunks.

Identifiers (temporary table names, `c<n>` columns) are generated here from integers; every value that comes from
the file, the mapping or the survey is a bound parameter. Hence the file-wide S608 exemption. The checks come from
the table in `rule_table.py` and the parsing rules' SQL twins in `rules.py`; the portable path runs the same table in
Python.
"""
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from customers.models import Customer
from surveys.ingestion.importers import rule_table, rules
from surveys.ingestion.importers.plan import NONE, ROW, Group, Plan, Tables
from surveys.models import Answer, Question, Response

UTC_TEXT = "to_char({ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"

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


class _Params(dict):
    """Bound parameters with generated names."""

    def add(self, name: str, value: Any, cast: str = "") -> str:
        self[name] = value
        return f"%({name})s{cast}"


def _group_tp(group: Group, params: _Params, prefix: str) -> tuple[str, str]:
    """(touchpoint, journey) SQL of a group's responses."""
    if group.kind == ROW:
        return f"{prefix}touchpoint_id", f"{prefix}journey_id"
    if group.kind == NONE:
        return "NULL::bigint", params.add("survey_journey", group.journey_id, "::bigint")
    tp = params.add(f"g{group.index}_tp", group.touchpoint_id, "::bigint")
    return tp, params.add(f"g{group.index}_jr", group.journey_id, "::bigint")


def key_sql(plan: Plan, group: Group, params: _Params, *, col: Callable[[str], str], customer: str, ts_utc: str) -> str:
    """The idempotency key of a group's response (see rules.external_key / rules.content_key)."""
    suffix = params.add(f"g{group.index}_suffix", group.suffix)
    rid = col("rid_raw")
    external = (
        f"CASE WHEN 4 + length({rid}) + length({suffix}) > {rules.KEY_MAX} THEN 'exh:' || md5({rid}) || {suffix} "
        f"ELSE 'ext:' || {rid} || {suffix} END"
    )
    if group.kind == ROW:
        tp_text = f"coalesce({col('touchpoint_id')}::text, '')"
    elif group.kind == NONE:
        tp_text = "''"
    else:
        tp_text = params.add(f"g{group.index}_tp_text", str(group.touchpoint_id))
    parts = [
        params.add("survey_text", str(plan.survey_id)),
        tp_text,
        f"coalesce({customer}::text, '')",
        ts_utc,
        col("language"),
        col("channel"),
    ]
    for k, answer in plan.group_answers(group.index):
        value = f"{col(f'a{k}')}::int::text" if answer.is_number else col(f"a{k}")
        parts.append(f"{params.add(f'code{k}', answer.code + '=')} || coalesce({value}, '')")
    content = f"'imp:' || left({ts_utc}, 19) || ':' || md5(concat_ws(chr(31), {', '.join(parts)})) || {suffix}"
    return f"CASE WHEN {rid} <> '' THEN {external} ELSE {content} END"


def build_clean(cursor, plan: Plan, tables: Tables) -> None:
    """Parse and check every staged row into the clean table (the checks of rule_table.py, as SQL); number the
    responses of the valid rows and compute their idempotency keys."""
    p = _Params(
        rules.check_params(plan),
        org=plan.org_id,
        default_tp=plan.default_touchpoint_id,
        default_journey=plan.default_journey_id,
        survey_journey=plan.survey_journey_id,
        default_language=plan.default_language,
    )
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Response._meta.db_table])
    p["sequence"] = cursor.fetchone()[0]
    n = len(plan.answers)
    level6 = (
        f"SELECT l5.*, cardinality(errs) = 0 AND NOT skip AS ok FROM ({_checked_rows(plan, tables, p)}) l5 OFFSET 0"
    )
    group_cols = []
    for group in plan.groups:
        present = " OR ".join(f"a{k} IS NOT NULL" for k, _a in plan.group_answers(group.index))
        group_cols.append(f"CASE WHEN ok AND ({present}) THEN nextval(%(sequence)s::regclass) END AS rid{group.index}")
        key = key_sql(plan, group, p, col=lambda name: name, customer="customer_id", ts_utc="ts_utc")
        group_cols.append(f"CASE WHEN ok THEN {key} END AS key{group.index}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {tables.clean} AS
        SELECT row, errs, skip, ok, cust_raw, customer_id, touchpoint_id, journey_id, ts, submitted_on, language,
            channel, rid_raw, {", ".join(f"a{k}" for k in range(n))}, {", ".join(group_cols)}
        FROM ({level6}) l6
        """,
        p,
    )
    cursor.execute(f"CREATE INDEX ON {tables.clean} (row)")
    cursor.execute(f"ANALYZE {tables.clean}")


def _cells_sql(plan: Plan, tables: Tables, p: _Params) -> str:
    """Level 1: the row's trimmed cells and look-ups, as the columns rule_table.Cells names (r<k>: answer cells)."""
    cols = plan.columns
    tp_col, cust_col, date_col = cols["touchpoint"], cols["customer"], cols["submitted_at"]
    date_cell = _cell(date_col) if date_col is not None else p.add("file_date", plan.file_date or "")
    raw = [
        "s.row_number AS row",
        "s.bad",
        f"{_cell(tp_col)} AS tp_raw",
        f"{_cell(cust_col)} AS cust_raw",
        f"{date_cell} AS date_raw",
        f"lower({_cell(cols['language'])}) AS lang_raw",
        f"lower({_cell(cols['channel'])}) AS chan_raw",
        f"{_cell(cols['response_id'])} AS rid_raw",
    ]
    joins = ""
    if tp_col is not None:
        raw += ["tp.id AS tp_id", "tp.journey_id AS tp_journey", "coalesce(tp.ambiguous, false) AS tp_ambiguous"]
        joins += f" LEFT JOIN {tables.touchpoints} tp ON tp.key = lower({_cell(tp_col)})"
    else:
        raw += ["NULL::bigint AS tp_id", "NULL::bigint AS tp_journey", "false AS tp_ambiguous"]
    if cust_col is not None:
        raw.append("cu.id AS customer_id")
        # An empty cell is no customer, even if some customer has an empty external id.
        joins += (
            f" LEFT JOIN customers_customer cu ON cu.organization_id = %(org)s "
            f"AND cu.external_id = {_cell(cust_col)} AND {_cell(cust_col)} <> ''"
        )
    else:
        raw.append("NULL::bigint AS customer_id")
    raw += [f"{_cell(a.column)} AS r{k}" for k, a in enumerate(plan.answers)]
    # Each level is fenced with OFFSET 0 so an expression is computed once per row.
    return f"SELECT {', '.join(raw)} FROM {tables.stage} s {joins} OFFSET 0"


def _parsed_sql(plan: Plan, tables: Tables, p: _Params) -> str:
    """Levels 2-4: the date in ISO order (nd) and the moment (ts); the answer cells with their not-applicable codes
    blanked (v<k>) and parsed by their rule (n<k>: NULL if unreadable)."""
    blanked = []
    for k, a in enumerate(plan.answers):
        if a.na:
            blanked.append(f"CASE WHEN lower(r{k}) = ANY({p.add(f'na{k}', list(a.na))}::text[]) THEN '' ELSE r{k} END")
        else:
            blanked.append(f"r{k}")
    level2_cols = ["l1.*", f"{rules.NORMALISE_DATE_SQL.format(raw='date_raw')} AS nd"]
    level2_cols += [f"{sql} AS v{k}" for k, sql in enumerate(blanked)]
    level2 = f"SELECT {', '.join(level2_cols)} FROM ({_cells_sql(plan, tables, p)}) l1 OFFSET 0"
    level3_cols = ["l2.*", f"{rules.DATE_OK_SQL} AS date_ok", f"({rules.HAS_TZ_SQL}) AS has_tz"]
    for k, a in enumerate(plan.answers):
        parsed = a.rule.parse_sql(a, f"v{k}", _binder(p, k))
        level3_cols.append(f"CASE WHEN v{k} = '' THEN NULL ELSE {parsed} END AS n{k}")
    level3 = f"SELECT {', '.join(level3_cols)} FROM ({level2}) l2 OFFSET 0"
    return f"SELECT l3.*, {rules.MOMENT_SQL} AS ts FROM ({level3}) l3 OFFSET 0"


def _checked_rows(plan: Plan, tables: Tables, p: _Params) -> str:
    """Level 5: the row's errors, whether it is left to another job's date range, its values and targets."""
    skip = []
    if plan.date_from:
        skip.append(f"ts IS NULL OR (ts AT TIME ZONE %(tz)s)::date < {p.add('date_from', plan.date_from)}")
    if plan.date_to:
        skip.append(f"ts IS NOT NULL AND (ts AT TIME ZONE %(tz)s)::date >= {p.add('date_to', plan.date_to)}")
    skip_sql = " OR ".join(f"({s})" for s in skip) if skip else "false"
    values = [f"n{k}{'::float8' if a.is_number else ''} AS a{k}" for k, a in enumerate(plan.answers)]
    return f"""
        SELECT row, cust_raw, customer_id, ts, rid_raw,
            array_remove(ARRAY[{", ".join(_errors(plan, p))}]::text[], NULL) AS errs,
            ({skip_sql}) AS skip,
            (ts AT TIME ZONE %(tz)s)::date AS submitted_on,
            CASE WHEN tp_raw = '' THEN %(default_tp)s::bigint ELSE tp_id END AS touchpoint_id,
            coalesce(CASE WHEN tp_raw = '' THEN %(default_journey)s::bigint ELSE tp_journey END,
                     %(survey_journey)s::bigint) AS journey_id,
            CASE WHEN lang_raw = '' THEN %(default_language)s ELSE lang_raw END AS language,
            chan_raw AS channel,
            {UTC_TEXT.format(ts="ts")} AS ts_utc,
            {", ".join(values)}
        FROM ({_parsed_sql(plan, tables, p)}) l4 OFFSET 0
    """


def _errors(plan: Plan, p: _Params) -> list[str]:
    """The row's error messages as CASE expressions, in the order of rule_table.py (portable.RowChecker's order)."""
    errors = ["bad"]
    errors += [
        f"CASE WHEN {check.sql} THEN {p.add('e_' + check.code, text)} END"
        for check, text in rule_table.row_checks(plan)
    ]
    for k in plan.column_order:
        a = plan.answers[k]
        name = plan.label(a.column)
        accepted = a.rule.accept_sql(a, f"n{k}", _binder(p, k))
        message = _message_sql(p, f"e_{a.rule.code}{k}", rules.labelled(name, a.rule.message(a)), f"v{k}")
        errors.append(f"CASE WHEN v{k} <> '' AND (n{k} IS NULL OR NOT ({accepted})) THEN {message} END")
        if required := rule_table.required_by(plan, k):
            filled = " OR ".join(f"v{j} <> ''" for j in required)
            required_message = p.add(f"e_req{k}", rules.labelled(name, rules.msg_required()))
            errors.append(f"CASE WHEN r{k} = '' AND ({filled}) THEN {required_message} END")
    all_blank = " AND ".join(f"v{k} = ''" for k in range(len(plan.answers)))
    errors.append(f"CASE WHEN {all_blank} THEN {p.add('e_empty', rules.msg_no_answers())} END")
    return errors


def _binder(p: _Params, k: int) -> rule_table.Bind:
    return lambda name, value: p.add(f"{name}{k}", value)


def _message_sql(p: _Params, name: str, template: str, value_sql: str) -> str:
    """A message; where the template has %(value)s, the cell's value spliced in (cut as rules.fill_value cuts it)."""
    if "%(value)s" not in template:
        return p.add(name, template)
    before, after = rules.split_template(template)
    first, last = p.add(name + "_a", before), p.add(name + "_b", after)
    return f"({first} || left({value_sql}, {rules.VALUE_SHOWN_MAX}) || {last})"


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


def _chunk_params(plan: Plan, start: int, end: int) -> _Params:
    return _Params(org=plan.org_id, survey=plan.survey_id, version=plan.version_id, lo=start, hi=end)


def create_customers(cursor, plan: Plan, tables: Tables, start: int, end: int) -> int:
    """Create the chunk's unknown customers (external id only) and point its rows and keys at them."""
    if not plan.create_customers or plan.columns.get("customer") is None:
        return 0
    p = _chunk_params(plan, start, end)
    p.update(
        languages=[code for code, _name in settings.LANGUAGES],
        customer_language=plan.customer_language,
        may_survey=Customer._meta.get_field("may_survey").default,
        may_contact=Customer._meta.get_field("may_contact").default,
    )
    cursor.execute(
        f"""
        INSERT INTO {Customer._meta.db_table} (organization_id, external_id, name, email, phone, language, country,
            segment, persona_id, may_survey, may_contact, created_at, updated_at)
        SELECT DISTINCT ON (cust_raw) %(org)s, cust_raw, '', '', '',
            CASE WHEN language = ANY(%(languages)s::text[]) THEN language ELSE %(customer_language)s END,
            '', '', NULL, %(may_survey)s, %(may_contact)s, now(), now()
        FROM {tables.clean}
        WHERE ok AND customer_id IS NULL AND cust_raw <> '' AND row >= %(lo)s AND row < %(hi)s
        ORDER BY cust_raw, row
        ON CONFLICT (organization_id, external_id) DO NOTHING
        """,
        p,
    )
    created = cursor.rowcount
    keys = ", ".join(
        f"key{g.index} = "
        + key_sql(plan, g, p, col=lambda name: f"c.{name}", customer="cu.id", ts_utc=UTC_TEXT.format(ts="c.ts"))
        for g in plan.groups
    )
    cursor.execute(
        f"""
        UPDATE {tables.clean} c SET customer_id = cu.id, {keys}
        FROM {Customer._meta.db_table} cu
        WHERE c.ok AND c.customer_id IS NULL AND c.cust_raw <> '' AND c.row >= %(lo)s AND c.row < %(hi)s
            AND cu.organization_id = %(org)s AND cu.external_id = c.cust_raw
        """,
        p,
    )
    return created


def _lock_references(cursor, plan: Plan, tables: Tables, params: dict[str, Any]) -> bool:
    """Take the locks the foreign-key triggers would take (FOR KEY SHARE), once per chunk instead of once per row
    and key; True if every referenced row exists, so the per-row triggers can be skipped for this transaction."""
    chunk = f"FROM {tables.clean} WHERE ok AND row >= %(lo)s AND row < %(hi)s"
    params["questions"] = [a.pk for a in plan.answers]
    params["fixed_tps"] = [g.touchpoint_id for g in plan.groups if g.touchpoint_id is not None]
    params["fixed_journeys"] = [g.journey_id for g in plan.groups if g.kind != ROW and g.journey_id is not None]
    row_group = next((g for g in plan.groups if g.kind == ROW), None)
    row_tps = row_journeys = ""
    if row_group is not None:
        row_rid = f"rid{row_group.index}"
        row_tps = f"SELECT touchpoint_id {chunk} AND {row_rid} IS NOT NULL AND touchpoint_id IS NOT NULL UNION "
        row_journeys = f"SELECT journey_id {chunk} AND {row_rid} IS NOT NULL AND journey_id IS NOT NULL UNION "
    checks = [
        ("accounts_organization", "SELECT %(org)s::bigint"),
        ("surveys_survey", "SELECT %(survey)s::bigint"),
        ("surveys_surveyversion", "SELECT %(version)s::bigint"),
        ("surveys_question", "SELECT unnest(%(questions)s::bigint[])"),
        ("journeys_touchpoint", f"{row_tps}SELECT unnest(%(fixed_tps)s::bigint[])"),
        ("journeys_journey", f"{row_journeys}SELECT unnest(%(fixed_journeys)s::bigint[])"),
        ("customers_customer", f"SELECT DISTINCT customer_id {chunk} AND customer_id IS NOT NULL"),
    ]
    for table, ids in checks:
        cursor.execute(
            f"""
            WITH wanted AS (SELECT DISTINCT id FROM ({ids}) w(id)),
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
    create_customers(cursor, plan, tables, start, end)
    params = _chunk_params(plan, start, end)
    cursor.execute(f"TRUNCATE {tables.inserted}")
    if not (set_based_references and _lock_references(cursor, plan, tables, params)):
        return _insert_rows(cursor, plan, tables, params)
    cursor.execute("SET LOCAL session_replication_role = replica")
    created = _insert_rows(cursor, plan, tables, params)
    # Back on before anything else runs in this transaction (an error rolls the setting back by itself).
    cursor.execute("SET LOCAL session_replication_role = origin")
    return created


def _insert_rows(cursor, plan: Plan, tables: Tables, params: _Params) -> int:
    groups = []
    for g in plan.groups:
        tp, jr = _group_tp(g, params, "c.")
        groups.append(f"(c.rid{g.index}, {tp}, {jr}, c.key{g.index})")
    cursor.execute(
        f"""
        WITH ins AS (
            INSERT INTO {Response._meta.db_table} (
                id, organization_id, survey_id, version_id, touchpoint_id, journey_id, customer_id, language,
                channel, source, submitted_at, idempotency_key, created_at
            )
            SELECT g.rid, %(org)s, %(survey)s, %(version)s, g.tp, g.jr, c.customer_id, c.language,
                c.channel, 'import', c.ts, g.key, now()
            FROM {tables.clean} c
            CROSS JOIN LATERAL (VALUES {", ".join(groups)}) AS g(rid, tp, jr, key)
            WHERE c.ok AND c.row >= %(lo)s AND c.row < %(hi)s AND g.rid IS NOT NULL
            ORDER BY c.row
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
    for k, a in enumerate(plan.answers):
        group = plan.groups[a.group]
        tp, _jr = _group_tp(group, params, "c.")
        head = f"c.rid{group.index}, {tp}, {params.add(f'q{k}', a.pk)}::bigint, {params.add(f'm{k}', a.metric)}"
        if a.is_number:
            values.append(f"({head}, c.a{k}, '', '[]'::jsonb, c.a{k} IS NOT NULL)")
        elif a.kind == Question.Kind.TEXT:
            values.append(f"({head}, NULL::float8, c.a{k}, '[]'::jsonb, c.a{k} IS NOT NULL)")
        else:
            values.append(f"({head}, NULL::float8, '', jsonb_build_array(c.a{k}), c.a{k} IS NOT NULL)")
    cursor.execute(
        f"""
        INSERT INTO {Answer._meta.db_table} (
            organization_id, response_id, question_id, touchpoint_id, submitted_on, metric, value, text, choices,
            customer_id
        )
        SELECT %(org)s, a.rid, a.question_id, a.tp, c.submitted_on, a.metric, a.value, a.text, a.choices,
            c.customer_id
        FROM {tables.clean} c
        CROSS JOIN LATERAL (VALUES {", ".join(values)})
            AS a(rid, tp, question_id, metric, value, text, choices, present)
        JOIN {tables.inserted} i ON i.id = a.rid
        WHERE c.ok AND c.row >= %(lo)s AND c.row < %(hi)s AND a.present
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


def outcome_counts(cursor, plan: Plan, tables: Tables) -> tuple[int, int, int]:
    """(responses the valid rows stand for, rows with errors, rows left to another job's date range)."""
    responses = " + ".join(f"count(rid{g.index})" for g in plan.groups)
    cursor.execute(
        f"SELECT {responses}, count(*) FILTER (WHERE NOT ok AND NOT skip), count(*) FILTER (WHERE skip) "
        f"FROM {tables.clean}"
    )
    return cursor.fetchone()


def error_rows_sql(plan: Plan, tables: Tables) -> str:
    """Rejected rows as they were in the file: (row number, errors, cell 0, cell 1, ...)."""
    cells = ", ".join(f"s.c{i}" for i in range(len(plan.header)))
    return (
        f"SELECT c.row, c.errs, {cells} FROM {tables.clean} c "
        f"JOIN {tables.stage} s ON s.row_number = c.row WHERE NOT c.ok AND NOT c.skip ORDER BY c.row"
    )
