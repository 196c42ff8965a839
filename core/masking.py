"""Find and mask personal data in customer comments (pure functions, no Django).

What is masked, in this order (a span found earlier is never read again by a later rule):

1. e-mail addresses;
2. Swedish personnummer / samordningsnummer: YYMMDD[-+ ]NNNN, YYMMDDNNNN, YYYYMMDD[-]NNNN or YYYYMMDDNNNN with a
   valid date (day + 60 for a samordningsnummer) and a valid Luhn digit over the 10-digit form;
3. Norwegian fødselsnummer / D-number: DDMMYY[ ]IIIKK with a valid date (day + 40 for a D-number) and both mod-11
   control digits right;
4. Danish CPR numbers: a hyphenated DDMMYY-SSSS is masked when the date is valid (CPR numbers issued since 2007 no
   longer satisfy the old mod-11 check, so it cannot be required); a bare 10-digit DDMMYYSSSS is masked as a CPR
   number only when it also passes mod-11 (otherwise any 10-digit reference with a date-like start would go);
5. payment cards: 13-19 digits, optionally in groups of 3-6 separated by single spaces or dashes, Luhn-valid;
6. phone numbers. A candidate is a run of digits with single spaces, dashes or a parenthesised group between them
   ("070-123 45 67", "+46 (0)70 123 45 67", "912 34 567"). It is a phone number when
   - it starts with "+" or "00" and has 7-15 digits after that prefix (an international number), or
   - it starts with a single 0 and has 8-10 digits (a Swedish national number: 070-123 45 67, 08-123 456 78), or
   - it has exactly 8 digits and does not start with 0 (a Norwegian or Danish subscriber number: 912 34 567,
     20 12 34 56), unless the words just before it name a reference ("order 12345678", "ärende 12345678",
     "faktura nr 12345678", "#12345678").
   Never a phone number: a date (2024-03-01, 01-03-2024), an amount ("12 345 678 kr"), an id-shaped number that
   failed its check digit (811218-9875, YYMMDD-NNNN), and anything else: order numbers ("order 12345"), a 16-digit
   number failing Luhn, an 11-digit number failing mod-11 - numbers with an invalid check digit are not masked.
   (A bare number of 8-10 digits starting with 0 is a Swedish phone number whatever it might otherwise be.)

A Swedish YYMMDD-NNNN and a Danish DDMMYY-SSSS share their shape; a number valid as either is masked (as the first
kind that accepts it), so the kind reported is a best reading, the masking is what matters.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MASK = "▒▒▒"

EMAIL = "email"
PHONE = "phone"
PERSONNUMMER = "personnummer"
FODSELSNUMMER = "fodselsnummer"
CPR = "cpr"
CARD = "card"


@dataclass(frozen=True, slots=True)
class PersonalData:
    kind: str
    start: int
    end: int


# --- check digits and dates -------------------------------------------------------------------------------------


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def luhn_valid(digits: str) -> bool:
    """True when the digits of `digits` (separators ignored) pass the Luhn (mod-10) check."""
    ds = _digits(digits)
    if len(ds) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(ds)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _date_ok(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


_PNR = re.compile(r"(\d{2})?(\d{6})([-+ ]?)(\d{4})")


def personnummer_valid(s: str) -> bool:
    """True for a Swedish personnummer or samordningsnummer (10 or 12 digits) with a valid date and Luhn digit."""
    m = _PNR.fullmatch(s.strip())
    if not m:
        return False
    century, yymmdd, _sep, last4 = m.groups()
    if century is not None and century not in ("18", "19", "20"):
        return False
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if dd > 60:  # samordningsnummer
        dd -= 60
    # Without the century, accept the date if it exists in either.
    years = [int(century) * 100 + yy] if century is not None else [1900 + yy, 2000 + yy]
    if not any(_date_ok(y, mm, dd) for y in years):
        return False
    return luhn_valid(yymmdd + last4)


_FNR = re.compile(r"(\d{6}) ?(\d{5})")
_FNR_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _mod11_digit(digits: list[int], weights: tuple[int, ...]) -> int | None:
    k = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if k == 11:
        return 0
    return None if k == 10 else k


def _fnr_year(yy: int, individual: int) -> int | None:
    if individual <= 499:
        return 1900 + yy
    if individual <= 749 and yy >= 54:
        return 1800 + yy
    if yy <= 39:
        return 2000 + yy
    if individual >= 900:
        return 1900 + yy
    return None


def fodselsnummer_valid(s: str) -> bool:
    """True for a Norwegian fødselsnummer or D-number (DDMMYYIIIKK): valid date and both mod-11 control digits."""
    m = _FNR.fullmatch(s.strip())
    if not m:
        return False
    ds = [int(ch) for ch in m.group(1) + m.group(2)]
    k1 = _mod11_digit(ds[:9], _FNR_W1)
    if k1 is None or k1 != ds[9]:
        return False
    k2 = _mod11_digit(ds[:10], _FNR_W2)
    if k2 is None or k2 != ds[10]:
        return False
    dd, mm, yy = ds[0] * 10 + ds[1], ds[2] * 10 + ds[3], ds[4] * 10 + ds[5]
    if dd > 40:  # D-number
        dd -= 40
    year = _fnr_year(yy, ds[6] * 100 + ds[7] * 10 + ds[8])
    return year is not None and _date_ok(year, mm, dd)


_CPR = re.compile(r"(\d{6})(-?)(\d{4})")
_CPR_W = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def _cpr_year(yy: int, digit7: int) -> int:
    if digit7 <= 3:
        return 1900 + yy
    if digit7 in (4, 9):
        return 2000 + yy if yy <= 36 else 1900 + yy
    return 2000 + yy if yy <= 57 else 1800 + yy


def cpr_valid(s: str) -> bool:
    """True for a Danish CPR number: DDMMYY-SSSS with a valid date, or a bare DDMMYYSSSS that also passes mod-11.

    Numbers issued since 2007 need not pass mod-11, so the hyphenated form (how people write their CPR number) is
    accepted on the date alone; a bare 10-digit number is too common (references, order numbers) to mask on that.
    """
    m = _CPR.fullmatch(s.strip())
    if not m:
        return False
    ddmmyy, hyphen, last4 = m.groups()
    ds = [int(ch) for ch in ddmmyy + last4]
    dd, mm, yy = ds[0] * 10 + ds[1], ds[2] * 10 + ds[3], ds[4] * 10 + ds[5]
    if not _date_ok(_cpr_year(yy, ds[6]), mm, dd):
        return False
    if hyphen:
        return True
    return sum(d * w for d, w in zip(ds, _CPR_W, strict=True)) % 11 == 0


# --- finding ----------------------------------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Not inside a longer digit run (also not right after "1 " or "1-" of a longer grouped number).
_START = r"(?<![\d+])(?<!\d[ -])"
_END = r"(?!\d)"
_PNR_FIND = re.compile(_START + r"(?:1[89]|20)?\d{6}[-+ ]?\d{4}" + _END)
_FNR_FIND = re.compile(_START + r"\d{6} ?\d{5}" + _END)
_CPR_FIND = re.compile(_START + r"\d{6}-?\d{4}" + _END)
_CARD_FIND = re.compile(_START + r"\d(?:[ -]?\d){12,18}(?!\d)")
_CARD_GROUPS = re.compile(r"\d{3,6}(?:([ -])\d{3,6})*")
_PHONE_FIND = re.compile(r"(?<![\w+])(?:\+ ?)?(?:\(\d{1,4}\)|\d)(?:[ -]?(?:\(\d{1,4}\)|\d))*")
_NOT_PHONE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4}"  # dates
    r"|(?:\d{2})?\d{6}[-+]\d{4}"  # an id-shaped number that failed its check digit
)
_AMOUNT = re.compile(r"\s*(?:kr\b|sek\b|nok\b|dkk\b|kroner\b|kronor\b|eur\b|€|\$|£)", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?:#|\b(?:order|ordre|ordrenr|ordernr|ordernummer|ordrenummer|ordrenummeret|ärende|ärendenummer|ärendenr|"
    r"sak|saken|saksnummer|saksnr|sag|sagen|sagsnummer|sagsnr|case|ticket|ref|referens|referanse|reference|"
    r"faktura|fakturanummer|fakturanr|invoice|kundnummer|kundnr|kundenummer|kundenr)\.?:?"
    r"(?:\s*(?:nr|no|nummer|number)\.?:?)?)\s*$",
    re.IGNORECASE,
)


def _is_phone(candidate: str, before: str, after: str) -> bool:
    if _NOT_PHONE.fullmatch(candidate) or _AMOUNT.match(after):
        return False
    ds = _digits(candidate)
    if candidate.startswith("+"):
        return 7 <= len(ds) <= 15
    if ds.startswith("00"):
        return 7 <= len(ds) - 2 <= 15
    if ds.startswith("0"):
        return 8 <= len(ds) <= 10
    if len(ds) == 8:
        return not _REFERENCE.search(before)
    return False


def _card_ok(candidate: str) -> bool:
    ds = _digits(candidate)
    if not 13 <= len(ds) <= 19 or not luhn_valid(ds):
        return False
    if ds == candidate:
        return True
    m = _CARD_GROUPS.fullmatch(candidate)
    return bool(m) and len({ch for ch in candidate if not ch.isdigit()}) == 1


_ID_RULES = (
    (PERSONNUMMER, _PNR_FIND, personnummer_valid),
    (FODSELSNUMMER, _FNR_FIND, fodselsnummer_valid),
    (CPR, _CPR_FIND, cpr_valid),
    (CARD, _CARD_FIND, _card_ok),
)


def find_personal_data(text: str) -> list[PersonalData]:
    """Return the personal data in `text` (e-mail, ids, cards, phones), ordered by position, never overlapping."""
    if not text:
        return []
    found: list[PersonalData] = []
    work = text

    def take(kind: str, start: int, end: int) -> None:
        nonlocal work
        found.append(PersonalData(kind, start, end))
        work = work[:start] + "\x00" * (end - start) + work[end:]

    if "@" in work:
        for m in _EMAIL.finditer(work):
            take(EMAIL, m.start(), m.end())
    if len(_DIGIT.findall(work)) >= 7:
        for kind, pattern, valid in _ID_RULES:
            for m in pattern.finditer(work):
                if valid(m.group(0)):
                    take(kind, m.start(), m.end())
        for m in _PHONE_FIND.finditer(work):
            candidate = m.group(0)
            if _is_phone(candidate, work[max(0, m.start() - 40) : m.start()], work[m.end() : m.end() + 6]):
                take(PHONE, m.start(), m.end())
    return sorted(found, key=lambda p: p.start)


def mask_personal_data(text: str) -> str:
    """Return `text` with each piece of personal data replaced by MASK."""
    found = find_personal_data(text)
    for item in reversed(found):
        text = text[: item.start] + MASK + text[item.end :]
    return text
