"""Writes of the survey builder: surveys, draft versions, questions, publishing.

A published version is frozen. Any edit after publishing goes to a draft version (a copy with the same question
codes) that becomes current on the next publish, so answers keep pointing at the questions they answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from core.scales import validate_rating_bounds
from journeys.models import Journey, Touchpoint
from surveys.builder.presets import PRESETS, preset_texts
from surveys.builder.selectors import draft_version, ordered_questions
from surveys.models import Question, Survey, SurveyVersion

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


class BuilderError(Exception):
    """A change the builder refuses, with messages to show."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


# -- surveys ---------------------------------------------------------------------------------------------------


def _clean_languages(languages: Iterable[str], default_language: str) -> list[str]:
    result = list(dict.fromkeys(languages))
    if default_language not in result:
        result.insert(0, default_language)
    return result


@transaction.atomic
def survey_create(
    *,
    ctx: OrgContext,
    name: str,
    kind: str,
    languages: list[str],
    default_language: str,
    journey: Journey | None = None,
    touchpoints: Iterable[Touchpoint] = (),
    reminder_count: int = 1,
    reminder_delay_days: int = 3,
    invitation_expiry_days: int = 14,
) -> Survey:
    survey = Survey.objects.create(
        organization=ctx.organization,
        name=name,
        kind=kind,
        journey=journey if journey is None or journey.organization_id == ctx.org_id else None,
        languages=_clean_languages(languages, default_language),
        default_language=default_language,
        reminder_count=reminder_count,
        reminder_delay_days=reminder_delay_days,
        invitation_expiry_days=invitation_expiry_days,
    )
    survey.touchpoints.set([tp for tp in touchpoints if tp.organization_id == ctx.org_id])
    SurveyVersion.objects.create(organization=ctx.organization, survey=survey, number=1)
    return survey


@transaction.atomic
def survey_update(
    *,
    survey: Survey,
    name: str,
    kind: str,
    languages: list[str],
    default_language: str,
    journey: Journey | None,
    touchpoints: Iterable[Touchpoint],
    reminder_count: int,
    reminder_delay_days: int,
    invitation_expiry_days: int,
) -> Survey:
    survey.name = name
    survey.kind = kind
    survey.journey = journey if journey is None or journey.organization_id == survey.organization_id else None
    survey.languages = _clean_languages(languages, default_language)
    survey.default_language = default_language
    survey.reminder_count = reminder_count
    survey.reminder_delay_days = reminder_delay_days
    survey.invitation_expiry_days = invitation_expiry_days
    survey.save()
    survey.touchpoints.set([tp for tp in touchpoints if tp.organization_id == survey.organization_id])
    return survey


def survey_archive(*, survey: Survey) -> Survey:
    """Close the survey: its links and invitations stop accepting answers; the data stays."""
    survey.status = Survey.Status.ARCHIVED
    survey.save(update_fields=["status", "updated_at"])
    return survey


def survey_reopen(*, survey: Survey) -> Survey:
    survey.status = Survey.Status.PUBLISHED if survey.current_version_id else Survey.Status.DRAFT
    survey.save(update_fields=["status", "updated_at"])
    return survey


# -- versions --------------------------------------------------------------------------------------------------


def _copy_questions(*, source: SurveyVersion, target: SurveyVersion) -> None:
    originals = ordered_questions(source.questions.all())
    mapping: dict[int, Question] = {}
    # Parents first (ordered_questions puts follow-ups after them), so follow_up_for can be remapped.
    for q in originals:
        copy = Question.objects.create(
            organization_id=target.organization_id,
            version=target,
            position=q.position,
            code=q.code,
            kind=q.kind,
            text=dict(q.text),
            options=[{**o, "text": dict(o.get("text", {}))} for o in q.options],
            scale_min=q.scale_min,
            scale_max=q.scale_max,
            required=q.required,
            follow_up_for=mapping.get(q.follow_up_for_id) if q.follow_up_for_id is not None else None,
        )
        mapping[q.pk] = copy


@transaction.atomic
def version_draft_get_or_create(*, survey: Survey) -> SurveyVersion:
    """The draft to edit; after a publish, a new draft copied from the live version."""
    # Serialise concurrent editors on the survey row so only one draft is ever created.
    Survey.objects.select_for_update().filter(pk=survey.pk).first()
    draft = draft_version(survey=survey)
    if draft is not None:
        return draft
    latest = survey.versions.aggregate(n=Max("number"))["n"] or 0
    draft = SurveyVersion.objects.create(organization_id=survey.organization_id, survey=survey, number=latest + 1)
    source = survey.current_version or survey.versions.exclude(pk=draft.pk).order_by("-number").first()
    if source is not None:
        _copy_questions(source=source, target=draft)
    return draft


def version_problems(*, survey: Survey, version: SurveyVersion) -> list[str]:
    """What must be fixed before this version can be published (missing translations are only warnings)."""
    problems: list[str] = []
    fallback = survey.default_language
    questions = list(version.questions.all())
    if not questions:
        problems.append(_("Add at least one question."))
    if survey.kind == Survey.Kind.TOUCHPOINT and not survey.touchpoints.exists():
        problems.append(_("A touchpoint survey needs at least one touchpoint (survey settings)."))
    if survey.kind == Survey.Kind.JOURNEY and survey.journey_id is None:
        problems.append(_("A journey survey needs a journey (survey settings)."))
    by_pk = {q.pk: q for q in questions}
    for q in questions:
        if not (q.text.get(fallback) or "").strip():
            problems.append(
                _("Question “%(code)s” has no text in the fallback language (%(lang)s).")
                % {"code": q.code, "lang": fallback}
            )
        if q.is_choice:
            if len(q.options) < 2:
                problems.append(_("Question “%(code)s” needs at least two options.") % {"code": q.code})
            if any(not (o.get("text", {}).get(fallback) or "").strip() for o in q.options):
                problems.append(_("An option of “%(code)s” has no text in the fallback language.") % {"code": q.code})
        if q.kind == Question.Kind.RATING and q.scale is not None:  # a rating always has a scale
            lo, hi = q.scale
            if validate_rating_bounds(lo, hi):
                problems.append(
                    _("Rating “%(code)s” needs a scale within 0-10 with the minimum below the maximum.")
                    % {"code": q.code}
                )
        if q.follow_up_for_id:
            parent = by_pk.get(q.follow_up_for_id)
            if parent is None or not parent.is_score:
                problems.append(_("Follow-up “%(code)s” must follow a score question.") % {"code": q.code})
    return problems


@transaction.atomic
def survey_publish(*, survey: Survey) -> SurveyVersion:
    """Freeze the draft and make it what respondents see; raise BuilderError with the problems otherwise."""
    Survey.objects.select_for_update().filter(pk=survey.pk).first()
    draft = draft_version(survey=survey)
    if draft is None:
        raise BuilderError(_("There are no unpublished changes."))
    problems = version_problems(survey=survey, version=draft)
    if problems:
        raise BuilderError(problems)
    draft.published_at = timezone.now()
    draft.save(update_fields=["published_at"])
    survey.current_version = draft
    if survey.status == Survey.Status.DRAFT:
        survey.status = Survey.Status.PUBLISHED
    survey.save(update_fields=["current_version", "status", "updated_at"])

    from surveys.distribution.services import survey_links_ensure

    survey_links_ensure(survey=survey)
    return draft


@transaction.atomic
def survey_discard_draft(*, survey: Survey) -> None:
    """Throw away unpublished changes (only when a live version exists to fall back on)."""
    draft = draft_version(survey=survey)
    if draft is None or survey.current_version_id is None:
        raise BuilderError(_("There is no draft to discard."))
    draft.delete()


# -- questions -------------------------------------------------------------------------------------------------


def _unique_code(base: str, taken: set[str]) -> str:
    base = (slugify(base).replace("-", "_") or "q")[:45]
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _draft_question(*, survey: Survey, code: str) -> tuple[SurveyVersion, Question]:
    draft = version_draft_get_or_create(survey=survey)
    question = draft.questions.filter(code=code).first()
    if question is None:
        raise Question.DoesNotExist(code)
    return draft, question


def _follow_up_target(version: SurveyVersion, code: str | None, *, own_code: str = "") -> Question | None:
    if not code:
        return None
    parent = version.questions.filter(code=code).exclude(code=own_code).first()
    if parent is None or not parent.is_score or parent.follow_up_for_id:
        raise BuilderError(_("A follow-up must follow a score question of this survey."))
    return parent


def code_is_locked(*, survey: Survey, code: str) -> bool:
    """Codes of questions that were ever published tie answers across versions: they cannot change."""
    return Question.objects.filter(version__survey=survey, version__published_at__isnull=False, code=code).exists()


@transaction.atomic
def question_add(
    *,
    survey: Survey,
    kind: str,
    code: str = "",
    text: dict[str, str] | None = None,
    required: bool = False,
    options: list[dict] | None = None,
    scale_min: int | None = None,
    scale_max: int | None = None,
    follow_up_for_code: str | None = None,
) -> Question:
    if kind not in Question.Kind.values:
        raise BuilderError(_("Unknown question type."))
    draft = version_draft_get_or_create(survey=survey)
    taken = set(draft.questions.values_list("code", flat=True))
    if code and code in taken:
        raise BuilderError(_("Another question already uses the code “%(code)s”.") % {"code": code})
    code = code or _unique_code(kind if kind in ("nps", "csat", "ces") else "q", taken)
    parent = _follow_up_target(draft, follow_up_for_code)
    if kind == Question.Kind.RATING and scale_min is None and scale_max is None:
        scale_min, scale_max = 1, 5
    position = (draft.questions.aggregate(p=Max("position"))["p"] or 0) + 1
    return Question.objects.create(
        organization_id=survey.organization_id,
        version=draft,
        position=position,
        code=code,
        kind=kind,
        text={k: v for k, v in (text or {}).items() if v},
        options=options or [],
        scale_min=scale_min,
        scale_max=scale_max,
        required=required,
        follow_up_for=parent if kind == Question.Kind.TEXT else None,
    )


@transaction.atomic
def question_update(
    *,
    survey: Survey,
    code: str,
    new_code: str | None = None,
    text: dict[str, str],
    required: bool,
    options: list[dict] | None = None,
    scale_min: int | None = None,
    scale_max: int | None = None,
    follow_up_for_code: str | None = None,
) -> Question:
    draft, question = _draft_question(survey=survey, code=code)
    if new_code and new_code != code:
        if code_is_locked(survey=survey, code=code):
            raise BuilderError(_("The code of a published question cannot change."))
        if not CODE_RE.match(new_code):
            raise BuilderError(_("Use lower-case letters, digits, - and _ for the code."))
        if draft.questions.filter(code=new_code).exists():
            raise BuilderError(_("Another question already uses the code “%(code)s”.") % {"code": new_code})
        question.code = new_code
    question.text = {k: v.strip() for k, v in text.items() if v and v.strip()}
    question.required = required
    if question.is_choice and options is not None:
        question.options = options
    if question.kind == Question.Kind.RATING:
        question.scale_min, question.scale_max = scale_min, scale_max
    if question.kind == Question.Kind.TEXT:
        question.follow_up_for = _follow_up_target(draft, follow_up_for_code, own_code=question.code)
    question.save()
    return question


@transaction.atomic
def question_delete(*, survey: Survey, code: str) -> None:
    _draft, question = _draft_question(survey=survey, code=code)
    try:
        question.delete()  # its follow-ups go with it
    except ProtectedError:
        # Only imported answers can point at a draft's question.
        raise BuilderError(_("This question already has answers and cannot be deleted."))


@transaction.atomic
def question_move(*, survey: Survey, code: str, direction: str) -> None:
    """Move a top-level question (with its follow-ups) one place up or down."""
    draft, question = _draft_question(survey=survey, code=code)
    if question.follow_up_for is not None:
        question = question.follow_up_for
    top = [q for q in ordered_questions(draft.questions.all()) if not q.follow_up_for_id]
    index = next(i for i, q in enumerate(top) if q.pk == question.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(top):
        return
    top[index], top[other] = top[other], top[index]
    for position, q in enumerate(top, start=1):
        if q.position != position:
            q.position = position
            q.save(update_fields=["position"])
            q.follow_ups.update(position=position)


@transaction.atomic
def questions_add_preset(*, survey: Survey, preset: str) -> list[Question]:
    """Add a ready-made block (e.g. NPS + why) with texts in every survey language that has one."""
    if preset not in PRESETS:
        raise BuilderError(_("Unknown template."))
    draft = version_draft_get_or_create(survey=survey)
    taken = set(draft.questions.values_list("code", flat=True))
    created: dict[str, Question] = {}
    for code, kind, texts, required, follows in PRESETS[preset][1]:
        final_code = _unique_code(code, taken)
        taken.add(final_code)
        created[code] = question_add(
            survey=survey,
            kind=kind,
            code=final_code,
            text=preset_texts(texts, organization_name=survey.organization.name, languages=survey.languages),
            required=required,
            follow_up_for_code=created[follows].code if follows else None,
        )
    return list(created.values())


def options_from_lines(*, existing: list[dict], lines: dict[str, list[str]], fallback: str) -> list[dict]:
    """Build choice options from one text per line per language; the n-th line is the n-th option everywhere.

    An option keeps its code when its fallback-language text is unchanged (even if it moved), else the code of the
    option that was at its position; new options get a code from their fallback text. Codes are what answers
    store, so a translation fix or a reordering never changes what an old answer meant.
    """
    count = max((len(v) for v in lines.values()), default=0)
    rows = []
    for i in range(count):
        text = {lang: values[i].strip() for lang, values in lines.items() if i < len(values) and values[i].strip()}
        if text:
            rows.append((i, text))
    by_text = {(o.get("text", {}).get(fallback) or "").strip().lower(): o["code"] for o in existing if o.get("code")}
    codes: dict[int, str] = {}
    used: set[str] = set()
    for i, text in rows:
        code = by_text.get((text.get(fallback) or "").lower())
        if code and code not in used:
            codes[i] = code
            used.add(code)
    for i, _text in rows:
        if i not in codes and i < len(existing) and existing[i].get("code") and existing[i]["code"] not in used:
            codes[i] = existing[i]["code"]
            used.add(codes[i])
    taken = used | {o["code"] for o in existing if o.get("code")}
    options = []
    for i, text in rows:
        if i not in codes:
            codes[i] = _unique_code(text.get(fallback) or next(iter(text.values())), taken)
            taken.add(codes[i])
        options.append({"code": codes[i], "text": text})
    return options
