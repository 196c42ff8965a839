"""The portable path of the responses import: the same rules as the SQL path, applied in Python.

Used where COPY and the set-based SQL are not available (the SQLite demo). Rows are read with `imports.readers`,
checked by `RowChecker` (the table of `rule_table.py`, whose SQL twins `sql.build_clean` runs), and stored in
chunks: one transaction per chunk creates the chunk's new customers, skips responses whose idempotency key exists,
and bulk-creates responses and answers. Same file, same responses, same keys, same row errors as the SQL path.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from journeys.models import Touchpoint
from surveys.ingestion.importers import rule_table, rules
from surveys.ingestion.importers.plan import NONE, ROW, Group, Plan, PlannedAnswer
from surveys.ingestion.importers.stage import checked_cells
from surveys.models import Answer, Question, Response

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


Hit = tuple[int, int | None, bool]  # a touchpoint look-up: (id, journey id, ambiguous)


def touchpoint_lookup(org_id: int) -> dict[str, Hit]:
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


@dataclass(frozen=True)
class AnswerCheck:
    """One answer column's checks (rule_table.ANSWER_RULES and rule_table.required_by) with their labelled messages."""

    k: int
    answer: PlannedAnswer
    message: str  # may hold %(value)s
    required_by: list[int]
    required: str


class RowChecker:
    """One file row -> a Row with its errors, values and touchpoint: the checks of rule_table.py, in Python (sql.py's
    build_clean runs the same table in SQL)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.zone = plan.zone
        self.params = rules.check_params(plan)
        self.touchpoints = touchpoint_lookup(plan.org_id)
        self.now = timezone.now()
        self.row_checks = rule_table.row_checks(plan)
        self.answer_checks = [self._answer_check(k) for k in plan.column_order]
        self.no_answers = rules.msg_no_answers()

    def _answer_check(self, k: int) -> AnswerCheck:
        a = self.plan.answers[k]
        name = self.plan.label(a.column)
        return AnswerCheck(
            k=k,
            answer=a,
            message=rules.labelled(name, a.rule.message(a)),
            required_by=rule_table.required_by(self.plan, k),
            required=rules.labelled(name, rules.msg_required()),
        )

    def check(self, number: int, cells: list[str], bad: str, customers: dict[str, int]) -> Row:
        plan, cols = self.plan, self.plan.columns

        def cell(index: int | None) -> str:
            return rules.cell(cells[index]) if index is not None else ""

        tp_raw, cust_raw = cell(cols["touchpoint"]), cell(cols["customer"])
        date_raw = cell(cols["submitted_at"]) if cols["submitted_at"] is not None else plan.file_date or ""
        tp = self.touchpoints.get(tp_raw.lower()) if tp_raw else None
        c = rule_table.Cells(
            tp_raw=tp_raw,
            tp_id=tp[0] if tp is not None else None,
            tp_ambiguous=tp is not None and tp[2],
            cust_raw=cust_raw,
            customer_id=customers.get(cust_raw) if cust_raw else None,
            date_raw=date_raw,
            ts=rules.parse_moment(date_raw, month_first=plan.month_first, tz=self.zone) if date_raw else None,
            lang_raw=cell(cols["language"]).lower(),
            chan_raw=cell(cols["channel"]).lower(),
            rid_raw=cell(cols["response_id"]),
            now=self.now,
        )
        errs = [bad] if bad else []
        errs += [message for check, message in self.row_checks if check.test(c, self.params)]
        raw = [cell(a.column) for a in plan.answers]
        blanked = ["" if a.na and r.lower() in a.na else r for a, r in zip(plan.answers, raw, strict=True)]
        values = self._answers(raw, blanked, errs)
        if all(v == "" for v in blanked):
            errs.append(self.no_answers)
        return self._row(number, cells, errs, c, tp, values)

    def _answers(self, raw: list[str], blanked: list[str], errs: list[str]) -> list[Any]:
        """The answers' values (None: empty or refused); their errors are added to errs."""
        values: list[Any] = [None] * len(blanked)
        for check in self.answer_checks:
            a, v = check.answer, blanked[check.k]
            if v != "":
                parsed = a.rule.parse(a, v)
                if parsed is None or not a.rule.accept(a, parsed, self.params):
                    errs.append(rules.fill_value(check.message, v))
                else:
                    values[check.k] = float(parsed) if a.is_number else parsed
            if raw[check.k] == "" and any(blanked[j] != "" for j in check.required_by):
                errs.append(check.required)
        return values

    def _row(
        self, number: int, cells: list[str], errs: list[str], c: rule_table.Cells, tp: Hit | None, values: list[Any]
    ) -> Row:
        plan = self.plan
        submitted_on = c.ts.astimezone(self.zone).date() if c.ts is not None else None
        skip = bool(
            (plan.date_from and (submitted_on is None or submitted_on < plan.date_from))
            or (plan.date_to and submitted_on is not None and submitted_on >= plan.date_to)
        )
        if c.tp_raw == "":
            touchpoint_id, journey_id = plan.default_touchpoint_id, plan.default_journey_id
        else:
            touchpoint_id, journey_id = (tp[0], tp[1]) if tp is not None else (None, None)
        return Row(
            number=number,
            cells=cells,
            errs=errs,
            skip=skip,
            cust_raw=c.cust_raw,
            customer_id=c.customer_id,
            ts=c.ts,
            submitted_on=submitted_on,
            touchpoint_id=touchpoint_id,
            journey_id=journey_id if journey_id is not None else plan.survey_journey_id,
            language=plan.default_language if c.lang_raw == "" else c.lang_raw,
            channel=c.chan_raw,
            rid_raw=c.rid_raw,
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
