"""Survey builder pages. Everyone in the organization reads; admins and CX managers edit.

Question edits are htmx-friendly: each action answers an htmx request with the re-rendered builder fragment
(`_builder.html`) and a plain request with a redirect, so the page also works without JavaScript.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from surveys.builder import selectors, services
from surveys.builder.forms import AddQuestionForm, QuestionForm, SurveyForm
from surveys.builder.presets import PRESETS
from surveys.distribution import selectors as distribution_selectors
from surveys.models import Question, Survey
from surveys.public import language as lang_rules
from surveys.public.forms import parse_answers
from surveys.public.views import survey_form_page


def _builder_context(
    request: HttpRequest,
    survey: Survey,
    *,
    editing: str = "",
    edit_form: QuestionForm | None = None,
    problems: list[str] | None = None,
) -> dict:
    draft = selectors.draft_version(survey=survey)
    version = draft or survey.current_version
    questions = selectors.version_questions(version=version)
    languages = list(survey.languages or [survey.default_language])
    for q in questions:
        q.missing = selectors.missing_languages(q, languages)
        q.texts = [(lang, q.text.get(lang, "")) for lang in languages]
        q.option_rows = [
            {"code": o.get("code"), "texts": [(lang, o.get("text", {}).get(lang, "")) for lang in languages]}
            for o in q.options
        ]
    if editing and edit_form is None and request.org.can_edit_program:
        question = next((q for q in questions if q.code == editing), None)
        if question is not None:
            edit_form = QuestionForm(
                survey=survey,
                question=question,
                code_locked=services.code_is_locked(survey=survey, code=question.code),
            )
        else:
            editing = ""
    return {
        "survey": survey,
        "draft": draft,
        "version": version,
        "live": survey.current_version,
        "questions": questions,
        "translation": selectors.translation_status(survey=survey, questions=questions),
        "can_edit": request.org.can_edit_program,
        "editing": editing,
        "edit_form": edit_form,
        "add_form": AddQuestionForm(),
        "presets": [(slug, label) for slug, (label, _q) in PRESETS.items()],
        "problems": problems or [],
        "preview_languages": [(code, lang_rules.language_name(code)) for code in languages],
    }


def _builder_response(request: HttpRequest, survey: Survey, **kwargs) -> HttpResponse:
    """htmx: the re-rendered builder fragment; otherwise back to the survey page."""
    if request.htmx:
        return render(request, "surveys/builder/_builder.html", _builder_context(request, survey, **kwargs))
    anchor = f"#q-{kwargs['editing']}" if kwargs.get("editing") else ""
    return redirect(reverse("surveys:survey_detail", args=[survey.pk]) + anchor)


# -- surveys ---------------------------------------------------------------------------------------------------


@org_required()
def survey_list(request: HttpRequest) -> HttpResponse:
    surveys = list(selectors.survey_list(ctx=request.org))
    rates = distribution_selectors.response_rates_by_survey(ctx=request.org)
    for survey in surveys:
        survey.response_rate = rates.get(survey.pk, distribution_selectors.ResponseRate())
    return render(request, "surveys/builder/survey_list.html", {"surveys": surveys})


def _survey_fields(form: SurveyForm) -> dict:
    d = form.cleaned_data
    return {
        "name": d["name"],
        "kind": d["kind"],
        "languages": d["languages"],
        "default_language": d["default_language"],
        "journey": d["journey"],
        "touchpoints": list(d["touchpoints"]),
        "reminder_count": d["reminder_count"],
        "reminder_delay_days": d["reminder_delay_days"],
        "invitation_expiry_days": d["invitation_expiry_days"],
    }


@org_required(WRITE_PROGRAM_ROLES)
def survey_create(request: HttpRequest) -> HttpResponse:
    org_language = request.org.organization.default_language
    initial = {
        "languages": lang_rules.survey_language_codes(),
        "default_language": org_language if org_language in lang_rules.survey_language_codes() else "en",
    }
    form = SurveyForm(request.POST or None, ctx=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        survey = services.survey_create(ctx=request.org, **_survey_fields(form))
        messages.success(request, _("Survey created. Add questions, preview, then publish."))
        return redirect("surveys:survey_detail", pk=survey.pk)
    return render(request, "surveys/builder/survey_form.html", {"form": form, "survey": None})


@org_required(WRITE_PROGRAM_ROLES)
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    form = SurveyForm(request.POST or None, ctx=request.org, initial=SurveyForm.initial_for(survey))
    if request.method == "POST" and form.is_valid():
        services.survey_update(survey=survey, **_survey_fields(form))
        messages.success(request, _("Survey settings saved."))
        return redirect("surveys:survey_detail", pk=survey.pk)
    return render(request, "surveys/builder/survey_form.html", {"form": form, "survey": survey})


@org_required()
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    context = _builder_context(request, survey, editing=request.GET.get("edit", "")[:50])
    if request.htmx:
        return render(request, "surveys/builder/_builder.html", context)
    context["response_rate"] = distribution_selectors.survey_response_rate(ctx=request.org, survey=survey)
    return render(request, "surveys/builder/survey_detail.html", context)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def survey_publish(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    try:
        version = services.survey_publish(survey=survey)
    except services.BuilderError as exc:
        if request.htmx:
            return _builder_response(request, survey, problems=exc.problems)
        for problem in exc.problems:
            messages.error(request, problem)
        return redirect("surveys:survey_detail", pk=survey.pk)
    messages.success(request, _("Version %(n)s is live.") % {"n": version.number})
    return redirect("surveys:survey_detail", pk=survey.pk)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def survey_discard_draft(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    try:
        services.survey_discard_draft(survey=survey)
        messages.success(request, _("Unpublished changes discarded."))
    except services.BuilderError as exc:
        messages.error(request, exc.problems[0])
    return redirect("surveys:survey_detail", pk=survey.pk)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def survey_archive(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    if survey.status == Survey.Status.ARCHIVED:
        services.survey_reopen(survey=survey)
        messages.success(request, _("Survey reopened."))
    else:
        services.survey_archive(survey=survey)
        messages.success(request, _("Survey closed: its links no longer accept answers."))
    return redirect("surveys:survey_detail", pk=survey.pk)


# -- questions -------------------------------------------------------------------------------------------------


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    form = AddQuestionForm(request.POST)
    if not form.is_valid():
        return _builder_response(request, survey, problems=[_("Choose a question type.")])
    question = services.question_add(survey=survey, kind=form.cleaned_data["kind"])
    return _builder_response(request, survey, editing=question.code)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def question_preset(request: HttpRequest, pk: int, preset: str) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    try:
        services.questions_add_preset(survey=survey, preset=preset)
    except services.BuilderError as exc:
        return _builder_response(request, survey, problems=exc.problems)
    return _builder_response(request, survey)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def question_edit(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    version = selectors.editable_version(survey=survey)
    question = version.questions.filter(code=code).first() if version else None
    if question is None:
        return _builder_response(request, survey, problems=[_("That question no longer exists.")])
    form = QuestionForm(
        request.POST,
        survey=survey,
        question=question,
        code_locked=services.code_is_locked(survey=survey, code=code),
    )
    if form.is_valid():
        options = None
        if question.is_choice:
            options = services.options_from_lines(
                existing=question.options, lines=form.option_lines(), fallback=survey.default_language
            )
        try:
            saved = services.question_update(
                survey=survey,
                code=code,
                new_code=form.cleaned_data["code"],
                text=form.texts(),
                required=form.cleaned_data["required"],
                options=options,
                scale_min=form.cleaned_data.get("scale_min"),
                scale_max=form.cleaned_data.get("scale_max"),
                follow_up_for_code=form.cleaned_data.get("follow_up_for") or None,
            )
        except services.BuilderError as exc:
            form.add_error(None, "; ".join(exc.problems))
        else:
            if request.htmx:
                return render(request, "surveys/builder/_builder.html", _builder_context(request, survey))
            messages.success(request, _("Question “%(code)s” saved.") % {"code": saved.code})
            return redirect(reverse("surveys:survey_detail", args=[survey.pk]) + f"#q-{saved.code}")
    context = _builder_context(request, survey, editing=code, edit_form=form)
    template = "surveys/builder/_builder.html" if request.htmx else "surveys/builder/survey_detail.html"
    return render(request, template, context)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def question_delete(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    try:
        services.question_delete(survey=survey, code=code)
    except Question.DoesNotExist:
        pass  # deleted already (a double click)
    except services.BuilderError as exc:
        return _builder_response(request, survey, problems=exc.problems)
    return _builder_response(request, survey)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def question_move(request: HttpRequest, pk: int, code: str, direction: str) -> HttpResponse:
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    with contextlib.suppress(Question.DoesNotExist):
        services.question_move(survey=survey, code=code, direction=direction)
    return _builder_response(request, survey)


# -- preview ---------------------------------------------------------------------------------------------------


@org_required()
def survey_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The public page for any version and language; posting validates the answers but saves nothing."""
    survey = selectors.survey_get(ctx=request.org, pk=pk)
    which = "live" if request.GET.get("version") == "live" else "draft"
    if which == "live" and survey.current_version is not None:
        version = survey.current_version
    else:
        version = selectors.editable_version(survey=survey)
    questions = selectors.version_questions(version=version)
    language = lang_rules.resolve(
        available=list(survey.languages or [survey.default_language]),
        fallback=survey.default_language,
        explicit=request.GET.get("lang"),
        accept_language=request.headers.get("accept-language", ""),
        organization_default=request.org.organization.default_language,
    )
    values, errors, ok = None, None, False
    if request.method == "POST":
        with translation.override(language):
            _answers, values, errors = parse_answers(questions, request.POST, text_max=settings.SURVEYS_TEXT_MAX_LENGTH)
        ok = not errors
    return survey_form_page(
        request,
        survey=survey,
        questions=questions,
        language=language,
        action=request.get_full_path(),
        values=values,
        errors=errors,
        preview=True,
        preview_ok=ok,
        switcher_extra={"version": which},
        extra={"back_url": reverse("surveys:survey_detail", args=[survey.pk])},
    )
