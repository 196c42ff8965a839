"""Value rules for customer fields, shared by the form, the API and the importer (raise ValueError for users)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_PHONE_ALLOWED = re.compile(r"^\+?[\d\s\-().\/]+$")
_COUNTRY_NAMES = {
    "sweden": "SE",
    "sverige": "SE",
    "norway": "NO",
    "norge": "NO",
    "noreg": "NO",
    "denmark": "DK",
    "danmark": "DK",
    "finland": "FI",
    "suomi": "FI",
    "iceland": "IS",
    "island": "IS",
}


def normalize_phone(value: str) -> str:
    """Keep a leading + and the digits, so "+46 70-123 45 67" and "+46701234567" are one number (and searchable)."""
    value = value.strip()
    if not value:
        return ""
    if not _PHONE_ALLOWED.match(value):
        raise ValueError(_('"%(value)s" is not a phone number (digits, spaces, + - ( ) only).') % {"value": value})
    digits = re.sub(r"\D", "", value)
    if len(digits) < 5:
        raise ValueError(_('"%(value)s" is too short for a phone number.') % {"value": value})
    if value.startswith("00"):
        digits, plus = digits[2:], "+"
    else:
        plus = "+" if value.startswith("+") else ""
    phone = plus + digits
    if len(phone) > 40:
        raise ValueError(_("Phone number is too long."))
    return phone


def normalize_country(value: str) -> str:
    """A two-letter ISO code (case-insensitive), or a Nordic country's name."""
    value = value.strip()
    if not value:
        return ""
    if value.lower() in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[value.lower()]
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    raise ValueError(_('"%(value)s" is not a two-letter country code (e.g. SE, NO, DK).') % {"value": value})
