"""The rules of a responses import, written once for both paths.

The PostgreSQL path (`sql.py`) runs them as SQL over a staging table; the portable path (`portable.py`, SQLite) runs
them in Python. Both must produce the same responses, the same idempotency keys and the same row errors for the same
file, so every rule lives here once: the patterns, each parsing rule in Python with its SQL twin beside it, the
messages and the keys; the table of a row's checks, from which both paths generate their error lists, is
`rule_table.py`. tests/surveys/ingestion/test_row_rules_parity.py runs the same rows through both paths,
test_import_paths.py the same whole file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from journeys.models import Channel
from surveys.ingestion.validation import TEXT_MAX_LENGTH

if TYPE_CHECKING:
    from surveys.ingestion.importers.plan import Plan

# Cells that mean "not applicable": the answer is skipped, not the row. Compared trimmed and lower-cased; an empty
# cell is always "not answered". The user adds codes per column (a 0 on a 1-5 scale, for instance).
NA_DEFAULTS = ("N/A", "NA", "n/a", "-", "vet ej", "vet ikke", "ved ikke", "don't know")
# Labels a yes/no column may hold, for prefilling the yes and no values (the user confirms them per column).
YES_HINTS = frozenset(
    {"1", "yes", "y", "true", "ja", "j", "sant", "sann", "sand", "satisfied", "nöjd", "fornøyd", "tilfreds", "good"}
)
NO_HINTS = frozenset({"0", "no", "n", "false", "nej", "nei", "falskt", "usant", "falsk"})
NO_FRAGMENTS = ("dissatisf", "unsatisf", "not ", "missnöjd", "misfornøy", "utilfreds", "neutral", "bad")

# Every pattern uses [0-9], not \d: PostgreSQL and Python disagree about non-ASCII digits. And \Z, not $: Python's $
# also matches before a final line break, so "8\n" would be a score in Python and not in PostgreSQL.
ISO_START_RE = r"^[0-9]{4}-"
# A one-digit day or month between separators gets its leading zero (1.3.2026 -> 01.03.2026).
PAD_RE = r"(^|[./-])([0-9])(?=[./ T-]|\Z)"
YEAR_FIRST_RE = r"^([0-9]{4})/([0-9]{2})/([0-9]{2})"
DOTTED_RE = r"^([0-9]{2})\.([0-9]{2})\.([0-9]{4})"  # dots: always day first (Nordic and German style)
YEAR_LAST_RE = r"^([0-9]{2})[/-]([0-9]{2})[/-]([0-9]{4})"  # slashes or dashes: the order the user confirmed
DATE_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)? *(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\Z"
)
INT_RE = r"^[0-9]{1,3}\Z"
DECIMAL_ZERO_RE = r"^[0-9]{1,3}[.,]0+\Z"
LANGUAGE_RE = r"^[a-z]{2,3}(?:-[a-z0-9]{2,4})?\Z"
KNOWN_LANGUAGES = sorted({code for code, _name in settings.LANGUAGES} | {"no", "nn", "fi", "de", "fr", "es"})
RESPONSE_ID_MAX = 90
CUSTOMER_ID_MAX = 100
KEY_MAX = 100
VALUE_SHOWN_MAX = 40  # how much of a bad cell an error message repeats
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
FUTURE_SLACK = dt.timedelta(days=1)  # a date up to a day ahead is a clock or time-zone slip, not the future
KEY_SEPARATOR = chr(31)

DATE_FORMATS = {
    "iso": "YYYY-MM-DD",
    "dmy": "DD.MM.YYYY / DD/MM/YYYY",
    "mdy": "MM/DD/YYYY",
    "ymd": "YYYY/MM/DD",
}

_iso_start = re.compile(ISO_START_RE)
_pad = re.compile(PAD_RE)
_year_first = re.compile(YEAR_FIRST_RE)
_dotted = re.compile(DOTTED_RE)
_year_last = re.compile(YEAR_LAST_RE)
_date = re.compile(DATE_RE)
_int = re.compile(INT_RE)
_decimal_zero = re.compile(DECIMAL_ZERO_RE)
_language = re.compile(LANGUAGE_RE)
_tz_part = re.compile(r"[Z+-]")


def codes(values: Iterable[str]) -> tuple[str, ...]:
    """Trimmed, lower-cased, de-duplicated codes (how N/A and yes/no values are compared)."""
    seen: dict[str, None] = {}
    for value in values:
        code = str(value).strip(" ").lower()
        if code:
            seen.setdefault(code, None)
    return tuple(seen)


def split_codes(text: str) -> list[str]:
    """A comma-separated list as typed in the mapping form."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def check_params(plan: Plan) -> dict[str, Any]:
    """The values the rules read, by name: bound as parameters by the SQL twins, read from this dict in Python."""
    return {
        "tz": plan.tz,
        "iso_start_re": ISO_START_RE,
        "pad_re": PAD_RE,
        "year_first_re": YEAR_FIRST_RE,
        "dotted_re": DOTTED_RE,
        "year_last_re": YEAR_LAST_RE,
        "year_last_to": "\\3-\\1-\\2" if plan.month_first else "\\3-\\2-\\1",
        "date_re": DATE_RE,
        "first_year": EARLIEST_YEAR,
        "last_year": LATEST_YEAR,
        "future_slack": FUTURE_SLACK,
        "int_re": INT_RE,
        "decimal_zero_re": DECIMAL_ZERO_RE,
        "language_re": LANGUAGE_RE,
        "languages": KNOWN_LANGUAGES,
        "channels": list(Channel.values),
        "text_max": TEXT_MAX_LENGTH,
        "rid_max": RESPONSE_ID_MAX,
        "cust_max": CUSTOMER_ID_MAX,
    }


# -- cells: each rule in Python, then its SQL twin ---------------------------------------------------------------


def cell(value: str | None) -> str:
    """A cell as both paths see it: PostgreSQL's btrim() removes spaces only."""
    return (value or "").strip(" ")


def parse_score(value: str) -> int | None:
    """A whole number, also written with a zero decimal part (7.0, 7,00)."""
    if _int.match(value):
        return int(value)
    if _decimal_zero.match(value):
        return int(value.replace(",", ".").split(".", 1)[0])
    return None


SCORE_SQL = (
    "CASE WHEN {v} ~ %(int_re)s THEN {v}::int "
    "WHEN {v} ~ %(decimal_zero_re)s THEN split_part(translate({v}, ',', '.'), '.', 1)::int END"
)


# -- dates -------------------------------------------------------------------------------------------------------


def normalise_date(raw: str, *, month_first: bool) -> str:
    """The date in ISO order; anything that is not a date comes back unchanged (and fails DATE_RE)."""
    if raw == "" or _iso_start.match(raw):
        return raw
    padded = _pad.sub(r"\g<1>0\g<2>", raw)
    padded = _year_first.sub(r"\g<1>-\g<2>-\g<3>", padded)
    padded = _dotted.sub(r"\g<3>-\g<2>-\g<1>", padded)
    return _year_last.sub(r"\g<3>-\g<1>-\g<2>" if month_first else r"\g<3>-\g<2>-\g<1>", padded)


NORMALISE_DATE_SQL = (
    "CASE WHEN {raw} = '' OR {raw} ~ %(iso_start_re)s THEN {raw} ELSE regexp_replace(regexp_replace("
    "regexp_replace(regexp_replace({raw}, %(pad_re)s, '\\10\\2', 'g'), %(year_first_re)s, '\\1-\\2-\\3'), "
    "%(dotted_re)s, '\\3-\\2-\\1'), %(year_last_re)s, %(year_last_to)s) END"
)


def _date_ok(nd: str) -> bool:
    """Whether a normalised date is a real moment (DATE_OK_SQL below says the same of the column nd)."""
    if not _date.match(nd):
        return False
    year, month, day = int(nd[0:4]), int(nd[5:7]), int(nd[8:10])
    if not (EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= month <= 12):
        return False
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    if not 1 <= day <= last:
        return False
    if len(nd) > 10 and (int(nd[11:13]) > 23 or int(nd[14:16]) > 59 or (nd[16:17] == ":" and int(nd[17:19]) > 59)):
        return False
    if len(nd) > 16:
        offset = re.search(r"[+-]([0-9]{2}):?([0-9]{2})?", nd[16:])
        if offset and (int(offset.group(1)) > 14 or int(offset.group(2) or 0) > 59):
            return False
    return True


# Each branch only runs when the ones before it passed, so the casts are safe.
DATE_OK_SQL = """
    CASE
        WHEN nd !~ %(date_re)s THEN false
        WHEN substr(nd, 1, 4)::int NOT BETWEEN %(first_year)s AND %(last_year)s
            OR substr(nd, 6, 2)::int NOT BETWEEN 1 AND 12 THEN false
        WHEN substr(nd, 9, 2)::int NOT BETWEEN 1 AND extract(
            day FROM make_date(substr(nd, 1, 4)::int, substr(nd, 6, 2)::int, 1) + interval '1 month - 1 day')
            THEN false
        WHEN length(nd) > 10 AND (substr(nd, 12, 2)::int > 23 OR substr(nd, 15, 2)::int > 59
            OR (substr(nd, 17, 1) = ':' AND substr(nd, 18, 2)::int > 59)) THEN false
        WHEN length(nd) > 16 AND substr(nd, 17) ~ '[+-]'
            AND (substring(substr(nd, 17) from '[+-]([0-9]{2})')::int > 14
                 OR coalesce(substring(substr(nd, 17) from '[+-][0-9]{2}:?([0-9]{2})')::int, 0) > 59) THEN false
        ELSE true
    END
"""


def _has_tz(nd: str) -> bool:
    return len(nd) > 16 and bool(_tz_part.search(nd[16:]))


HAS_TZ_SQL = "length(nd) > 16 AND substr(nd, 17) ~ '[Z+-]'"


def _localize(naive: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """PostgreSQL's `timestamp AT TIME ZONE`: an ambiguous wall time (autumn) takes the later, standard-time
    offset; a wall time in the spring gap takes the offset before the jump."""
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    in_gap = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive
    return first if in_gap else second


def parse_moment(raw: str, *, month_first: bool, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The moment a date cell stands for (naive values are in the organization's time zone), or None."""
    nd = normalise_date(raw, month_first=month_first)
    if not _date_ok(nd):
        return None
    if _has_tz(nd):
        text = re.sub(r" +(?=[Z+-])", "", nd)
        return dt.datetime.fromisoformat(text)
    return _localize(dt.datetime.fromisoformat(nd), tz)


MOMENT_SQL = (
    "CASE WHEN date_ok THEN CASE WHEN has_tz THEN nd::timestamptz ELSE nd::timestamp AT TIME ZONE %(tz)s END END"
)


def detect_date_format(values: Iterable[str]) -> tuple[str, bool]:
    """(format key, ambiguous) from sample cells: day-first unless the data prove month-first."""
    shapes = {"iso": 0, "ymd": 0, "dmy": 0, "slash": 0}
    month_first = day_first = False
    for raw in values:
        value = cell(raw)
        if not value:
            continue
        if _iso_start.match(value):
            shapes["iso"] += 1
            continue
        padded = _pad.sub(r"\g<1>0\g<2>", value)
        if _year_first.match(padded):
            shapes["ymd"] += 1
        elif _dotted.match(padded):
            shapes["dmy"] += 1
        elif m := _year_last.match(padded):
            shapes["slash"] += 1
            first, second = int(m.group(1)), int(m.group(2))
            day_first |= first > 12
            month_first |= second > 12
    if shapes["slash"] and shapes["slash"] >= max(shapes.values()):
        if month_first and not day_first:
            return "mdy", False
        return "dmy", not day_first
    best = max(shapes, key=lambda k: shapes[k])
    return (best if shapes[best] else "iso"), False


# -- messages (one text for both paths; SQL splices the cell's value in where %(value)s stands) ------------------


def labelled(label: str | None, text: str) -> str:
    return f"{label}: {text}" if label else text


def msg_off_scale(low: int, high: int) -> str:
    """Template with %(value)s still in it."""
    return (
        _("“%(value)s” is not a whole number on the scale %(low)s-%(high)s.")
        .replace("%(low)s", str(low))
        .replace("%(high)s", str(high))
    )


def msg_not_yes_no(yes: Iterable[str], no: Iterable[str]) -> str:
    """Template with %(value)s still in it."""
    return (
        _("“%(value)s” is neither a yes value (%(yes)s) nor a no value (%(no)s).")
        .replace("%(yes)s", ", ".join(yes))
        .replace("%(no)s", ", ".join(no))
    )


def msg_required() -> str:
    return _("This question is required.")


def msg_no_answers() -> str:
    return _("The row has no answers.")


def fill_value(template: str, value: str) -> str:
    return template.replace("%(value)s", value[:VALUE_SHOWN_MAX])


def split_template(template: str) -> tuple[str, str]:
    before, _sep, after = template.partition("%(value)s")
    return before, after


# -- idempotency keys --------------------------------------------------------------------------------------------


def utc_text(moment: dt.datetime) -> str:
    """PostgreSQL's to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def external_key(response_id: str, suffix: str) -> str:
    """The key of a response whose file row has its own id; a long id with a touchpoint suffix is hashed."""
    if 4 + len(response_id) + len(suffix) > KEY_MAX:
        return f"exh:{hashlib.md5(response_id.encode()).hexdigest()}{suffix}"  # noqa: S324 (a key, not a secret)
    return f"ext:{response_id}{suffix}"


def content_key(parts: list[str], ts_utc: str, suffix: str) -> str:
    """The key of a response without an id of its own: its time, then a hash of everything it says."""
    digest = hashlib.md5(KEY_SEPARATOR.join(parts).encode()).hexdigest()  # noqa: S324 (a key, not a secret)
    return f"imp:{ts_utc[:19]}:{digest}{suffix}"


def yes_no_prefill(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(yes values, no values) among a column's distinct cells, by the words people and exports use."""
    yes, no = [], []
    for value in values:
        code = cell(value).lower()
        if not code:
            continue
        if code in NO_HINTS or any(fragment in code for fragment in NO_FRAGMENTS):
            no.append(cell(value))
        elif code in YES_HINTS or "satisf" in code:
            yes.append(cell(value))
    return yes, no
