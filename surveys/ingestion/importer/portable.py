"""The portable path of the responses import: the same rules as the SQL path, applied in Python.

Used where COPY and the set-based SQL are not available (the SQLite demo). Rows are read with `imports.readers`,
checked by `RowChecker` (the rules of `rules.py`, in the order `sql.build_clean` lists its errors), and stored in
chunks: one transaction per chunk creates the chunk's new customers, skips responses whose idempotency key exists,
and bulk-creates responses and answers. Same file, same responses, same keys, same row errors as the SQL path.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from imports.models import ImportJob
from imports.readers import open_table
from imports.registry import ImportFileError
from journeys.models import Channel, Touchpoint
from surveys.ingestion.importer import rules
from surveys.ingestion.importer.plan import NONE, ROW, Group, Plan
from surveys.ingestion.importer.stage import checked_cells
from surveys.ingestion.validation import TEXT_MAX_LENGTH
from surveys.models import Answer, Question, Response

KNOWN_LANGUAGES = frozenset({code for code, _name in settings.LANGUAGES} | {"no", "nn", "fi", "de", "fr", "es"})
CHANNELS = frozenset(Channel.values)
KEY_QUERY_BATCH = 500  # ids per IN (...) list: well under SQLite's variable limit


@dataclass
class Row:
    number: int
    cells: list[str]
    errs: list[str]
    skip: bool
    cust_raw: str
    customer_id: int | None
    ts: dt.datetime | None
    submitted_on: dt.date | None
    touchpoint_id: int | None
    journey_id: int | None
    language: str
    channel: str
    rid_raw: str
    values: list[Any]
    keys: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errs and not self.skip


def touchpoint_lookup(org_id: int) -> dict[str, tuple[int, int | None, bool]]:
    """key (id as text, or lower-cased name) -> (id, journey id, ambiguous), as sql.build_touchpoint_lookup."""
    found: dict[str, list[tuple[int, int | None]]] = {}
    for pk, journey_id, name in Touchpoint.objects.filter(organization_id=org_id).values_list(
        "pk", "journey_id", "name"
    ):
        found.setdefault(str(pk), []).append((pk, journey_id))
        found.setdefault(rules.cell(name).lower(), []).append((pk, journey_id))
    return {
        key: (min(p for p, _j in hits), min((j for _p, j in hits if j is not None), default=None), len(hits) > 1)
        for key, hits in found.items()
    }


class RowChecker:
    """One file row -> a Row with its errors, values and touchpoint (see sql.build_clean for the same rules)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.zone = plan.zone
        self.touchpoints = touchpoint_lookup(plan.org_id)
        self.latest = timezone.now() + dt.timedelta(days=1)
        self.language_re = re.compile(rules.LANGUAGE_RE)
        label = plan.label
        cols = plan.columns
        self.m = {
            "tp": rules.labelled(label(cols["touchpoint"]), rules.msg_unknown_touchpoint()),
            "tp_amb": rules.labelled(label(cols["touchpoint"]), rules.msg_ambiguous_touchpoint()),
            "cust_long": rules.labelled(label(cols["customer"]), rules.msg_customer_id_too_long()),
            "cust": rules.labelled(label(cols["customer"]), rules.msg_unknown_customer()),
            "date_missing": rules.labelled(label(cols["submitted_at"]), rules.msg_date_missing()),
            "date": rules.labelled(label(cols["submitted_at"]), rules.msg_not_a_date(plan.date_format)),
            "future": rules.labelled(label(cols["submitted_at"]), rules.msg_future()),
            "lang": rules.labelled(label(cols["language"]), rules.msg_language()),
            "chan": rules.labelled(label(cols["channel"]), rules.msg_channel()),
            "rid": rules.labelled(label(cols["response_id"]), rules.msg_response_id_too_long()),
            "empty": rules.msg_no_answers(),
        }
        self.answer_checks = [self._answer_check(k) for k in range(len(plan.answers))]
        self.required = [self._required(k) for k in range(len(plan.answers))]
        self.column_order = plan.column_order

    def _answer_check(self, k: int) -> Callable[[str], tuple[Any, str | None]]:
        """(value, error) of one answer cell after its not-applicable codes."""
        a = self.plan.answers[k]
        name = self.plan.label(a.column)
        if a.is_score:
            template = rules.labelled(name, rules.msg_off_scale(a.low, a.high))

            def score(v: str) -> tuple[Any, str | None]:
                n = rules.parse_score(v)
                if n is None or not a.low <= n <= a.high:
                    return None, rules.fill_value(template, v)
                return float(n), None

            return score
        if a.is_yes_no:
            template = rules.labelled(name, rules.msg_not_yes_no(a.yes, a.no))
            yes, no = set(a.yes), set(a.no)

            def yes_no(v: str) -> tuple[Any, str | None]:
                low = v.lower()
                if low in yes:
                    return 1.0, None
                if low in no:
                    return 0.0, None
                return None, rules.fill_value(template, v)

            return yes_no
        if a.kind == Question.Kind.TEXT:
            too_long = rules.labelled(name, rules.msg_text_too_long(TEXT_MAX_LENGTH))
            return lambda v: (v, too_long if len(v) > TEXT_MAX_LENGTH else None)
        options, not_option = set(a.options), rules.labelled(name, rules.msg_not_an_option())
        return lambda v: (v, None if v in options else not_option)

    def _required(self, k: int) -> Callable[[list[str], list[str]], bool] | None:
        """As sql._required_condition: when answer k's empty cell is an error."""
        a = self.plan.answers[k]
        if not a.required:
            return None
        siblings = self.plan.group_answers(a.group)
        if a.parent_code is not None:
            parent = next((j for j, s in siblings if s.code == a.parent_code), None)
            if parent is None:
                return None
            return lambda r, v: r[k] == "" and v[parent] != ""
        others = [j for j, _s in siblings if j != k]
        if not others:
            return None
        return lambda r, v: r[k] == "" and any(v[j] != "" for j in others)

    def check(self, number: int, cells: list[str], bad: str, customers: dict[str, int]) -> Row:
        plan, cols, m = self.plan, self.plan.columns, self.m

        def cell(index: int | None) -> str:
            return rules.cell(cells[index]) if index is not None else ""

        tp_raw, cust_raw, rid_raw = cell(cols["touchpoint"]), cell(cols["customer"]), cell(cols["response_id"])
        date_raw = cell(cols["submitted_at"]) if cols["submitted_at"] is not None else plan.file_date or ""
        lang_raw, chan_raw = cell(cols["language"]).lower(), cell(cols["channel"]).lower()
        tp = self.touchpoints.get(tp_raw.lower()) if cols["touchpoint"] is not None and tp_raw else None
        customer_id = customers.get(cust_raw) if cust_raw else None
        raw = [cell(a.column) for a in plan.answers]
        blanked = ["" if a.na and r.lower() in a.na else r for a, r in zip(plan.answers, raw, strict=True)]
        ts = rules.parse_moment(date_raw, month_first=plan.month_first, tz=self.zone) if date_raw else None

        errs = [bad] if bad else []
        if tp_raw and tp is None:
            errs.append(m["tp"])
        if tp is not None and tp[2]:
            errs.append(m["tp_amb"])
        if len(cust_raw) > rules.CUSTOMER_ID_MAX:
            errs.append(m["cust_long"])
        elif not plan.create_customers and cust_raw and customer_id is None:
            errs.append(m["cust"])
        if date_raw == "":
            errs.append(m["date_missing"])
        elif ts is None:
            errs.append(m["date"])
        elif ts > self.latest:
            errs.append(m["future"])
        if lang_raw and lang_raw not in KNOWN_LANGUAGES and not self.language_re.match(lang_raw):
            errs.append(m["lang"])
        if chan_raw and chan_raw not in CHANNELS:
            errs.append(m["chan"])
        if len(rid_raw) > rules.RESPONSE_ID_MAX:
            errs.append(m["rid"])
        values: list[Any] = [None] * len(blanked)
        for k in self.column_order:
            v = blanked[k]
            value, error = self.answer_checks[k](v) if v != "" else (None, None)
            values[k] = value
            if error:
                errs.append(error)
            required = self.required[k]
            if required is not None and required(raw, blanked):
                errs.append(rules.labelled(plan.label(plan.answers[k].column), rules.msg_required()))
        if all(v == "" for v in blanked):
            errs.append(m["empty"])

        submitted_on = ts.astimezone(self.zone).date() if ts is not None else None
        skip = bool(
            (plan.date_from and (submitted_on is None or submitted_on < plan.date_from))
            or (plan.date_to and submitted_on is not None and submitted_on >= plan.date_to)
        )
        if tp_raw == "":
            touchpoint_id, journey_id = plan.default_touchpoint_id, plan.default_journey_id
        else:
            touchpoint_id, journey_id = (tp[0], tp[1]) if tp is not None else (None, None)
        return Row(
            number=number,
            cells=cells,
            errs=errs,
            skip=skip,
            cust_raw=cust_raw,
            customer_id=customer_id,
            ts=ts,
            submitted_on=submitted_on,
            touchpoint_id=touchpoint_id,
            journey_id=journey_id if journey_id is not None else plan.survey_journey_id,
            language=plan.default_language if lang_raw == "" else lang_raw,
            channel=chan_raw,
            rid_raw=rid_raw,
            values=values,
        )


def group_touchpoint(group: Group, row: Row) -> tuple[int | None, int | None]:
    if group.kind == ROW:
        return row.touchpoint_id, row.journey_id
    return group.touchpoint_id, group.journey_id


def group_present(plan: Plan, group: Group, row: Row) -> bool:
    return any(row.values[k] is not None for k, _a in plan.group_answers(group.index))


def group_key(plan: Plan, group: Group, row: Row) -> str:
    """The idempotency key of one group's response: as sql.key_sql computes it."""
    if row.rid_raw:
        return rules.external_key(row.rid_raw, group.suffix)
    ts_utc = rules.utc_text(row.ts)
    if group.kind == ROW:
        tp_text = str(row.touchpoint_id) if row.touchpoint_id is not None else ""
    elif group.kind == NONE:
        tp_text = ""
    else:
        tp_text = str(group.touchpoint_id)
    parts = [
        str(plan.survey_id),
        tp_text,
        str(row.customer_id) if row.customer_id is not None else "",
        ts_utc,
        row.language,
        row.channel,
    ]
    for k, answer in plan.group_answers(group.index):
        value = row.values[k]
        if value is None:
            text = ""
        elif answer.is_number:
            text = str(int(value))
        else:
            text = value
        parts.append(f"{answer.code}={text}")
    return rules.content_key(parts, ts_utc, group.suffix)


@dataclass
class Outcome:
    rows: int = 0  # data rows read so far
    created: int = 0
    responses: int = 0  # responses the valid rows stand for (created + already there)
    error_rows: int = 0
    skipped: int = 0
    how: str = ""


class ErrorSpool:
    """Rejected rows kept in a temporary file until the report is written (a file may have many)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)

    def add(self, row: Row) -> None:
        self.writer.writerow([row.number, rules.KEY_SEPARATOR.join(row.errs), *row.cells])

    def rows(self) -> Iterator[tuple[int, list[str], list[str]]]:
        self.file.seek(0)
        for number, errs, *cells in csv.reader(self.file):
            yield int(number), errs.split(rules.KEY_SEPARATOR), cells

    def close(self) -> None:
        self.file.close()


def run(
    job: ImportJob,
    plan: Plan,
    errors: ErrorSpool,
    *,
    chunk_rows: int,
    progress: Callable[[Outcome], None],
    after_chunk: Callable[[], None],
    start: Callable[[int, str], None],
) -> Outcome:
    """Read, check and store the whole file in chunks; rejected rows go to `errors`."""
    checker = RowChecker(plan)
    outcome = Outcome()
    width = len(plan.header)
    with job.file.open("rb") as fh, open_table(fh, job.original_name) as table:
        if len(table.header) != width:
            raise ImportFileError(_("The file's header changed since the columns were mapped."))
        outcome.how = table.describe()
        start(table.total or 0, outcome.how)
        chunk: list[tuple[int, list[str], str]] = []
        for number, cells in table.rows:
            cells, bad = checked_cells(cells, width)
            chunk.append((number, cells, bad))
            if len(chunk) >= chunk_rows:
                _store_chunk(plan, checker, chunk, outcome, errors)
                after_chunk()
                progress(outcome)
                chunk = []
        if chunk:
            _store_chunk(plan, checker, chunk, outcome, errors)
            after_chunk()
    return outcome


def _customers(plan: Plan, external_ids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ids = sorted(external_ids)
    for i in range(0, len(ids), KEY_QUERY_BATCH):
        batch = ids[i : i + KEY_QUERY_BATCH]
        found.update(
            Customer.objects.filter(organization_id=plan.org_id, external_id__in=batch).values_list("external_id", "pk")
        )
    return found


def _existing_keys(plan: Plan, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), KEY_QUERY_BATCH):
        batch = keys[i : i + KEY_QUERY_BATCH]
        found.update(
            Response.objects.filter(organization_id=plan.org_id, idempotency_key__in=batch).values_list(
                "idempotency_key", flat=True
            )
        )
    return found


def _store_chunk(
    plan: Plan, checker: RowChecker, chunk: list[tuple[int, list[str], str]], outcome: Outcome, errors: ErrorSpool
) -> None:
    column = plan.columns["customer"]
    wanted = {rules.cell(cells[column]) for _n, cells, _b in chunk} - {""} if column is not None else set()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                customers = _customers(plan, {e for e in wanted if len(e) <= rules.CUSTOMER_ID_MAX})
                rows = [checker.check(number, cells, bad, customers) for number, cells, bad in chunk]
                created = _store_rows(plan, rows)
            break
        except IntegrityError:
            if attempt == 2:
                raise  # another import stored the same responses twice in a row: let the job report it
    outcome.created += created
    outcome.rows += len(rows)
    for row in rows:
        if row.skip:
            outcome.skipped += 1
        elif row.errs:
            outcome.error_rows += 1
            errors.add(row)
        else:
            outcome.responses += sum(1 for g in plan.groups if group_present(plan, g, row))


def _create_customers(plan: Plan, rows: list[Row]) -> None:
    first: dict[str, Row] = {}
    for row in rows:
        if row.ok and row.customer_id is None and row.cust_raw:
            first.setdefault(row.cust_raw, row)
    if not first:
        return
    languages = {code for code, _name in settings.LANGUAGES}
    Customer.objects.bulk_create(
        [
            Customer(
                organization_id=plan.org_id,
                external_id=external_id,
                name="",
                language=row.language if row.language in languages else plan.customer_language,
            )
            for external_id, row in first.items()
        ],
        ignore_conflicts=True,
    )
    ids = _customers(plan, set(first))
    for row in rows:
        if row.ok and row.customer_id is None and row.cust_raw:
            row.customer_id = ids[row.cust_raw]


def _store_rows(plan: Plan, rows: list[Row]) -> int:
    """Store the chunk's new responses and their answers (inside the caller's transaction)."""
    if plan.create_customers:
        _create_customers(plan, rows)
    wanted: list[tuple[Row, Group, str]] = []
    for row in rows:
        if not row.ok:
            continue
        for group in plan.groups:
            if group_present(plan, group, row):
                wanted.append((row, group, group_key(plan, group, row)))
    existing = _existing_keys(plan, [key for _r, _g, key in wanted])
    responses: list[Response] = []
    made: list[tuple[Row, Group]] = []
    for row, group, key in wanted:
        if key in existing:
            continue
        existing.add(key)  # the same response twice in the file: the first one counts, as ON CONFLICT does
        touchpoint_id, journey_id = group_touchpoint(group, row)
        responses.append(
            Response(
                organization_id=plan.org_id,
                survey_id=plan.survey_id,
                version_id=plan.version_id,
                touchpoint_id=touchpoint_id,
                journey_id=journey_id,
                customer_id=row.customer_id,
                language=row.language,
                channel=row.channel,
                source=Response.Source.IMPORT,
                submitted_at=row.ts,
                idempotency_key=key,
            )
        )
        made.append((row, group))
    Response.objects.bulk_create(responses)
    answers = []
    for response, (row, group) in zip(responses, made, strict=True):
        for k, a in plan.group_answers(group.index):
            value = row.values[k]
            if value is None:
                continue
            answers.append(
                Answer(
                    organization_id=plan.org_id,
                    response_id=response.pk,
                    question_id=a.pk,
                    touchpoint_id=response.touchpoint_id,
                    submitted_on=row.submitted_on,
                    metric=a.metric,
                    value=value if a.is_number else None,
                    text=value if a.kind == Question.Kind.TEXT else "",
                    choices=[value] if a.kind == Question.Kind.SINGLE_CHOICE else [],
                    customer_id=row.customer_id,
                )
            )
    Answer.objects.bulk_create(answers)
    return len(responses)
