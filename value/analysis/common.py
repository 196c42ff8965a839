"""Frame helpers shared by the parts of the value model."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from value.analysis.stats import DAYS_PER_YEAR

# A churn on the day of the answer still counts, with half a day at risk (a log offset needs exposure > 0).
MIN_EXPOSURE_YEARS = 0.5 / DAYS_PER_YEAR


def categories(scores: pd.Series) -> pd.Series:
    """NPS category of 0-10 scores (the mean score, where a customer answered more than once)."""
    return pd.Series(
        np.select([scores >= 9, scores >= 7], ["promoter", "passive"], default="detractor"), index=scores.index
    )


def nps_value(category: pd.Series) -> pd.Series:
    """A customer's contribution to NPS on the -1..1 scale: the mean of this over customers is NPS / 100."""
    return category.map({"promoter": 1.0, "passive": 0.0, "detractor": -1.0}).astype(float)


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
