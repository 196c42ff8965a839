"""Value parsers shared by import handlers. Each takes a stripped cell and raises ValueError with a message for users.

Strict but helpful: they accept what Nordic spreadsheets commonly contain (ja/nej/nei, "nb-NO", "1 234,50",
"31.12.2026") and refuse guesses (e.g. "se" is not taken for Swedish: it is Northern Sami and Sweden's country code).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

SUPPORTED_LANGUAGES = ("sv", "nb", "da", "en")

_TRUE = frozenset({"yes", "y", "true", "t", "1", "ja", "j", "x"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "nej", "nei"})

_LANGUAGE_ALIASES = {
    "sv": "sv",
    "swe": "sv",
    "swedish": "sv",
    "svenska": "sv",
    "svensk": "sv",
    "nb": "nb",
    "no": "nb",
    "nn": "nb",
    "nob": "nb",
    "nor": "nb",
    "norwegian": "nb",
    "norsk": "nb",
    "bokmål": "nb",
    "bokmal": "nb",
    "da": "da",
    "dan": "da",
    "danish": "da",
    "dansk": "da",
    "en": "en",
    "eng": "en",
    "english": "en",
    "engelska": "en",
    "engelsk": "en",
}
# Codes people type by mistake, with the hint they need.
_LANGUAGE_HINTS = {
    "se": "sv",
    "dk": "da",
    "gb": "en",
    "uk": "en",
    "us": "en",
}

_email_validator = EmailValidator()
# Plain addresses (nearly all of them) pass this strict subset of Django's rules without the slower full check.
_PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)


def parse_bool(value: str) -> bool:
    key = value.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(
        _('"%(value)s" is not yes/no (use yes, no, true, false, 1, 0, ja, nej or nei).') % {"value": value}
    )


def parse_language(value: str) -> str:
    """Return one of SUPPORTED_LANGUAGES for a code, a locale like nb-NO / sv_SE, or a language name."""
    key = value.strip().lower().replace("_", "-")
    if key in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[key]
    base, _sep, region = key.partition("-")
    if region and base in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[base]
    if key in _LANGUAGE_HINTS:
        raise ValueError(
            _('"%(value)s" is a country code, not a language: did you mean "%(code)s"?')
            % {"value": value, "code": _LANGUAGE_HINTS[key]}
        )
    raise ValueError(
        _('Unknown language "%(value)s" (use %(codes)s).') % {"value": value, "codes": ", ".join(SUPPORTED_LANGUAGES)}
    )


def clean_email(value: str) -> str:
    value = value.strip()
    if len(value) > 254:
        raise ValueError(_("E-mail address is too long."))
    if not _PLAIN_EMAIL.match(value):
        try:
            _email_validator(value)
        except ValidationError:
            raise ValueError(_('"%(value)s" is not a valid e-mail address.') % {"value": value})
    # The domain part is case-insensitive; the local part is left as given.
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def parse_decimal(value: str) -> Decimal:
    """Accept 1234.5, 1234,5, 1 234,50 and 1,234.50 (thousands separators with the other decimal mark)."""
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_('"%(value)s" is not a number.') % {"value": value})
    if not number.is_finite():
        raise ValueError(_('"%(value)s" is not a number.') % {"value": value})
    return number


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%Y/%m/%d")


def parse_date(value: str) -> dt.date:
    """ISO dates, plus the day-first forms used in Norway and Denmark (31.12.2026, 31/12/2026)."""
    text = value.strip()
    # Spreadsheets often give "2026-12-31 00:00:00".
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_('"%(value)s" is not a date (use YYYY-MM-DD).') % {"value": value})


_MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_FIRST_RE = re.compile(r"^(\d{1,2})[-/.](\d{4})$")


def parse_month(value: str) -> dt.date:
    """YYYY-MM (also YYYY/MM, MM/YYYY) or a full date on the first day of the month; returns that first day."""
    text = str(value).strip()
    year = month = None
    if m := _MONTH_RE.match(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _MONTH_FIRST_RE.match(text):
        month, year = int(m.group(1)), int(m.group(2))
    if year is not None:
        if not 1 <= month <= 12 or year < 1900:
            raise ValueError(_('"%(value)s" is not a month (use YYYY-MM).') % {"value": value})
        return dt.date(year, month, 1)
    try:
        day = parse_date(text)
    except ValueError:
        raise ValueError(_('"%(value)s" is not a month (use YYYY-MM).') % {"value": value}) from None
    if day.day != 1:
        raise ValueError(
            _('"%(value)s" is not the first day of a month: give the month as YYYY-MM.') % {"value": value}
        )
    return day


# Churn labels as exports write them: a yes/no, a 1/0, or a word for each side.
_LEFT = _TRUE | frozenset(
    {"churn", "churned", "left", "exited", "lost", "cancelled", "canceled", "terminated", "inactive", "former"}
)
_LEFT |= frozenset({"uppsagd", "avslutad", "slutat", "sagt opp", "oppsagt", "opsagt", "ophørt", "ophort", "avsluttet"})
_STAYED = _FALSE | frozenset(
    {"stayed", "retained", "active", "current", "remained", "not churned", "no churn", "stay", "existing"}
)
_STAYED |= frozenset({"kvar", "aktiv", "kvarstående", "blev", "ble", "fortsatt", "stannade"})


def parse_churned(value: str) -> bool:
    """True for a row labelled as churned (Yes, 1, true, ja, churned, left ...), False for one that stayed."""
    key = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    if key in _LEFT:
        return True
    if key in _STAYED:
        return False
    raise ValueError(
        _('"%(value)s" is not a churn label (use yes/no, 1/0, true/false, ja/nej/nei, churned/stayed).')
        % {"value": value}
    )
