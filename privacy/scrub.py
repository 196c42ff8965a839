"""Finding and masking a person's identifiers in free text and JSON (pure functions, no Django).

A `Needles` holds what identifies the people being erased: names, e-mail addresses, phone numbers, external ids
and the text of their comments. Two strengths:
- `strong`: specific enough to search the whole organization for: e-mail addresses, phone numbers, names of two
  words or more, external ids of at least MIN_STRONG characters (MIN_DIGITS if only digits), comments of at least
  MIN_COMMENT; so an external id such as "17" or a one-word name such as "Telia" never masks an unrelated word in a
  journey description;
- `weak`: also the parts of a name ("Anna" of "Anna Berg"), used only in rows known to be about the person (their
  cases' notes), where a first name alone still identifies them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.masking import MASK, mask_personal_data

MIN_STRONG = 4
MIN_DIGITS = 6
MIN_COMMENT = 16
MIN_NAME_PART = 2


def _variants(value: str) -> set[str]:
    """The forms a value is stored in: as is, HTML-escaped (rendered pages), JSON-escaped (SQLite JSON text)."""
    out = {value, html.escape(value), html.escape(value, quote=False)}
    out.add(json.dumps(value)[1:-1])
    return {v for v in out if v}


def _phone_variants(phone: str) -> set[str]:
    digits = re.sub(r"\D", "", phone)
    out = {phone}
    if len(digits) >= 7:
        out.add(digits)
        if phone.startswith("+"):
            out.add("+" + digits)
            out.add("00" + digits)
    return out


@dataclass
class Needles:
    strong: set[str] = field(default_factory=set)
    weak: set[str] = field(default_factory=set)

    def add_person(self, *, name: str = "", email: str = "", phone: str = "", external_id: str = "") -> None:
        name, email, phone, external_id = (v.strip() for v in (name, email, phone, external_id))
        # A one-word name ("Telia", a B2B customer) or a short number is too common a word to mask organization-wide.
        strong = {
            name: len(name) >= MIN_STRONG and len(name.split()) > 1,
            email: "@" in email,
            external_id: len(external_id) >= (MIN_DIGITS if external_id.isdigit() else MIN_STRONG),
        }
        for value, is_strong in strong.items():
            if value:
                (self.strong if is_strong else self.weak).update(_variants(value))
        if phone:
            for value in _phone_variants(phone):
                (self.strong if len(value) >= MIN_STRONG else self.weak).add(value)
        for part in re.split(r"[\s,]+", name):
            if len(part) >= MIN_NAME_PART:
                self.weak.update(_variants(part))

    def add_comment(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        forms = {text, mask_personal_data(text)}
        for form in forms:
            (self.strong if len(form) >= MIN_COMMENT else self.weak).update(_variants(form))

    def __bool__(self) -> bool:
        return bool(self.strong or self.weak)

    def pattern(self, *, weak: bool = False) -> re.Pattern | None:
        return pattern_for(self.strong | self.weak if weak else self.strong)


def pattern_for(values: Iterable[str]) -> re.Pattern | None:
    values = sorted({v for v in values if v}, key=len, reverse=True)  # longest first: a name before its parts
    if not values:
        return None
    # Word boundaries only where the needle starts or ends with a word character ("Ann" must not mask "Annika").
    parts = []
    for v in values:
        left = r"(?<!\w)" if v[0].isalnum() else ""
        right = r"(?!\w)" if v[-1].isalnum() else ""
        parts.append(f"{left}{re.escape(v)}{right}")
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub_text(text: str, pattern: re.Pattern | None) -> str:
    if not text or pattern is None:
        return text
    return pattern.sub(MASK, text)


def scrub_value(value: Any, pattern: re.Pattern | None) -> Any:
    """A JSON value with every string (keys too) scrubbed."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return scrub_text(value, pattern)
    if isinstance(value, list):
        return [scrub_value(v, pattern) for v in value]
    if isinstance(value, dict):
        return {scrub_text(k, pattern): scrub_value(v, pattern) for k, v in value.items()}
    return value


def mask_note(text: str, pattern: re.Pattern | None) -> str:
    """A staff note about the person: their identifiers and any e-mail, phone or id number masked."""
    return mask_personal_data(scrub_text(text, pattern))


def mentions(data: bytes | str, values: Iterable[str]) -> bool:
    """Whether any value occurs in `data` (case-insensitive); for stored files."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    haystack = data.casefold()
    return any(v.casefold() in haystack for v in values if v)
