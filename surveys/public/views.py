"""Public, unauthenticated survey pages: anonymous touchpoint links (/s/t/<token>/) and invitations (/s/i/<token>/).

One short page per survey, in the respondent's language, no third-party requests. Posting re-renders with every
typed value kept when something is wrong; a good post is handed to the ingestion service and answered with a
redirect to the thank-you page.
"""

from __future__ import annotations

import logging
import re
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from surveys.models import Invitation, Question, Survey
from surveys.public import language as lang_rules
from surveys.public import ratelimit, selectors
from surveys.public.forms import build_fields, parse_answers

logger = logging.getLogger("surveys.public")

HONEYPOT = "homepage"
SUBMISSION_KEY = "submission"
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,43}$")


def _languages(survey: Survey) -> list[str]:
    return list(survey.languages or [survey.default_language])


def _pick_language(request: HttpRequest, survey: Survey, invitation: Invitation | None = None) -> str:
    return lang_rules.resolve(
        available=_languages(survey),
        fallback=survey.default_language,
        explicit=request.GET.get("lang"),
        invitation=invitation.language if invitation else None,
        accept_language=request.headers.get("accept-language", ""),
        organization_default=survey.organization.default_language,
    )


def _switcher(request: HttpRequest, survey: Survey, current: str, extra: dict | None = None) -> list[dict]:
    return [
        {
            "code": code,
            "name": lang_rules.language_name(code),
            "url": f"{request.path}?{urlencode({**(extra or {}), 'lang': code})}",
            "current": code == current,
        }
        for code in _languages(survey)
    ]


def render_page(
    request: HttpRequest,
    template: str,
    *,
    survey: Survey,
    language: str,
    context: dict | None = None,
    status: int = 200,
    switcher_extra: dict | None = None,
) -> HttpResponse:
    """Render a respondent page with every string (ours and Django's) in the respondent's language."""
    with translation.override(language):
        response = render(
            request,
            template,
            {
                "survey": survey,
                "organization": survey.organization,
                "lang": language,
                "languages": _switcher(request, survey, language, switcher_extra),
                **(context or {}),
            },
            status=status,
        )
    response.headers["Content-Language"] = language
    return response


def survey_form_page(
    request: HttpRequest,
    *,
    survey: Survey,
    questions: list[Question],
    language: str,
    action: str,
    values: dict | None = None,
    errors: dict | None = None,
    general_error: str = "",
    status: int = 200,
    preview: bool = False,
    preview_ok: bool = False,
    switcher_extra: dict | None = None,
    submission: str = "",
    extra: dict | None = None,
) -> HttpResponse:
    with translation.override(language):
        fields = build_fields(
            questions, language=language, fallback=survey.default_language, values=values, errors=errors
        )
    return render_page(
        request,
        "surveys/public/survey.html",
        survey=survey,
        language=language,
        status=status,
        switcher_extra=switcher_extra,
        context={
            "fields": fields,
            "action": action,
            "errors": errors or {},
            "general_error": general_error,
            "honeypot": HONEYPOT,
            "submission_name": SUBMISSION_KEY,
            "submission": submission or secrets.token_urlsafe(16),
            "preview": preview,
            "preview_ok": preview_ok,
            **(extra or {}),
        },
    )


def _message_page(request, survey, language, *, title: str, message: str, status: int, kind: str = "info"):
    return render_page(
        request,
        "surveys/public/message.html",
        survey=survey,
        language=language,
        status=status,
        context={"title": title, "message": message, "kind": kind},
    )


def _closed(request, survey, language):
    with translation.override(language):
        title, message = _("This survey is closed"), _("This survey no longer accepts answers. Thank you anyway!")
    return _message_page(request, survey, language, title=title, message=message, status=410)


def _already_answered(request, survey, language, status=200):
    with translation.override(language):
        title = _("You have already answered")
        message = _("This survey link has already been used to answer. Thank you for your feedback!")
    return _message_page(request, survey, language, title=title, message=message, status=status, kind="success")


def _expired(request, survey, language):
    with translation.override(language):
        title = _("This link has expired")
        message = _("The time for answering this survey has run out. Thank you for your interest!")
    return _message_page(request, survey, language, title=title, message=message, status=410)


def _not_found(request: HttpRequest) -> HttpResponse:
    available = lang_rules.survey_language_codes()
    lang = lang_rules.from_accept_language(request.headers.get("accept-language", ""), available)
    with translation.override(lang or settings.LANGUAGE_CODE):
        return render(request, "surveys/public/not_found.html", status=404)


def _too_many(request, survey, language):
    with translation.override(language):
        title = _("Too many answers")
        message = _(
            "We have received many answers from your network in the last minute. Please wait a minute and send "
            "your answer again."
        )
    response = _message_page(request, survey, language, title=title, message=message, status=429, kind="warning")
    response.headers["Retry-After"] = "60"
    return response


def _too_large(request, survey, language):
    with translation.override(language):
        title = _("Your answer is too long")
        message = _("Please shorten your answers and try again.")
    return _message_page(request, survey, language, title=title, message=message, status=413, kind="warning")


def _submission_key(request: HttpRequest) -> str:
    key = request.POST.get(SUBMISSION_KEY, "")
    return key if _KEY_RE.match(key) else ""


def _handle_post(
    request: HttpRequest,
    *,
    survey: Survey,
    language: str,
    touchpoint,
    invitation: Invitation | None,
    thanks_url: str,
) -> HttpResponse:
    if not ratelimit.allow(request):
        logger.warning("survey submission rate-limited: survey=%s ip=%s", survey.pk, ratelimit.client_ip(request))
        return _too_many(request, survey, language)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.SURVEYS_PUBLIC_MAX_BYTES:
        return _too_large(request, survey, language)
    if request.POST.get(HONEYPOT, "").strip():
        # Looks accepted to the bot; nothing is stored and the invitation stays unused.
        logger.warning(
            "survey honeypot filled: survey=%s ip=%s: answered as accepted, nothing stored",
            survey.pk,
            ratelimit.client_ip(request),
        )
        return HttpResponseRedirect(thanks_url)

    version, questions = selectors.live_questions(survey)
    with translation.override(language):
        answers, values, errors = parse_answers(questions, request.POST, text_max=settings.SURVEYS_TEXT_MAX_LENGTH)
        general_error = ""
        if not errors and not answers:
            general_error = _("Please answer at least one question before sending.")
        if not errors and not general_error:
            from surveys.ingestion.errors import (
                AnswerValidationError,
                IngestionError,
                InvitationExpired,
                InvitationUsed,
            )
            from surveys.ingestion.services import response_submit

            key = _submission_key(request)
            try:
                response_submit(
                    organization=survey.organization,
                    survey=survey,
                    version=version,
                    answers=answers,
                    touchpoint=touchpoint,
                    customer=invitation.customer if invitation else None,
                    invitation=invitation,
                    language=language,
                    channel=_response_channel(invitation),
                    source="web",
                    idempotency_key=f"web-{key}" if key else None,
                )
            except InvitationUsed:
                return _already_answered(request, survey, language, status=409)
            except InvitationExpired:
                return _expired(request, survey, language)
            except AnswerValidationError as exc:
                errors = {code: str(msg) for code, msg in exc.errors.items() if code != "__all__"}
                general_error = str(exc.errors.get("__all__", "")) or (
                    "" if errors else _("Your answer could not be saved.")
                )
            except IngestionError:
                logger.warning("survey submission refused: survey=%s", survey.pk, exc_info=True)
                general_error = _("Your answer could not be saved.")
            else:
                return HttpResponseRedirect(thanks_url)
        if errors and not general_error:
            general_error = _("Please check the highlighted questions.")
    return survey_form_page(
        request,
        survey=survey,
        questions=questions,
        language=language,
        action=request.get_full_path(),
        values=values,
        errors=errors,
        general_error=general_error,
        status=400,
        submission=_submission_key(request),
    )


def _response_channel(invitation: Invitation | None) -> str:
    if invitation is not None and invitation.channel in (Invitation.Channel.EMAIL, Invitation.Channel.SMS):
        return invitation.channel
    return "web"


def _thanks_url(name: str, token: str, language: str) -> str:
    return f"{reverse(name, args=[token])}?{urlencode({'lang': language})}"


@never_cache
@require_http_methods(["GET", "POST"])
def link_survey(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_by_token(token)
    if link is None:
        return _not_found(request)
    survey = link.survey
    language = _pick_language(request, survey)
    if not selectors.link_is_open(link):
        return _closed(request, survey, language)
    thanks = _thanks_url("public:link_thanks", token, language)
    if request.method == "POST":
        return _handle_post(
            request, survey=survey, language=language, touchpoint=link.touchpoint, invitation=None, thanks_url=thanks
        )
    _version, questions = selectors.live_questions(survey)
    return survey_form_page(
        request, survey=survey, questions=questions, language=language, action=request.get_full_path()
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_survey(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        return _not_found(request)
    survey = invitation.survey
    language = _pick_language(request, survey, invitation)
    if invitation.is_used:
        return _already_answered(request, survey, language, status=409 if request.method == "POST" else 200)
    if invitation.is_withdrawn or invitation.is_expired:
        return _expired(request, survey, language)
    if not selectors.survey_is_open(survey):
        return _closed(request, survey, language)
    thanks = _thanks_url("public:invitation_thanks", token, language)
    if request.method == "POST":
        return _handle_post(
            request,
            survey=survey,
            language=language,
            touchpoint=invitation.touchpoint,
            invitation=invitation,
            thanks_url=thanks,
        )
    _version, questions = selectors.live_questions(survey)
    return survey_form_page(
        request, survey=survey, questions=questions, language=language, action=request.get_full_path()
    )


def _thanks(request: HttpRequest, survey: Survey) -> HttpResponse:
    language = _pick_language(request, survey)
    return render_page(request, "surveys/public/thanks.html", survey=survey, language=language)


@require_http_methods(["GET"])
def link_thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_by_token(token)
    return _not_found(request) if link is None else _thanks(request, link.survey)


@require_http_methods(["GET"])
def invitation_thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    return _not_found(request) if invitation is None else _thanks(request, invitation.survey)
