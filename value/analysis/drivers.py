"""Key-driver analysis: which touchpoint scores go with the outcome the organization cares about.

Drivers are every score metric (core.scales: NPS, CSAT, CES, ratings, yes/no) at every touchpoint, as each
customer's mean score there. The outcome is chosen per organization (`ValueSettings.driver_outcome`):

- ``auto``: the relationship survey's primary metric (each customer's latest answer) if some touchpoint has at
  least `min_n` customers who answered both; else the journey survey's primary metric (mean per customer and
  journey, paired with that journey's touchpoints); else the metric asked outside touchpoints by the most
  identified customers;
- a metric key: each customer's mean answer to it in the window; when the metric is asked outside touchpoints
  (a relationship or journey question, a file's overall label), only those answers, so touchpoint answers in the
  same metric (touchpoint NPS explaining relationship NPS) are drivers; a metric asked only at touchpoints is the
  mean of all its answers, and drivers in that metric are left out (the same answers on both sides);
- ``churn``: churned in the window (0/1); r is then point-biserial, and a driver's r is negative (a better score
  goes with less churn), so its importance is -r.

Customers answer only a few touchpoints each, so a multiple regression over all touchpoints would have almost no
complete rows. Each driver is therefore paired with the outcome over the customers who gave both, and its
importance is the Pearson correlation r (the standardised coefficient of a one-predictor regression), with a 95 %
interval (Fisher z) and a p-value adjusted for testing many drivers (Benjamini-Hochberg). Effect size: |r| below
the minimum practical effect is "negligible" and never called a driver, whatever its p-value; above it "small"
(< 0.3), "medium" (< 0.5) or "large" (Cohen). A driver is significant after adjustment **and** has an importance of
at least the minimum effect; a significant association as large in the other direction is labelled "opposite".
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from core.scales import scale_for_metric
from value.analysis.common import performance
from value.analysis.inputs import AUTO, CHURN, ModelInput, TouchpointInput
from value.analysis.stats import correlation_interval

RELATIONSHIP, JOURNEY, METRIC = "relationship", "journey", "metric"


def effect_class(r: float, min_effect: float) -> str:
    size = abs(r)
    if size < min_effect:
        return "negligible"
    if size < 0.3:
        return "small"
    if size < 0.5:
        return "medium"
    return "large"


def _pairs(tp: TouchpointInput, outcome: pd.DataFrame) -> pd.DataFrame:
    left = tp.scores[["customer_id", "score"]].dropna()
    return left.merge(outcome[["customer_id", "score"]].dropna(), on="customer_id", suffixes=("_tp", "_outcome"))


def asked_outside(data: ModelInput, metric: str) -> bool:
    """Whether `metric` has answers outside touchpoints (a relationship or journey question, an overall label)."""
    rows = data.metric_scores
    if "outside" not in rows or rows.empty:
        return False
    return bool(rows.loc[rows["metric"] == metric, "outside"].sum() > 0)


def metric_outcome(data: ModelInput, metric: str) -> pd.DataFrame:
    """customer_id, score: each customer's mean answer to `metric` in the window: its answers outside touchpoints
    where it is asked there, else all of them."""
    rows = data.metric_scores[data.metric_scores["metric"] == metric]
    if asked_outside(data, metric):
        rows = rows[rows["outside"] > 0]
        total, n = rows["outside_total"], rows["outside"]
    else:
        rows = rows[rows["n"] > 0]
        total, n = rows["total"], rows["n"]
    return pd.DataFrame({"customer_id": rows["customer_id"], "score": total.astype(float) / n.astype(float)})


def outside_metric(data: ModelInput) -> str | None:
    """The score metric answered outside touchpoints by the most identified customers (None if there is none)."""
    rows = data.metric_scores
    scored = [m for m in rows["metric"].unique() if scale_for_metric(m) is not None]
    rows = rows[(rows["outside"] > 0) & rows["metric"].isin(scored)]
    if rows.empty:
        return None
    counts = rows.groupby("metric")["customer_id"].nunique()
    return str(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0])


def choose_outcome(data: ModelInput) -> tuple[str | None, str, str, dict]:
    """(kind, outcome metric, reason code, reason params): what the drivers explain, or why there is nothing."""
    p = data.parameters
    requested = p.driver_outcome or AUTO
    if requested == CHURN:
        if data.churn.empty:
            return CHURN, "", "no_churn_events", {}
        return CHURN, "", "", {}
    if requested != AUTO:
        if metric_outcome(data, requested).empty:
            return METRIC, requested, "no_outcome_answers", {"outcome": requested}
        return METRIC, requested, "", {}
    if not data.relationship.empty:
        best = max((len(_pairs(tp, data.relationship)) for tp in data.driver_inputs), default=0)
        if best >= p.min_n:
            return RELATIONSHIP, p.metric, "", {}
    if not data.journey_scores.empty:
        return JOURNEY, p.metric, "", {}
    other = outside_metric(data)
    if other is not None:
        return METRIC, other, "", {}
    return None, "", "no_outcome", {"metric": p.metric}


def _target(
    data: ModelInput, kind: str | None, tp: TouchpointInput, metric_frame: pd.DataFrame, churned: set
) -> pd.DataFrame:
    if kind == RELATIONSHIP:
        return data.relationship
    if kind == JOURNEY:
        return data.journey_scores[data.journey_scores["journey_id"] == tp.journey_id]
    if kind == CHURN:
        ids = tp.scores["customer_id"]
        return pd.DataFrame({"customer_id": ids, "score": ids.isin(churned).astype(float)})
    return metric_frame


def _performance(tp: TouchpointInput, data: ModelInput) -> tuple[float | None, str, float | None]:
    """(figure, its measure, % in the good band) of the driver's own answers."""
    scale = scale_for_metric(tp.metric)
    if scale is None:
        return None, "", None
    measure = data.parameters.measure if tp.metric == data.parameters.metric else scale.default_measure
    measure = scale.measure(measure)
    figure = performance(measure, answers=tp.answers, good=tp.good, bad=tp.bad, total=tp.total)
    good_share = 100.0 * tp.good / tp.answers if tp.answers else None
    return figure, measure, good_share


def analyse(data: ModelInput) -> dict:
    p = data.parameters
    kind, outcome_metric, code, params = choose_outcome(data)
    section: dict[str, Any] = {
        "outcome": kind,
        "outcome_metric": outcome_metric,
        "requested": p.driver_outcome or AUTO,
        "min_effect": p.driver_min_effect,
        "rows": [],
        "supported": False,
        "reason_code": code,
        "reason_params": params,
    }
    if code:
        return section
    candidates = [tp for tp in data.driver_inputs if scale_for_metric(tp.metric) is not None]
    if not candidates:
        section.update(reason_code="no_touchpoint_answers", reason_params={})
        return section
    if kind == METRIC and not asked_outside(data, outcome_metric):
        candidates = [tp for tp in candidates if tp.metric != outcome_metric]
        if not candidates:
            section.update(reason_code="outcome_is_every_driver", reason_params={"outcome": outcome_metric})
            return section
    metric_frame = metric_outcome(data, outcome_metric) if kind == METRIC else pd.DataFrame()
    churned = set(data.churn["customer_id"]) if kind == CHURN else set()
    sign = -1.0 if kind == CHURN else 1.0
    rows: list[dict[str, Any]] = []
    for tp in candidates:
        pairs = _pairs(tp, _target(data, kind, tp, metric_frame, churned))
        figure, measure, good_share = _performance(tp, data)
        row: dict[str, Any] = {
            "touchpoint_id": tp.touchpoint_id,
            "name": tp.name,
            "journey_name": tp.journey_name,
            "metric": tp.metric,
            "measure": measure,
            "performance": figure,
            "good_share": good_share,
            "answers": tp.answers,
            "n": len(pairs),
            "r": None,
            "low": None,
            "high": None,
            "p_value": None,
            "p_adjusted": None,
            "significant": False,
            "importance": None,
            "effect": "",
            "is_driver": False,
            "opposite": False,
            "reason_code": "",
            "reason_params": {},
        }
        if len(pairs) < p.min_n:
            row.update(reason_code="too_few_pairs", reason_params={"n": len(pairs), "min": p.min_n})
        elif pairs["score_tp"].nunique() < 2:
            row.update(reason_code="no_variation")
        elif pairs["score_outcome"].nunique() < 2:
            row.update(reason_code="no_outcome_variation", reason_params={"outcome": kind or ""})
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                test = stats.pearsonr(pairs["score_tp"].astype(float), pairs["score_outcome"].astype(float))
            r = float(test.statistic)
            low, high = correlation_interval(r, len(pairs))
            row.update(
                r=r,
                low=low,
                high=high,
                p_value=float(test.pvalue),
                importance=sign * r,
                effect=effect_class(r, p.driver_min_effect),
            )
        rows.append(row)
    tested = [row for row in rows if row["p_value"] is not None]
    if tested:
        reject, adjusted, _s, _b = multipletests([row["p_value"] for row in tested], alpha=p.alpha, method="fdr_bh")
        for row, rej, adj in zip(tested, reject, adjusted, strict=True):
            large_enough = row["effect"] != "negligible"
            row.update(
                p_adjusted=float(adj),
                significant=bool(rej),
                is_driver=bool(rej) and large_enough and row["importance"] > 0,
                opposite=bool(rej) and large_enough and row["importance"] < 0,
            )
    rows.sort(key=lambda r: (r["importance"] is None, -(r["importance"] or 0), r["name"], r["metric"]))
    section["rows"] = rows
    section["n_drivers"] = sum(1 for row in rows if row["is_driver"])
    if not tested:
        section.update(
            reason_code="too_few_pairs", reason_params={"n": max((r["n"] for r in rows), default=0), "min": p.min_n}
        )
    else:
        section["supported"] = True
    return section
