"""Answer validation against a survey version's questions (shared by the public page, the API and imports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from surveys.ingestion.errors import AnswerValidationError
from surveys.models import Question

TEXT_MAX_LENGTH: int = getattr(settings, "SURVEYS_TEXT_MAX_LENGTH", 5000)
SCORE_KINDS = Question.SCORE_KINDS
ALL_ERRORS = "__all__"
# Yes/no answers as people and exports write them (sv, nb, da, en); stored as 1 / 0.
YES_WORDS = frozenset({"1", "yes", "y", "true", "ja", "j", "sant", "sann", "sand"})
NO_WORDS = frozenset({"0", "no", "n", "false", "nej", "nei", "falskt", "usant", "falsk"})


@dataclass(frozen=True)
class CleanAnswer:
    question: Question
    metric: str = ""
    value: float | None = None
    text: str = ""
    choices: list[str] = field(default_factory=list)


def score_range(question: Question) -> tuple[int, int]:
    return question.scale


def metric_for(question: Question, *, customer_survey: bool = True) -> str:
    """The rollup metric key of a question (core.scales): nps / csat / ces, `code:1-10` for a rating, `code:yes`
    for yes/no; nothing for choices and text, and nothing for employee and leadership surveys (staff answers never
    enter customer figures)."""
    return question.metric if customer_survey else ""


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list | tuple) and not raw)


def _parse_yes_no(raw: object) -> int | None:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int | float) and raw in (0, 1):
        return int(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in YES_WORDS:
            return 1
        if word in NO_WORDS:
            return 0
    return None


def _parse_score(raw: object) -> int | None:
    # bool is an int subclass: `true` must not become 1.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str):
        s = raw.strip()
        if len(s) <= 4 and (s.isdigit() or (s[:1] == "-" and s[1:].isdigit())):
            return int(s)
    return None


def option_codes(question: Question) -> set[str]:
    """The codes a choice answer may hold (the import reads choice cells against the same set)."""
    codes = set()
    for option in question.options or []:
        if isinstance(option, dict) and option.get("code") is not None:
            codes.add(str(option["code"]))
    return codes


def _clean_one(question: Question, raw: object, metric: str) -> CleanAnswer:
    """Return the clean answer or raise ValueError with a user-facing message."""
    kind = question.kind
    if kind == Question.Kind.YES_NO:
        value = _parse_yes_no(raw)
        if value is None:
            raise ValueError(_("Answer yes or no."))
        return CleanAnswer(question=question, metric=metric, value=float(value))
    if kind in SCORE_KINDS:
        score = _parse_score(raw)
        low, high = score_range(question)
        if score is None:
            raise ValueError(_("Enter a whole number between %(low)s and %(high)s.") % {"low": low, "high": high})
        if not low <= score <= high:
            raise ValueError(_("Enter a whole number between %(low)s and %(high)s.") % {"low": low, "high": high})
        return CleanAnswer(question=question, metric=metric, value=float(score))
    if kind == Question.Kind.TEXT:
        if not isinstance(raw, str):
            raise ValueError(_("Enter text."))
        text = raw.strip()
        if len(text) > TEXT_MAX_LENGTH:
            raise ValueError(_("Keep it under %(max)s characters.") % {"max": TEXT_MAX_LENGTH})
        if "\x00" in text:
            raise ValueError(_("The text contains invalid characters."))
        return CleanAnswer(question=question, text=text)
    codes = option_codes(question)
    if kind == Question.Kind.SINGLE_CHOICE:
        if not isinstance(raw, str | int) or isinstance(raw, bool) or str(raw) not in codes:
            raise ValueError(_("Choose one of the options."))
        return CleanAnswer(question=question, choices=[str(raw)])
    if kind == Question.Kind.MULTI_CHOICE:
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, list | tuple) or len(values) > max(len(codes), 1):
            raise ValueError(_("Choose from the options."))
        picked: list[str] = []
        for value in values:
            if not isinstance(value, str | int) or isinstance(value, bool) or str(value) not in codes:
                raise ValueError(_("Choose from the options."))
            if str(value) not in picked:
                picked.append(str(value))
        return CleanAnswer(question=question, choices=picked)
    raise ValueError(_("This question cannot be answered."))


def clean_answers(
    questions: Iterable[Question], answers: Mapping[str, object], *, customer_survey: bool = True
) -> list[CleanAnswer]:
    """Validate `{question code: raw value}`; return one clean answer per answered question.

    customer_survey: False for employee and leadership surveys, whose answers get no metric key (see metric_for).

    Raises AnswerValidationError with every problem at once ({code: message}).
    """
    if not isinstance(answers, Mapping):
        raise AnswerValidationError({ALL_ERRORS: _("Answers must be an object of question code to value.")})
    by_code = {q.code: q for q in questions}
    errors: dict[str, str] = {}
    cleaned: dict[str, CleanAnswer] = {}
    for code, raw in answers.items():
        question = by_code.get(code) if isinstance(code, str) else None
        if question is None:
            errors[str(code)[:60]] = _("Unknown question.")
            continue
        if _is_blank(raw):
            continue
        try:
            cleaned[code] = _clean_one(question, raw, metric_for(question, customer_survey=customer_survey))
        except ValueError as exc:
            errors[code] = str(exc)
    answered_ids = {a.question.pk for a in cleaned.values()}
    for question in by_code.values():
        if not question.required or question.code in cleaned or question.code in errors:
            continue
        # A required "why?" follow-up is only required when its score question was answered.
        if question.follow_up_for_id is not None and question.follow_up_for_id not in answered_ids:
            continue
        errors[question.code] = _("This question is required.")
    if not errors and not cleaned:
        errors[ALL_ERRORS] = _("Answer at least one question.")
    if errors:
        raise AnswerValidationError(errors)
    return list(cleaned.values())
