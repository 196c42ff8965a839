"""The checks of an import row, as one table: each test in Python beside its SQL twin.

portable.RowChecker runs the Python tests on a row's `Cells`; sql.build_clean puts the SQL tests in CASE expressions
over its columns of the same names. Both list a row's errors in this order: the reason the row could not be read
(stage.checked_cells), ROW_CHECKS, then per answer in file column order its ANSWER_RULES error and its required
error, then "no answers". The values a test reads (limits, lists, patterns) come from `rules.check_params`, bound as
parameters in SQL. A new check is one entry here; tests/surveys/ingestion/test_row_rules_parity.py runs the same
rows through both paths.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from surveys.ingestion.importers import rules
from surveys.ingestion.validation import TEXT_MAX_LENGTH
from surveys.models import Question

if TYPE_CHECKING:
    from surveys.ingestion.importers.plan import Plan, PlannedAnswer

_language = re.compile(rules.LANGUAGE_RE)


@dataclass(frozen=True, slots=True)
class Cells:
    """A row's trimmed cells and look-ups: what the checks read (sql.build_clean has columns of the same names)."""

    tp_raw: str
    tp_id: int | None
    tp_ambiguous: bool
    cust_raw: str
    customer_id: int | None
    date_raw: str
    ts: dt.datetime | None
    lang_raw: str  # lower-cased
    chan_raw: str  # lower-cased
    rid_raw: str
    now: dt.datetime  # SQL: now()


@dataclass(frozen=True)
class RowCheck:
    code: str
    field: str  # the plan.columns key whose header labels the message
    message: Callable[[Plan], str]
    test: Callable[[Cells, Mapping[str, Any]], bool]  # (cells, check_params) -> the row has this error
    sql: str  # the same test in SQL
    applies: Callable[[Plan], bool] = lambda plan: True


ROW_CHECKS: tuple[RowCheck, ...] = (
    RowCheck(
        "touchpoint_unknown",
        "touchpoint",
        lambda plan: _("Unknown touchpoint."),
        lambda c, p: c.tp_raw != "" and c.tp_id is None,
        "tp_raw <> '' AND tp_id IS NULL",
    ),
    RowCheck(
        "touchpoint_ambiguous",
        "touchpoint",
        lambda plan: _("Several touchpoints have this name: use the id."),
        lambda c, p: c.tp_ambiguous,
        "tp_ambiguous",
    ),
    RowCheck(
        "customer_id_too_long",
        "customer",
        lambda plan: _("The customer id is longer than %(max)s characters.") % {"max": rules.CUSTOMER_ID_MAX},
        lambda c, p: len(c.cust_raw) > p["cust_max"],
        "length(cust_raw) > %(cust_max)s",
    ),
    RowCheck(
        "customer_unknown",
        "customer",
        lambda plan: _("Unknown customer (tick “create customers that do not exist yet” to add them)."),
        lambda c, p: c.cust_raw != "" and c.customer_id is None and len(c.cust_raw) <= p["cust_max"],
        "cust_raw <> '' AND customer_id IS NULL AND length(cust_raw) <= %(cust_max)s",
        applies=lambda plan: not plan.create_customers,
    ),
    RowCheck(
        "date_missing",
        "submitted_at",
        lambda plan: _("A date is required."),
        lambda c, p: c.date_raw == "",
        "date_raw = ''",
    ),
    RowCheck(
        "date_invalid",
        "submitted_at",
        lambda plan: (
            _("Not a date (expected %(format)s, optionally with a time).")
            % {"format": rules.DATE_FORMATS.get(plan.date_format, rules.DATE_FORMATS["iso"])}
        ),
        lambda c, p: c.date_raw != "" and c.ts is None,
        "date_raw <> '' AND ts IS NULL",
    ),
    RowCheck(
        "date_future",
        "submitted_at",
        lambda plan: _("The date is in the future."),
        lambda c, p: c.ts is not None and c.ts > c.now + p["future_slack"],
        "ts > now() + %(future_slack)s",
    ),
    RowCheck(
        "language_unknown",
        "language",
        lambda plan: _("Not a language code (e.g. sv, nb, da, en)."),
        lambda c, p: c.lang_raw != "" and c.lang_raw not in p["languages"] and not _language.match(c.lang_raw),
        "lang_raw <> '' AND NOT (lang_raw = ANY(%(languages)s::text[])) AND lang_raw !~ %(language_re)s",
    ),
    RowCheck(
        "channel_unknown",
        "channel",
        lambda plan: _("Unknown channel."),
        lambda c, p: c.chan_raw != "" and c.chan_raw not in p["channels"],
        "chan_raw <> '' AND NOT (chan_raw = ANY(%(channels)s::text[]))",
    ),
    RowCheck(
        "response_id_too_long",
        "response_id",
        lambda plan: _("The id is too long."),
        lambda c, p: len(c.rid_raw) > p["rid_max"],
        "length(rid_raw) > %(rid_max)s",
    ),
)


def row_checks(plan: Plan) -> list[tuple[RowCheck, str]]:
    """The checks of this import's rows with their labelled messages, in the order errors are listed."""
    return [
        (check, rules.labelled(plan.label(plan.columns[check.field]), check.message(plan)))
        for check in ROW_CHECKS
        if check.applies(plan)
    ]


Bind = Callable[[str, Any], str]  # binds one answer's own value (its scale, labels, options) as an SQL parameter


@dataclass(frozen=True)
class AnswerRule:
    """How a kind of question reads a filled answer cell (after its not-applicable codes): parse it (None, in SQL
    NULL: unreadable), then accept the parsed value; either failing is the error `message` (a template where
    %(value)s stands for the cell). The SQL twins work on the column names they are given."""

    code: str
    message: Callable[[PlannedAnswer], str]
    parse: Callable[[PlannedAnswer, str], Any]
    parse_sql: Callable[[PlannedAnswer, str, Bind], str]
    accept: Callable[[PlannedAnswer, Any, Mapping[str, Any]], bool] = lambda a, x, p: True
    accept_sql: Callable[[PlannedAnswer, str, Bind], str] = lambda a, x, bind: "true"
    number: bool = False  # stored as a float (value), else as text or a choice


_SCORE = AnswerRule(
    "off_scale",
    message=lambda a: rules.msg_off_scale(a.low, a.high),
    parse=lambda a, v: rules.parse_score(v),
    parse_sql=lambda a, v, bind: rules.SCORE_SQL.format(v=v),
    accept=lambda a, n, p: a.low <= n <= a.high,
    accept_sql=lambda a, n, bind: f"{n} BETWEEN {bind('low', a.low)} AND {bind('high', a.high)}",
    number=True,
)
_YES_NO = AnswerRule(
    "not_yes_no",
    message=lambda a: rules.msg_not_yes_no(a.yes, a.no),
    parse=lambda a, v: 1 if v.lower() in a.yes else 0 if v.lower() in a.no else None,
    parse_sql=lambda a, v, bind: (
        f"CASE WHEN lower({v}) = ANY({bind('yes', list(a.yes))}::text[]) THEN 1 "
        f"WHEN lower({v}) = ANY({bind('no', list(a.no))}::text[]) THEN 0 END"
    ),
    number=True,
)
_TEXT = AnswerRule(
    "text_too_long",
    message=lambda a: _("Keep it under %(max)s characters.") % {"max": TEXT_MAX_LENGTH},
    parse=lambda a, v: v,
    parse_sql=lambda a, v, bind: v,
    accept=lambda a, s, p: len(s) <= p["text_max"],
    accept_sql=lambda a, s, bind: f"length({s}) <= %(text_max)s",
)
_CHOICE = AnswerRule(
    "not_an_option",
    message=lambda a: _("Choose one of the options."),
    parse=lambda a, v: v,
    parse_sql=lambda a, v, bind: v,
    accept=lambda a, s, p: s in a.options,
    accept_sql=lambda a, s, bind: f"{s} = ANY({bind('options', list(a.options))}::text[])",
)
# The kinds a file can hold; multiple choice has no cell format yet.
ANSWER_RULES: dict[str, AnswerRule] = {
    Question.Kind.NPS: _SCORE,
    Question.Kind.CSAT: _SCORE,
    Question.Kind.CES: _SCORE,
    Question.Kind.RATING: _SCORE,
    Question.Kind.YES_NO: _YES_NO,
    Question.Kind.TEXT: _TEXT,
    Question.Kind.SINGLE_CHOICE: _CHOICE,
}


def required_by(plan: Plan, k: int) -> list[int]:
    """The answers whose being filled makes answer k's empty cell an error (none: never). A required question is
    required once its response exists (another answer of the response is filled); a required follow-up ("why?")
    once its score question in the same response was answered. A not-applicable code in k's cell is an answer."""
    answer = plan.answers[k]
    if not answer.required:
        return []
    siblings = plan.group_answers(answer.group)
    if answer.parent_code is not None:
        return [j for j, a in siblings if a.code == answer.parent_code][:1]
    return [j for j, _a in siblings if j != k]
