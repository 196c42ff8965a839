"""What a responses import will do: the mapped columns, questions and touchpoints, resolved once from the job.

A mapping (stored in `ImportJob.options["mapping"]` and, once confirmed, as a saved mapping for the header):

    {
      "format": 2,
      "columns": {"submitted_at": 0, "touchpoint": null, "customer": 1, "language": null, "channel": null,
                  "response_id": null},
      "answers": [{"column": 3, "question": "csat", "touchpoint": 12, "na": ["0", "n/a"]},
                  {"column": 4, "question": "satisfied", "touchpoint": "none", "yes": ["satisfied"],
                   "no": ["neutral or dissatisfied"]}],
      "date_format": "dmy", "file_date": null, "default_touchpoint_id": null, "default_language": "sv",
      "create_customers": true, "date_from": null, "date_to": null
    }

An answer's touchpoint is "row" (the row's touchpoint column, else the default touchpoint), "none" (a journey- or
relationship-level answer) or a touchpoint id. Each file row becomes one response per distinct touchpoint among its
answers (a *group*), all sharing the row's customer, date, language and channel. The first mappings (format 1:
`"answers": {code: column}`) still load: every answer then belongs to the row's touchpoint.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from imports.models import ImportJob
from imports.registry import ImportFileError
from journeys.models import Touchpoint
from surveys.ingestion.importers import rule_table, rules
from surveys.ingestion.validation import NO_WORDS, YES_WORDS, metric_for, option_codes
from surveys.models import Question, SurveyVersion

IMPORTABLE_KINDS = frozenset(rule_table.ANSWER_RULES)  # a kind is importable when the checks know how to read it
# Numeric scores (the cell is a whole number on the question's scale); yes/no cells are labels.
SCORE_KIND_SET = frozenset({Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES, Question.Kind.RATING})
# Header names recognised when the mapping form guesses columns (compared after normalize_header).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "submitted_at": ("date", "submitted", "submitted_on", "timestamp", "datum", "dato", "tid", "created", "time"),
    "touchpoint": ("touchpoint_id", "touchpoint_name", "kontaktpunkt"),
    "customer": (
        "customer_id",
        "customer_external_id",
        "external_id",
        "customerid",
        "respondent",
        "respondent_id",
        "kund",
        "kunde",
        "kundnummer",
        "kundenummer",
        "kundid",
    ),
    "language": ("lang", "språk", "sprog"),
    "channel": ("kanal",),
    "response_id": ("response", "external_response_id", "responseid"),
    "nps": ("nps_score", "recommend"),
    "csat": ("csat_score", "satisfaction"),
    "ces": ("ces_score", "effort"),
    "rating": ("score",),
    "text": ("comment", "verbatim", "kommentar"),
}
FIELDS = ("submitted_at", "touchpoint", "customer", "language", "channel", "response_id")
ROW, NONE = "row", "none"
CHUNK_ROWS = 100_000
FAST_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Group:
    """The responses one file row produces for one touchpoint target."""

    index: int
    kind: str  # ROW, NONE or "fixed"
    touchpoint_id: int | None
    journey_id: int | None
    suffix: str  # appended to the idempotency key: "" for the row's touchpoint, "@<id>", "@-"


@dataclass(frozen=True)
class PlannedAnswer:
    code: str
    pk: int
    kind: str
    metric: str
    column: int
    low: int | None
    high: int | None
    options: tuple[str, ...]
    required: bool
    parent_code: str | None
    group: int
    na: tuple[str, ...]
    yes: tuple[str, ...]
    no: tuple[str, ...]

    @property
    def is_score(self) -> bool:
        return self.kind in SCORE_KIND_SET

    @property
    def is_yes_no(self) -> bool:
        return self.kind == Question.Kind.YES_NO

    @property
    def is_number(self) -> bool:
        return self.rule.number

    @property
    def rule(self) -> rule_table.AnswerRule:
        return rule_table.ANSWER_RULES[self.kind]


def normalize_mapping(mapping: dict) -> dict:
    """A mapping in the current format (format 1 had `"answers": {code: column}`, all at the row's touchpoint)."""
    answers = mapping.get("answers") or []
    if isinstance(answers, dict):
        answers = [{"column": column, "question": code, "touchpoint": ROW} for code, column in answers.items()]
    return {**mapping, "format": 2, "answers": answers}


def _touchpoint_target(value: object) -> str | int:
    if value in (None, "", ROW):
        return ROW
    if value == NONE:
        return NONE
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ImportFileError(_("The column mapping names an unknown touchpoint.")) from None


def _date(value: object) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ImportFileError(_("The column mapping has an invalid date.")) from None


@dataclass(frozen=True)
class Plan:
    org_id: int
    tz: str
    survey_id: int
    survey_journey_id: int | None
    version_id: int
    header: list[str]
    columns: dict[str, int | None]
    answers: list[PlannedAnswer]
    groups: list[Group]
    default_touchpoint_id: int | None
    default_journey_id: int | None
    default_language: str
    date_format: str
    file_date: str | None
    create_customers: bool
    customer_language: str
    date_from: dt.date | None
    date_to: dt.date | None

    @property
    def month_first(self) -> bool:
        return self.date_format == "mdy"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    @property
    def is_wide(self) -> bool:
        return len(self.groups) > 1 or self.groups[0].kind != ROW

    def label(self, index: int | None) -> str | None:
        if index is None:
            return None
        return self.header[index] or f"#{index + 1}"

    @property
    def column_order(self) -> list[int]:
        """Answer indexes in file column order: the order row errors are listed in."""
        return sorted(range(len(self.answers)), key=lambda k: self.answers[k].column)

    def group_answers(self, group: int) -> list[tuple[int, PlannedAnswer]]:
        return [(k, a) for k, a in enumerate(self.answers) if a.group == group]

    @classmethod
    def load(cls, job: ImportJob) -> Plan:
        options = job.options
        mapping = normalize_mapping(options.get("mapping") or {})
        header = list(options.get("header") or [])
        version = (
            SurveyVersion.objects.for_org(job.organization)
            .select_related("survey")
            .filter(pk=options.get("version_id"))
            .first()
        )
        if version is None:
            raise ImportFileError(_("The survey version of this import no longer exists."))
        questions = {q.code: q for q in version.questions.all()}
        position = {code: i for i, code in enumerate(questions)}
        width = len(header)

        def column(value: object) -> int | None:
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < width:
                raise ImportFileError(_("The column mapping does not fit the file."))
            return value

        targets: list[str | int] = []
        raw_answers = []
        seen: set[tuple[str, str | int]] = set()
        for entry in mapping["answers"]:
            q = questions.get(entry.get("question"))
            if q is None or q.kind not in IMPORTABLE_KINDS:
                continue
            target = _touchpoint_target(entry.get("touchpoint"))
            if (q.code, target) in seen:
                raise ImportFileError(
                    _("The question %(code)s is mapped twice to the same touchpoint.") % {"code": q.code}
                )
            seen.add((q.code, target))
            if target not in targets:
                targets.append(target)
            raw_answers.append((q, target, entry))
        if not raw_answers:
            raise ImportFileError(_("No question is mapped to a column."))

        fixed_ids = [t for t in targets if isinstance(t, int)]
        touchpoints = {tp.pk: tp for tp in Touchpoint.objects.for_org(job.organization).filter(pk__in=fixed_ids)}
        if len(touchpoints) != len(fixed_ids):
            raise ImportFileError(_("A touchpoint of the column mapping no longer exists."))
        # The row's touchpoint first (its keys are the ones of the first, one-touchpoint imports), then fixed
        # touchpoints in column order, then the answers without a touchpoint.
        ordered = [t for t in targets if t == ROW] + fixed_ids + [t for t in targets if t == NONE]
        groups = []
        for index, target in enumerate(ordered):
            if target == ROW:
                groups.append(Group(index, ROW, None, None, ""))
            elif target == NONE:
                groups.append(Group(index, NONE, None, version.survey.journey_id, "@-"))
            else:
                tp = touchpoints[target]
                groups.append(Group(index, "fixed", tp.pk, tp.journey_id, f"@{tp.pk}"))
        group_of = {g.touchpoint_id if g.kind == "fixed" else g.kind: g.index for g in groups}

        customer_survey = version.survey.is_customer_survey
        planned = []
        for q, target, entry in raw_answers:
            low, high = q.scale if q.kind in SCORE_KIND_SET else (None, None)
            yes = rules.codes(entry.get("yes") or []) if q.kind == Question.Kind.YES_NO else ()
            no = rules.codes(entry.get("no") or []) if q.kind == Question.Kind.YES_NO else ()
            if q.kind == Question.Kind.YES_NO and not (yes or no):
                yes, no = tuple(sorted(YES_WORDS)), tuple(sorted(NO_WORDS))
            if set(yes) & set(no):
                raise ImportFileError(
                    _("A value of column %(column)s means both yes and no.") % {"column": entry.get("column")}
                )
            planned.append(
                PlannedAnswer(
                    code=q.code,
                    pk=q.pk,
                    kind=q.kind,
                    metric=metric_for(q, customer_survey=customer_survey) if q.is_score else "",
                    column=column(entry.get("column")),
                    low=low,
                    high=high,
                    options=tuple(sorted(option_codes(q))),
                    required=q.required,
                    parent_code=next((p.code for p in questions.values() if p.pk == q.follow_up_for_id), None),
                    group=group_of[target],
                    na=rules.codes(entry.get("na") or []),
                    yes=yes,
                    no=no,
                )
            )
        # Within a response, answers in the version's question order: the content key reads them in this order.
        planned.sort(key=lambda a: (a.group, position[a.code]))

        default_tp = None
        if mapping.get("default_touchpoint_id"):
            default_tp = (
                Touchpoint.objects.for_org(job.organization).filter(pk=mapping["default_touchpoint_id"]).first()
            )
        tz = str(job.organization.zone)
        columns = {k: column((mapping.get("columns") or {}).get(k)) for k in FIELDS}
        file_date = _date(mapping.get("file_date"))
        if columns["submitted_at"] is None and file_date is None:
            raise ImportFileError(_("Choose the date column, or one date for the whole file."))
        languages = {code for code, _name in settings.LANGUAGES}
        org_language = job.organization.default_language
        date_format = mapping.get("date_format") or "iso"
        return cls(
            org_id=job.organization_id,
            tz=tz,
            survey_id=version.survey_id,
            survey_journey_id=version.survey.journey_id,
            version_id=version.pk,
            header=header,
            columns=columns,
            answers=planned,
            groups=groups,
            default_touchpoint_id=default_tp.pk if default_tp else None,
            default_journey_id=default_tp.journey_id if default_tp else None,
            default_language=(mapping.get("default_language") or "")[:8],
            date_format=date_format if date_format in rules.DATE_FORMATS else "iso",
            file_date=file_date.isoformat() if file_date and columns["submitted_at"] is None else None,
            create_customers=bool(mapping.get("create_customers")),
            customer_language=org_language if org_language in languages else "en",
            date_from=_date(mapping.get("date_from")),
            date_to=_date(mapping.get("date_to")),
        )


class Tables:
    def __init__(self, job_id: int) -> None:
        suffix = f"{job_id}_{uuid.uuid4().hex[:8]}"
        self.stage = f"resp_imp_stage_{suffix}"
        self.touchpoints = f"resp_imp_tp_{suffix}"
        self.clean = f"resp_imp_clean_{suffix}"
        self.inserted = f"resp_imp_ins_{suffix}"

    def drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.stage}, {self.touchpoints}, {self.clean}, {self.inserted}")
