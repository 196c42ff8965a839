"""Turn a posted survey form into typed answers (keyed by question code), and back into fields to re-render.

The form layer checks shapes (a score is an integer on its scale, a choice is one of the options, a text fits);
the ingestion service validates the answers again against the version before anything is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from surveys.models import Question

FIELD_PREFIX = "q_"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INT = re.compile(r"^-?[0-9]{1,3}$")


def field_name(code: str) -> str:
    return f"{FIELD_PREFIX}{code}"


def clean_text(raw: str) -> str:
    # PostgreSQL refuses NUL in text; other control characters are never typed by people.
    return unicodedata.normalize("NFC", _CONTROL.sub("", raw)).strip()


def scale_anchors(kind: str) -> tuple[str, str]:
    """Labels for the two ends of a score scale, in the active language."""
    if kind == Question.Kind.NPS:
        return pgettext("nps scale", "Not at all likely"), pgettext("nps scale", "Extremely likely")
    if kind == Question.Kind.CSAT:
        return pgettext("csat scale", "Very dissatisfied"), pgettext("csat scale", "Very satisfied")
    if kind == Question.Kind.CES:
        return pgettext("ces scale", "Very difficult"), pgettext("ces scale", "Very easy")
    return "", ""


def option_text(option: dict, language: str, fallback: str) -> str:
    texts = option.get("text") or {}
    return texts.get(language) or texts.get(fallback) or next((t for t in texts.values() if t), "") or option["code"]


@dataclass
class Field:
    """One question as the public page renders it."""

    question: Question
    label: str
    name: str
    value: str | list[str] = ""
    error: str = ""
    scale: list[int] = field(default_factory=list)
    anchors: tuple[str, str] = ("", "")
    options: list[tuple[str, str]] = field(default_factory=list)
    follow_up_for: str = ""

    @property
    def code(self) -> str:
        return self.question.code

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def required(self) -> bool:
        return self.question.required

    @property
    def dom_id(self) -> str:
        return f"q-{self.question.code}"

    @property
    def compact(self) -> bool:
        """Scales of more than 7 points wrap into two rows on a phone; CSS uses this to size the buttons."""
        return len(self.scale) > 7


def build_fields(
    questions: list[Question],
    *,
    language: str,
    fallback: str,
    values: dict[str, str | list[str]] | None = None,
    errors: dict[str, str] | None = None,
) -> list[Field]:
    values, errors = values or {}, errors or {}
    by_pk = {q.pk: q for q in questions}
    fields = []
    for q in questions:
        f = Field(
            question=q,
            label=q.text_in(language, fallback),
            name=field_name(q.code),
            value=values.get(q.code, [] if q.kind == Question.Kind.MULTI_CHOICE else ""),
            error=errors.get(q.code, ""),
        )
        if q.kind == Question.Kind.YES_NO:
            f.options = [("1", pgettext("yes/no question", "Yes")), ("0", pgettext("yes/no question", "No"))]
        elif q.is_score:
            lo, hi = q.scale
            f.scale = list(range(lo, hi + 1))
            f.anchors = scale_anchors(q.kind)
        if q.is_choice:
            f.options = [(o["code"], option_text(o, language, fallback)) for o in q.options]
        parent = by_pk.get(q.follow_up_for_id)
        if parent is not None:
            f.follow_up_for = parent.code
        fields.append(f)
    return fields


def parse_answers(
    questions: list[Question], data: QueryDict, *, text_max: int
) -> tuple[dict[str, object], dict[str, str | list[str]], dict[str, str]]:
    """Return (answers for response_submit, raw values to re-render, errors by question code).

    Fields that are not questions of this version are ignored (a survey republished while the page was open).
    """
    answers: dict[str, object] = {}
    values: dict[str, str | list[str]] = {}
    errors: dict[str, str] = {}
    codes = {q.pk: q.code for q in questions}
    for q in questions:
        name = field_name(q.code)
        # A required follow-up is only required once its score question is answered.
        required = q.required and (not q.follow_up_for_id or codes.get(q.follow_up_for_id) in answers)
        if q.kind == Question.Kind.MULTI_CHOICE:
            raw_list = [clean_text(v) for v in data.getlist(name)][:100]
            values[q.code] = raw_list
            allowed = {o["code"] for o in q.options}
            chosen = list(dict.fromkeys(v for v in raw_list if v))
            if any(v not in allowed for v in chosen):
                errors[q.code] = _("Please choose among the options shown.")
            elif chosen:
                answers[q.code] = chosen
            elif required:
                errors[q.code] = _("Please answer this question.")
            continue
        raw_values = data.getlist(name)
        raw = clean_text(raw_values[0]) if raw_values else ""
        values[q.code] = raw
        if len(raw_values) > 1:
            errors[q.code] = _("Please give one answer.")
            continue
        if not raw:
            if required:
                errors[q.code] = _("Please answer this question.")
            continue
        if q.is_score:
            lo, hi = q.scale
            if not _INT.match(raw) or not lo <= int(raw) <= hi:
                errors[q.code] = _("Please choose a value from %(min)s to %(max)s.") % {"min": lo, "max": hi}
            else:
                answers[q.code] = int(raw)
        elif q.kind == Question.Kind.SINGLE_CHOICE:
            if raw not in {o["code"] for o in q.options}:
                errors[q.code] = _("Please choose among the options shown.")
            else:
                answers[q.code] = raw
        else:
            if len(raw) > text_max:
                errors[q.code] = _("Please keep your answer under %(max)s characters (it has %(n)s).") % {
                    "max": text_max,
                    "n": len(raw),
                }
            else:
                answers[q.code] = raw
    return answers, values, errors
