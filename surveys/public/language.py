"""Which language a respondent sees: one place for the rule, used by the public pages, preview and e-mails."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation.trans_real import parse_accept_lang_header

# Browsers send "no" or "nn" for Norwegian as often as "nb"; surveys are written in Bokmål.
ALIASES = {"no": "nb", "nn": "nb"}


def survey_language_codes() -> list[str]:
    return list(settings.SURVEY_LANGUAGES)


def language_name(code: str) -> str:
    """The language's own name ("svenska", "norsk (bokmål)"), for switchers respondents read."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


def language_choices() -> list[tuple[str, str]]:
    return [(code, f"{language_name(code)} ({code})") for code in survey_language_codes()]


def normalize(code: str | None) -> str:
    """'nb-NO' -> 'nb', 'no' -> 'nb', 'sv_SE' -> 'sv'; '' for nothing usable."""
    if not code or len(code) > 20:
        return ""
    base = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def from_accept_language(header: str, available: list[str]) -> str:
    if not header or len(header) > 500:
        return ""
    try:
        parsed = parse_accept_lang_header(header)
    except ValueError:
        return ""
    for code, _q in parsed:
        lang = normalize(code)
        if lang in available:
            return lang
    return ""


def resolve(
    *,
    available: list[str],
    fallback: str,
    explicit: str | None = None,
    invitation: str | None = None,
    accept_language: str = "",
    organization_default: str = "",
) -> str:
    """Pick the respondent's language among the survey's languages.

    An explicit choice (the page's language switcher, `?lang=`) wins, then the invitation's language, the browser's
    Accept-Language, the organization's default, and last the survey's fallback language.
    """
    for candidate in (normalize(explicit), normalize(invitation)):
        if candidate in available:
            return candidate
    lang = from_accept_language(accept_language, available)
    if lang:
        return lang
    org = normalize(organization_default)
    if org in available:
        return org
    return fallback if fallback in available or not available else available[0]
