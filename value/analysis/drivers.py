"""Key-driver analysis: which touchpoints' scores go with the overall (relationship or journey) NPS.

Customers answer only a few touchpoints each, so a multiple regression over all touchpoints would have almost no
complete rows. Each touchpoint is therefore paired with the outcome over the customers who gave both, and the
importance is the Pearson correlation of the two scores (the standardised coefficient of a one-predictor
regression), with a 95 % interval and a p-value adjusted for testing many touchpoints (Benjamini-Hochberg).
"""

from __future__ import annotations

import warnings

import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from value.analysis.inputs import ModelInput, TouchpointInput
from value.analysis.stats import correlation_interval, nps


def _pairs(tp: TouchpointInput, outcome: pd.DataFrame) -> pd.DataFrame:
    left = tp.scores[["customer_id", "score"]].dropna()
    return left.merge(outcome[["customer_id", "score"]].dropna(), on="customer_id", suffixes=("_tp", "_outcome"))


def _choose_outcome(data: ModelInput) -> str | None:
    min_n = data.parameters.min_n
    if not data.relationship.empty:
        best = max((len(_pairs(tp, data.relationship)) for tp in data.touchpoints), default=0)
        if best >= min_n:
            return "relationship"
    if not data.journey_scores.empty:
        return "journey"
    return None


def analyse(data: ModelInput) -> dict:
    p = data.parameters
    outcome = _choose_outcome(data)
    section = {"outcome": outcome, "rows": [], "supported": False, "reason_code": "", "reason_params": {}}
    if outcome is None:
        section["reason_code"] = "no_outcome_survey"
        return section
    rows = []
    for tp in data.touchpoints:
        if outcome == "relationship":
            target = data.relationship
        else:
            target = data.journey_scores[data.journey_scores["journey_id"] == tp.journey_id]
        pairs = _pairs(tp, target)
        row = {
            "touchpoint_id": tp.touchpoint_id,
            "name": tp.name,
            "journey_name": tp.journey_name,
            "nps": nps(tp.promoters, tp.detractors, tp.answers),
            "answers": tp.answers,
            "n": len(pairs),
            "r": None,
            "low": None,
            "high": None,
            "p_value": None,
            "p_adjusted": None,
            "significant": False,
            "reason_code": "",
            "reason_params": {},
        }
        if len(pairs) < p.min_n:
            row.update(reason_code="too_few_pairs", reason_params={"n": len(pairs), "min": p.min_n})
        elif pairs["score_tp"].nunique() < 2 or pairs["score_outcome"].nunique() < 2:
            row.update(reason_code="no_variation")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                test = stats.pearsonr(pairs["score_tp"].astype(float), pairs["score_outcome"].astype(float))
            r = float(test.statistic)
            low, high = correlation_interval(r, len(pairs))
            row.update(r=r, low=low, high=high, p_value=float(test.pvalue))
        rows.append(row)
    tested = [row for row in rows if row["p_value"] is not None]
    if tested:
        reject, adjusted, _s, _b = multipletests([row["p_value"] for row in tested], alpha=p.alpha, method="fdr_bh")
        for row, rej, adj in zip(tested, reject, adjusted, strict=True):
            row.update(p_adjusted=float(adj), significant=bool(rej))
    rows.sort(key=lambda r: (r["r"] is None, -(r["r"] or 0), r["name"]))
    section["rows"] = rows
    if not tested:
        section.update(
            reason_code="too_few_pairs", reason_params={"n": max((r["n"] for r in rows), default=0), "min": p.min_n}
        )
    else:
        section["supported"] = True
    return section
