"""What a responses import will do: the mapped columns and questions, resolved once from the job."""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from imports.models import ImportJob
from imports.registry import ImportFileError
from journeys.models import Touchpoint
from surveys.ingestion.validation import metric_for, score_range
from surveys.models import Question, SurveyVersion

IMPORTABLE_KINDS = frozenset(
    {
        Question.Kind.NPS,
        Question.Kind.CSAT,
        Question.Kind.CES,
        Question.Kind.RATING,
        Question.Kind.TEXT,
        Question.Kind.SINGLE_CHOICE,
    }
)
# Header names recognised when the mapping form guesses columns (compared after normalize_header).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "submitted_at": ("date", "submitted", "submitted_on", "timestamp", "datum", "dato", "tid"),
    "touchpoint": ("touchpoint_id", "touchpoint_name", "kontaktpunkt"),
    "customer": ("customer_id", "customer_external_id", "external_id", "kund", "kunde", "kundnummer"),
    "language": ("lang", "språk", "sprog"),
    "channel": ("kanal",),
    "response_id": ("response", "external_response_id"),
    "nps": ("nps_score", "recommend"),
    "csat": ("csat_score", "satisfaction"),
    "ces": ("ces_score", "effort"),
    "rating": ("score",),
}
CHUNK_ROWS = 100_000
FAST_DELIMITERS = (",", ";", "\t", "|")
# Checked with `~` only: PostgreSQL's regexp_match with capture groups costs ~20x more per row, so the parts of a
# date are read with substr() once its shape is known.
DATE_RE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
INT_RE = r"^\d{1,3}$"
DECIMAL_ZERO_RE = r"^\d{1,3}[.,]0+$"
LANGUAGE_RE = r"^[a-z]{2,3}(?:-[a-z0-9]{2,4})?$"
RESPONSE_ID_MAX = 90


@dataclass(frozen=True)
class PlannedQuestion:
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


@dataclass(frozen=True)
class Plan:
    org_id: int
    tz: str
    survey_id: int
    survey_journey_id: int | None
    version_id: int
    header: list[str]
    columns: dict[str, int | None]
    questions: list[PlannedQuestion]
    default_touchpoint_id: int | None
    default_journey_id: int | None
    default_language: str

    @classmethod
    def load(cls, job: ImportJob) -> Plan:
        options = job.options
        mapping = options.get("mapping") or {}
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
        width = len(header)

        def column(value: object) -> int | None:
            if value is None:
                return None
            if not isinstance(value, int) or not 0 <= value < width:
                raise ImportFileError(_("The column mapping does not fit the file."))
            return value

        planned = []
        for code, index in (mapping.get("answers") or {}).items():
            q = questions.get(code)
            if q is None or q.kind not in IMPORTABLE_KINDS:
                continue
            is_score = q.kind in SCORE_KIND_SET
            low, high = score_range(q) if is_score else (None, None)
            planned.append(
                PlannedQuestion(
                    code=q.code,
                    pk=q.pk,
                    kind=q.kind,
                    metric=metric_for(q, customer_survey=version.survey.is_customer_survey) if is_score else "",
                    column=column(index),
                    low=low,
                    high=high,
                    options=tuple(str(o.get("code")) for o in q.options or [] if isinstance(o, dict)),
                    required=q.required,
                    parent_code=next((p.code for p in questions.values() if p.pk == q.follow_up_for_id), None),
                )
            )
        if not planned:
            raise ImportFileError(_("No question is mapped to a column."))
        default_tp = None
        if mapping.get("default_touchpoint_id"):
            default_tp = (
                Touchpoint.objects.for_org(job.organization).filter(pk=mapping["default_touchpoint_id"]).first()
            )
        try:
            tz = str(zoneinfo.ZoneInfo(job.organization.timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = settings.TIME_ZONE
        return cls(
            org_id=job.organization_id,
            tz=tz,
            survey_id=version.survey_id,
            survey_journey_id=version.survey.journey_id,
            version_id=version.pk,
            header=header,
            columns={k: column(v) for k, v in (mapping.get("columns") or {}).items()},
            questions=planned,
            default_touchpoint_id=default_tp.pk if default_tp else None,
            default_journey_id=default_tp.journey_id if default_tp else None,
            default_language=(mapping.get("default_language") or "")[:8],
        )

    def label(self, index: int) -> str:
        return self.header[index] or f"#{index + 1}"


SCORE_KIND_SET = frozenset({Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES, Question.Kind.RATING})
# Yes/no is a score question too, but its cells are words (yes/ja/no/nei...): see `surveys.ingestion.validation`.


class Tables:
    def __init__(self, job_id: int) -> None:
        suffix = f"{job_id}_{uuid.uuid4().hex[:8]}"
        self.stage = f"resp_imp_stage_{suffix}"
        self.touchpoints = f"resp_imp_tp_{suffix}"
        self.clean = f"resp_imp_clean_{suffix}"
        self.inserted = f"resp_imp_ins_{suffix}"

    def drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.stage}, {self.touchpoints}, {self.clean}, {self.inserted}")
