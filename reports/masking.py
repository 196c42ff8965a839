"""Mask personal data in customer comments before a report quotes them (pure functions, no Django).

Masked: e-mail addresses, phone numbers (Nordic and international forms) and national id numbers: Swedish
personnummer (YYMMDD-NNNN, YYYYMMDDNNNN, with - or +), Norwegian fødselsnummer (11 digits, DDMMYY NNNNN) and
Danish CPR numbers (DDMMYY-NNNN). Id numbers are masked before phone numbers so an id is never half-read as a phone.
"""

from __future__ import annotations

import re

MASK = "▒▒▒"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Swedish personnummer (10 or 12 digits, optional - or + before the last four), Danish CPR (DDMMYY-NNNN) and the
# Norwegian fødselsnummer (11 digits, optionally DDMMYY NNNNN).
_NATIONAL_ID = re.compile(
    r"(?<![\d])(?:(?:19|20)?\d{6}[-+ ]?\d{4}|\d{6}[ ]?\d{5})(?![\d])",
)
# Phone numbers: an optional +country code or leading 0, then at least 7 more digits with spaces, dashes or
# parentheses between groups.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ()\-]{6,}\d(?![\d])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def mask_personal_data(text: str) -> str:
    """`text` with e-mail addresses, national id numbers and phone numbers replaced by a mask."""
    if not text:
        return text
    text = _EMAIL.sub(MASK, text)
    text = _NATIONAL_ID.sub(MASK, text)

    def phone(match: re.Match) -> str:
        found = match.group(0)
        if _ISO_DATE.fullmatch(found.strip()):
            return found  # a date, not a number to hide
        return MASK if sum(ch.isdigit() for ch in found) >= 7 else found

    return _PHONE.sub(phone, text)
