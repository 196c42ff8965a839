"""The arithmetic of compound failures: pure functions over numbers and numpy arrays (no Django, no database).

Windows are closed at both ends in days: two poor experiences exactly 90 days apart are "within 90 days". A
response's count of poor experiences "in the 90 days before it" takes those from exactly 90 days earlier up to just
before it (the response itself, and another one at the very same moment, are not counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.metrics import Z95

WINDOW_DAYS = 90
CHURN_DAYS = 180
# Buckets of the number of poor experiences: 0, 1, 2 and "3 or more".
TOP_BUCKET = 3
BUCKETS = tuple(range(TOP_BUCKET + 1))
MS_PER_DAY = 86_400_000
# Customer codes and times share one int64 sort key (code * span + time); stay well below 2**63.
KEY_LIMIT = 2**62


def bucket_of(count: int) -> int:
    return min(int(count), TOP_BUCKET)


def bucket_label(bucket: int) -> str:
    return f"{TOP_BUCKET}+" if bucket >= TOP_BUCKET else str(bucket)


def buckets_of(counts: np.ndarray) -> np.ndarray:
    return np.minimum(np.asarray(counts, dtype=np.int64), TOP_BUCKET)


def wilson_interval(hits: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion (0-1): honest near 0 and 1 and with small n, unlike the normal
    approximation, which is why churn rates (often a few per cent) use it."""
    if n <= 0:
        return None
    p = hits / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _keys(codes: np.ndarray, times: np.ndarray, window: int) -> tuple[np.ndarray, int]:
    """One sortable int64 per row: customers apart by more than any time span plus the window, so a key minus the
    window never reaches the previous customer's keys. Times are shifted to start at 1."""
    codes = np.asarray(codes, dtype=np.int64)
    times = np.asarray(times, dtype=np.int64)
    if times.size == 0:
        return times, 1
    shifted = times - times.min() + window + 1
    span = int(shifted.max()) + 1
    if (int(codes.max()) + 1) * span >= KEY_LIMIT:
        raise OverflowError("too many customers or too long a time span for one sort key")
    return codes * span + shifted, span


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted keys: per row, the position of the first and one past the last row with the same key."""
    change = np.empty(keys.size, dtype=bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    run = np.cumsum(change) - 1
    ends = np.append(starts[1:], keys.size)
    return starts[run], ends[run]


def _is_sorted(keys: np.ndarray) -> bool:
    return keys.size < 2 or bool((keys[1:] >= keys[:-1]).all())


def poor_counts_before(codes, times, poor, *, window: int) -> np.ndarray:
    """For every row, the number of poor rows of the same customer (`codes`) at times in [t - window, t).

    `times` in any integer unit (the window in the same unit), `poor` a boolean mask; any row order, quickest in
    (customer, time) order (a running count instead of sorting the poor rows). O(n log n), no Python loop."""
    poor = np.asarray(poor, dtype=bool)
    keys, _span = _keys(codes, times, window)
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    if _is_sorted(keys):
        running = np.concatenate(([0], np.cumsum(poor, dtype=np.int64)))
        first, _end = _runs(keys)
        return running[first] - running[np.searchsorted(keys, keys - window, side="left")]
    poor_keys = np.sort(keys[poor])
    low = np.searchsorted(poor_keys, keys - window, side="left")
    high = np.searchsorted(poor_keys, keys, side="left")
    return (high - low).astype(np.int64)


def poor_counts_within(codes, times, poor, *, window: int) -> np.ndarray:
    """For every poor row, the number of poor rows of the same customer at times in [t - window, t] (itself
    included); 0 for rows that are not poor. A customer's largest value is their most poor experiences within any
    window, and the first row reaching it is when they got there. Any row order, quickest in (customer, time)."""
    poor = np.asarray(poor, dtype=bool)
    keys, _span = _keys(codes, times, window)
    out = np.zeros(keys.size, dtype=np.int64)
    if keys.size == 0 or not poor.any():
        return out
    if _is_sorted(keys):
        running = np.concatenate(([0], np.cumsum(poor, dtype=np.int64)))
        _first, end = _runs(keys)
        out[poor] = running[end[poor]] - running[np.searchsorted(keys, keys[poor] - window, side="left")]
        return out
    poor_keys = np.sort(keys[poor])
    low = np.searchsorted(poor_keys, keys[poor] - window, side="left")
    high = np.searchsorted(poor_keys, keys[poor], side="right")
    out[poor] = high - low
    return out


@dataclass(frozen=True)
class Streak:
    """Consecutive poor experiences: positions `start` to `end` (inclusive) of a customer's history in date order."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def poor_streaks(poor: list[bool], *, min_length: int = 2) -> list[Streak]:
    """Runs of at least `min_length` poor experiences in a row (a good or neutral one ends a run)."""
    streaks, start = [], None
    for i, flag in enumerate([*poor, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= min_length:
                streaks.append(Streak(start=start, end=i - 1))
            start = None
    return streaks


def most_within(times: list[int], *, window: int) -> tuple[int, int | None, int | None]:
    """(count, first, last) of the most times within any window (closed at both ends), for one customer's poor
    experiences in date order; (0, None, None) without any."""
    best, best_first, best_last, lo = 0, None, None, 0
    for hi, t in enumerate(times):
        while times[lo] < t - window:
            lo += 1
        if hi - lo + 1 > best:
            best, best_first, best_last = hi - lo + 1, times[lo], t
    return best, best_first, best_last
