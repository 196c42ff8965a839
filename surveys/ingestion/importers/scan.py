"""The mapping step's look at the file: each column's values, the dates, and changes of scale over time.

`scan_file` reads the file once in Python (a sample of the first rows for the first view of the mapping page, the
whole file before an import starts) and counts, per column, the distinct cells; per mapped score column and day, the
whole-number values left after the column's not-applicable codes.

`detect_switch` looks for a change of scale over time in one score column: a date before which (or from which) the
values never exceed some maximum M while the other side uses values above M. A month that happens to have no 9s
and 10s must not trigger it, so a split needs strong evidence: if the confined side's n values came from the other
side's distribution, the chance that none of them exceeds M is (1 - p)^n, with p the other side's share above M;
that chance must be below one in a billion, both sides need at least MIN_N values and the values above M at least
two distinct scores. The best split is the least likely one (the most confined values).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

from imports.readers import open_table
from surveys.ingestion.importers import rules

DISTINCT_MAX = 200  # distinct cells kept per column (free text has one per row)
SAMPLE_ROWS = 5000
MIN_N = 30
MIN_SHARE = 0.05
LOG_THRESHOLD = math.log(1e-9)
VALUE_MAX = 100


@dataclass
class ColumnValues:
    counts: Counter = field(default_factory=Counter)  # trimmed non-empty cell -> rows (at most DISTINCT_MAX)
    filled: int = 0  # non-empty cells
    more: bool = False  # more distinct cells than kept

    @classmethod
    def from_raw(cls, raw: Counter) -> ColumnValues:
        trimmed: Counter = Counter()
        for value, n in raw.items():
            cell = rules.cell(value)
            if cell:
                trimmed[cell] += n
        kept = Counter(dict(trimmed.most_common(DISTINCT_MAX)))
        return cls(counts=kept, filled=sum(trimmed.values()), more=len(trimmed) > len(kept))

    def top(self, n: int = 8) -> list[tuple[str, int]]:
        return self.counts.most_common(n)


@dataclass
class Scan:
    rows: int
    complete: bool  # the whole file, not a sample
    columns: dict[int, ColumnValues]
    by_day: dict[int, dict[dt.date, Counter]]  # score column -> day -> value counts (after its N/A codes)
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    bad_dates: int = 0


class DayReader:
    """The local day of a date cell, cached (a file has far fewer distinct days than rows)."""

    def __init__(self, *, month_first: bool, tz: zoneinfo.ZoneInfo) -> None:
        self.month_first, self.tz = month_first, tz
        self.cache: dict[str, dt.date | None] = {"": None}

    def __call__(self, raw: str) -> dt.date | None:
        # A naive ISO timestamp's local day is its date part: read and cache that, not the whole timestamp.
        # Other formats (01.03.2026 14:05): the part before the time.
        if raw[4:5] == "-":
            key = raw[:10] if len(raw) <= 16 or not _TZ_MARKS.intersection(raw[16:]) else raw
        else:
            key = raw.split(" ", 1)[0]
        try:
            return self.cache[key]
        except KeyError:
            pass
        moment = rules.parse_moment(rules.cell(key), month_first=self.month_first, tz=self.tz)
        day = moment.astimezone(self.tz).date() if moment is not None else None
        self.cache[key] = day
        return day


_TZ_MARKS = frozenset("Z+-")
BATCH_ROWS = 5000


def scan_file(
    fh: BinaryIO,
    name: str,
    *,
    columns: list[int],
    limit: int | None = None,
    date_column: int | None = None,
    month_first: bool = False,
    tz: zoneinfo.ZoneInfo | None = None,
    scores: dict[int, tuple[str, ...]] | None = None,
) -> Scan:
    """Count the cells of `columns`; with a date column, also count each score column's values per day.

    scores: {column: its not-applicable codes} for the columns mapped to numeric score questions. Rows are counted
    a batch at a time with Counter.update over whole columns (C speed); values are parsed once per distinct cell.
    """
    scores = scores or {}
    raw = {c: Counter() for c in columns}
    pairs: dict[int, Counter] = {c: Counter() for c in scores}
    days = DayReader(month_first=month_first, tz=tz or zoneinfo.ZoneInfo("UTC")) if date_column is not None else None
    day_counts: Counter = Counter()
    rows = 0
    complete = True
    width = 1 + max([*columns, *scores, date_column if date_column is not None else 0])

    def count(batch: list[list[str]]) -> None:
        cells = list(zip(*((list(r) + [""] * width)[:width] for r in batch), strict=True))
        for c in columns:
            raw[c].update(cells[c])
        if days is None:
            return
        row_days = [days(v.strip(" ")) for v in cells[date_column]]
        day_counts.update(row_days)
        for c in scores:
            pairs[c].update(zip(row_days, cells[c], strict=True))

    with open_table(fh, name) as table:
        batch: list[list[str]] = []
        for _number, cells in table.rows:
            if limit is not None and rows >= limit:
                complete = False
                break
            rows += 1
            batch.append(cells)
            if len(batch) >= BATCH_ROWS:
                count(batch)
                batch = []
        if batch:
            count(batch)
    by_day: dict[int, dict[dt.date, Counter]] = {c: {} for c in scores}
    for c, na in scores.items():
        for (day, value), n in pairs[c].items():
            cell = rules.cell(value)
            if day is None or not cell or (na and cell.lower() in na):
                continue
            score = rules.parse_score(cell)
            if score is not None and score <= VALUE_MAX:
                by_day[c].setdefault(day, Counter())[score] += n
    known = [d for d in day_counts if d is not None]
    dated = raw.get(date_column) if date_column is not None else None
    empty_dates = sum(n for v, n in dated.items() if not v.strip(" ")) if dated else 0
    return Scan(
        rows=rows,
        complete=complete,
        columns={c: ColumnValues.from_raw(raw[c]) for c in columns},
        by_day=by_day,
        first_day=min(known) if known else None,
        last_day=max(known) if known else None,
        bad_dates=max(0, day_counts.get(None, 0) - empty_dates) if days is not None else 0,
    )


@dataclass(frozen=True)
class Switch:
    """A change of scale in one column: values before `split_on` and from it on."""

    column: int
    split_on: dt.date
    before: dict[int, int]
    after: dict[int, int]
    before_days: tuple[dt.date, dt.date]
    after_days: tuple[dt.date, dt.date]
    log_chance: float

    @property
    def before_max(self) -> int:
        return max(self.before)

    @property
    def after_max(self) -> int:
        return max(self.after)

    @property
    def before_n(self) -> int:
        return sum(self.before.values())

    @property
    def after_n(self) -> int:
        return sum(self.after.values())

    def as_dict(self) -> dict:
        return {
            "column": self.column,
            "split_on": self.split_on.isoformat(),
            "before": {str(k): v for k, v in sorted(self.before.items())},
            "after": {str(k): v for k, v in sorted(self.after.items())},
            "before_days": [d.isoformat() for d in self.before_days],
            "after_days": [d.isoformat() for d in self.after_days],
        }


def detect_switch(column: int, by_day: dict[dt.date, Counter]) -> Switch | None:
    """The most certain change of scale over time in one column, or None (see the module docstring)."""
    days = sorted(by_day)
    if len(days) < 2:
        return None
    top = max(max(c) for c in by_day.values())
    total = [0] * (top + 1)
    for counts in by_day.values():
        for value, n in counts.items():
            total[value] += n
    before = [0] * (top + 1)
    best: tuple[float, int] | None = None
    for i in range(1, len(days)):
        for value, n in by_day[days[i - 1]].items():
            before[value] += n
        after = [t - b for t, b in zip(total, before, strict=True)]
        n_before, n_after = sum(before), sum(after)
        if n_before < MIN_N or n_after < MIN_N:
            continue
        max_before = max(v for v, n in enumerate(before) if n)
        max_after = max(v for v, n in enumerate(after) if n)
        if max_before == max_after:
            continue
        confined_n, wide, ceiling = (
            (n_before, after, max_before) if max_before < max_after else (n_after, before, max_after)
        )
        above = wide[ceiling + 1 :]
        share = sum(above) / sum(wide)
        if share < MIN_SHARE or sum(1 for n in above if n) < 2:
            continue
        log_chance = confined_n * math.log1p(-share) if share < 1 else -math.inf
        if log_chance <= LOG_THRESHOLD and (best is None or log_chance < best[0]):
            best = (log_chance, i)
    if best is None:
        return None
    log_chance, i = best
    before_counts: Counter = Counter()
    after_counts: Counter = Counter()
    for day in days[:i]:
        before_counts.update(by_day[day])
    for day in days[i:]:
        after_counts.update(by_day[day])
    return Switch(
        column=column,
        split_on=days[i],
        before=dict(before_counts),
        after=dict(after_counts),
        before_days=(days[0], days[i - 1]),
        after_days=(days[i], days[-1]),
        log_chance=log_chance,
    )


def monthly(by_day: dict[dt.date, Counter]) -> list[dict]:
    """Per month: n, lowest and highest value, mean (what the stop page shows around a switch)."""
    months: dict[dt.date, Counter] = {}
    for day, counts in by_day.items():
        months.setdefault(day.replace(day=1), Counter()).update(counts)
    out = []
    for month in sorted(months):
        counts = months[month]
        n = sum(counts.values())
        out.append(
            {
                "month": month,
                "n": n,
                "low": min(counts),
                "high": max(counts),
                "mean": sum(v * c for v, c in counts.items()) / n,
            }
        )
    return out
