"""A journey's score weighted by its touchpoints' weights (the CX manager's choice per journey).

The default journey score is respondent-weighted: the sums of the touchpoint rollups, so every answer weighs the
same. A journey set to "weighted by touchpoint weights" instead combines the touchpoints' own scores:

    score_J = sum(w_i * score_i) / sum(w_i)

over the touchpoints with a weight w_i > 0 whose score meets the minimum n (the others are left out), and its
margin of error comes from the weighted combination of the touchpoint variances, taking the touchpoints' samples as
independent:

    Var(score_J) = sum(w_i^2 * SE_i^2) / (sum(w_i))^2,   SE_i = MoE_i / z(95 %)
    MoE_J = z(95 %) * sqrt(Var(score_J))

A change between two periods is tested with z = (score_J,now - score_J,before) / sqrt(Var_now + Var_before).
Pure functions over scores already computed (no queries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.metrics import Z95, Difference, MeanSummary, normal_two_sided_p
from core.scores import Score
from kpis.scores import Assessment, add_sums, empty_sums

RESPONDENTS = "respondents"
WEIGHTS = "weights"


@dataclass(frozen=True)
class WeightedScore(Score):
    """A Score whose value and margin of error are the weighted combination of its touchpoints' scores.

    `sums` (and so n and the distribution) are the answers of the touchpoints that count; `parts` how many."""

    weighted: float | None = None
    weighted_moe: float | None = None
    variance: float | None = None
    parts: int = 0

    @property
    def value(self) -> float | None:
        return self.weighted

    @property
    def moe(self) -> float | None:
        return self.weighted_moe

    @property
    def sufficient(self) -> bool:
        # Every touchpoint that counts met the minimum n on its own.
        return self.parts > 0 and self.weighted is not None

    @property
    def summary(self) -> MeanSummary:
        """An equivalent mean summary: mean = the weighted score, and a spread whose squared standard error is the
        weighted variance, so `kpis.scores.change_between` (used by readers that compare months) tests a weighted
        change exactly as `weighted_change` does. With an unknown variance it claims one answer: no test."""
        variance = self.variance
        n = self.n if variance is not None and self.n >= 2 else 1
        value = self.weighted or 0.0
        total = value * n
        # sample variance x (n - 1), with var/n = variance
        spread = variance * n * (n - 1) if variance is not None and n >= 2 else 0.0
        return MeanSummary(n=n, total=total, total_sq=spread + total * total / n)


def weighted_score(parts: list[tuple[float | None, Score]], *, metric: str, measure: str, min_n: int) -> WeightedScore:
    """Combine (weight, touchpoint score) pairs; see the module docstring for the formulas."""
    sums = empty_sums()
    total_w = 0.0
    acc = 0.0
    var_acc = 0.0
    var_known = True
    count = 0
    for weight, score in parts:
        if not weight or weight <= 0 or not score.sufficient or score.value is None:
            continue
        count += 1
        total_w += weight
        acc += weight * score.value
        add_sums(sums, score.sums)
        if score.moe is None:
            var_known = False
        else:
            var_acc += (weight * score.moe / Z95) ** 2
    if not count:
        return WeightedScore(metric, sums, min_n, measure)
    variance = var_acc / total_w**2 if var_known else None
    moe = Z95 * math.sqrt(variance) if variance is not None else None
    return WeightedScore(
        metric, sums, min_n, measure, weighted=acc / total_w, weighted_moe=moe, variance=variance, parts=count
    )


def weighted_change(before: WeightedScore, after: WeightedScore, *, alpha: float = 0.05) -> Difference | None:
    """The change between two weighted scores, with a z-test on the difference (None unless both are shown)."""
    if not (before.sufficient and after.sufficient) or before.variance is None or after.variance is None:
        return None
    if before.weighted is None or after.weighted is None:  # never: a sufficient score has a weighted value
        return None
    delta = after.weighted - before.weighted
    se = math.sqrt(before.variance + after.variance)
    if se == 0:
        return Difference(delta=delta, z=None, p_value=None, significant=False)
    z = delta / se
    p = normal_two_sided_p(z)
    return Difference(delta=delta, z=z, p_value=p, significant=p < alpha)


def weighted_assessment(
    *, touchpoints, current: dict, previous: dict, filters, min_n: int, target=None, benchmark=None
) -> Assessment | None:
    """The journey's assessment from its weighted touchpoints (`current`/`previous`: sums by touchpoint id), or None
    when no touchpoint has a weight (the journey then stays respondent-weighted, and the page says so)."""
    weighted = [tp for tp in touchpoints if tp.score_weight]
    if not weighted:
        return None

    def combine(sums_by_tp: dict) -> WeightedScore:
        parts = [(tp.score_weight, filters.score(sums_by_tp.get(tp.pk) or empty_sums(), min_n)) for tp in weighted]
        return weighted_score(parts, metric=filters.metric, measure=filters.measure, min_n=min_n)

    now, before = combine(current), combine(previous)
    return Assessment(
        score=now,
        target=target,
        benchmark=benchmark,
        change=weighted_change(before, now),
        higher_is_better=filters.higher_is_better,
    )
