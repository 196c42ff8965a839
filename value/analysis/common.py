"""Frame helpers shared by the parts of the value model."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.scales import MEASURE_MEAN, MEASURE_TOP_BOX, Scale
from value.analysis.stats import DAYS_PER_YEAR

# A churn on the day of the answer still counts, with half a day at risk (a log offset needs exposure > 0).
MIN_EXPOSURE_YEARS = 0.5 / DAYS_PER_YEAR


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    """The first day of `day`'s month, `months_back` calendar months earlier."""
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def window_start(as_of: dt.date, window_months: int) -> dt.date:
    """First day of the model's window: `window_months` calendar months ending with `as_of`'s month."""
    return month_start(as_of, window_months - 1)


def bands(scores: pd.Series, scale: Scale) -> pd.Series:
    """Band of each score ('good', 'neutral', 'bad'; `Scale.band`): a customer's mean score is banded the same way."""
    values = scores.astype(float)
    return pd.Series(
        np.select([values >= scale.good_min, values <= scale.bad_max], ["good", "bad"], default="neutral"),
        index=scores.index,
    )


def predictor(scores: pd.Series, band: pd.Series, measure: str) -> pd.Series:
    """A customer's contribution to the touchpoint's figure in `measure`, so that the figure is a mean of it:

    - nps: +1 / 0 / -1 for the good / neutral / bad band (NPS = 100 x the mean);
    - top_box: 1 in the good band, else 0 (top-2-box % or % yes = 100 x the mean);
    - mean: the customer's mean score (the figure itself is the mean).
    """
    if measure == MEASURE_MEAN:
        return scores.astype(float)
    if measure == MEASURE_TOP_BOX:
        return (band == "good").astype(float)
    return band.map({"good": 1.0, "neutral": 0.0, "bad": -1.0}).astype(float)


def units_per_point(measure: str) -> float:
    """How much of the mean of `predictor` one point of the figure is: 1/100 for NPS and percentages, 1 for means."""
    return 1.0 if measure == MEASURE_MEAN else 0.01


def performance(measure: str, *, answers: int, good: int, bad: int, total: float) -> float | None:
    """The figure of answer-level counts in `measure`: NPS, mean score or % in the good band."""
    if not answers:
        return None
    if measure == MEASURE_MEAN:
        return total / answers
    if measure == MEASURE_TOP_BOX:
        return 100.0 * good / answers
    return 100.0 * (good - bad) / answers


def attach_churn(frame: pd.DataFrame, churn: pd.DataFrame, *, as_of: dt.date, ref_column: str) -> pd.DataFrame:
    """Add `churned` (0/1) and `exposure_years` counted from each customer's reference date.

    A customer is followed from the reference date (the answer that gives their score) until their first churn
    event on or after it, or until `as_of`. Customers whose only churn events lie before the reference date had
    already left when they answered: they are dropped, since they were no longer at risk.
    """
    out = frame.copy()
    ref = pd.to_datetime(out[ref_column])
    end = pd.Timestamp(as_of)
    if churn.empty:
        first_after = pd.Series(pd.NaT, index=out.index)
        gone = pd.Series(False, index=out.index)
    else:
        events = churn[["customer_id", "date"]].copy()
        events["date"] = pd.to_datetime(events["date"])
        joined = out[["customer_id"]].assign(_ref=ref.values, _row=np.arange(len(out))).merge(events, on="customer_id")
        after = joined[(joined["date"] >= joined["_ref"]) & (joined["date"] <= end)]
        before = joined[joined["date"] < joined["_ref"]]
        first_by_row = after.groupby("_row")["date"].min()
        first_after = pd.Series(pd.NaT, index=range(len(out)), dtype="datetime64[ns]")
        first_after.loc[first_by_row.index] = first_by_row.values
        first_after.index = out.index
        rows_before = set(before["_row"]) - set(after["_row"])
        gone = pd.Series([i in rows_before for i in range(len(out))], index=out.index, dtype=bool)
    out["churned"] = first_after.notna().astype(int)
    stop = first_after.fillna(end)
    days = (stop - ref).dt.days.astype(float)
    out["exposure_years"] = np.maximum(days / DAYS_PER_YEAR, MIN_EXPOSURE_YEARS)
    keep = (~gone.to_numpy(dtype=bool)) & (ref <= end).to_numpy(dtype=bool)
    # .loc with a boolean array: an empty object array would be read as a (empty) list of columns.
    return out.loc[keep]


def segment_dummies(segment: pd.Series, *, min_size: int = 30) -> pd.DataFrame:
    """Indicator columns for segments (small ones pooled as 'other'; the largest is the baseline)."""
    seg = segment.fillna("").replace("", "(none)").astype(str)
    counts = seg.value_counts()
    small = counts[counts < min_size].index
    seg = seg.where(~seg.isin(small), "(other)")
    counts = seg.value_counts()
    if len(counts) < 2:
        return pd.DataFrame(index=segment.index)
    baseline = counts.index[0]
    dummies = pd.get_dummies(seg, prefix="segment", dtype=float)
    return dummies.drop(columns=[f"segment_{baseline}"])
