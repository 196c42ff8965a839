"""Score scales and metric keys: the one rule table every part of the platform reads (no models, no database).

A *metric key* is what an answer stores in `Answer.metric` and what the rollups, KPIs and dashboards group by:

- ``nps`` (0-10), ``csat`` (1-5) and ``ces`` (1-7): fixed scales, one key each;
- ``<code>:<low>-<high>`` for a rating question (e.g. ``overall:1-10``): the scale is part of the key, so a
  question whose scale changed between versions (1-5, later 1-10) gives two metrics and no figure ever mixes them;
- ``<code>:yes`` for a yes/no question (stored as 1 = yes, 0 = no).

Every scale has bands (good / neutral / bad), so churn and revenue by band, top-2-box shares and the value model
work the same way for all of them: NPS promoters / passives / detractors; for 1-N ratings (CSAT, CES) the top two
and bottom two boxes (the top and bottom box on scales of three or four points); yes / no for binary questions.

A *measure* is how a period's answers become one figure: ``nps`` (NPS points), ``mean`` (mean score), ``top_box``
(percentage in the good band: top-2-box, or % yes). Each scale has its default and its allowed measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

NPS = "nps"
CSAT = "csat"
CES = "ces"
RATING = "rating"
YES_NO = "yes_no"

MEASURE_NPS = "nps"
MEASURE_MEAN = "mean"
MEASURE_TOP_BOX = "top_box"

# The distribution the rollups store covers the integer scores 0..10: every scale must lie inside it.
MIN_SCORE, MAX_SCORE = 0, 10
FIXED = {NPS: (0, 10), CSAT: (1, 5), CES: (1, 7)}
DEFAULT_RATING = (1, 5)
CODE_MAX = 40  # a metric key must fit Answer.metric (50 characters) with its scale suffix

_RATING_KEY = re.compile(r"^(?P<code>.+):(?P<low>\d{1,2})-(?P<high>\d{1,2})$")
_YES_KEY = re.compile(r"^(?P<code>.+):yes$")


@dataclass(frozen=True)
class Scale:
    kind: str  # nps, csat, ces, rating, yes_no
    low: int
    high: int

    @property
    def points(self) -> int:
        return self.high - self.low + 1

    @property
    def is_nps(self) -> bool:
        return self.kind == NPS

    @property
    def is_binary(self) -> bool:
        return self.kind == YES_NO

    @property
    def good_min(self) -> int:
        """Lowest score of the good band (promoters, top-2-box, yes)."""
        if self.kind == NPS:
            return 9
        if self.kind == YES_NO or self.points <= 4:
            return self.high
        return self.high - 1

    @property
    def bad_max(self) -> int:
        """Highest score of the bad band (detractors, bottom-2-box, no)."""
        if self.kind == NPS:
            return 6
        if self.kind == YES_NO or self.points <= 4:
            return self.low
        return self.low + 1

    def band(self, score: float) -> str:
        """'good', 'neutral' or 'bad' for one score (a customer's mean score is banded the same way)."""
        if score >= self.good_min:
            return "good"
        if score <= self.bad_max:
            return "bad"
        return "neutral"

    def contains(self, score: float) -> bool:
        return self.low <= score <= self.high

    @property
    def measures(self) -> tuple[str, ...]:
        if self.kind == NPS:
            return (MEASURE_NPS,)
        if self.kind == YES_NO:
            return (MEASURE_TOP_BOX,)
        return (MEASURE_MEAN, MEASURE_TOP_BOX)

    @property
    def default_measure(self) -> str:
        return self.measures[0]

    def measure(self, requested: str | None) -> str:
        """The requested measure if this scale has it, else the scale's default."""
        return requested if requested in self.measures else self.default_measure

    @property
    def label(self) -> str:
        if self.kind == YES_NO:
            return _("yes/no")
        return f"{self.low}-{self.high}"


NPS_SCALE = Scale(NPS, 0, 10)


def scale_for_question(kind: str, scale_min: int | None = None, scale_max: int | None = None) -> Scale | None:
    """The scale of a question kind (rating bounds from the question, default 1-5); None for text and choices."""
    if kind in FIXED:
        return Scale(kind, *FIXED[kind])
    if kind == RATING:
        low = scale_min if scale_min is not None else DEFAULT_RATING[0]
        high = scale_max if scale_max is not None else DEFAULT_RATING[1]
        return Scale(RATING, low, high)
    if kind == YES_NO:
        return Scale(YES_NO, 0, 1)
    return None


def metric_key(kind: str, code: str, scale: Scale) -> str:
    """The metric key answers of a question are stored under (see the module docstring)."""
    if kind in FIXED:
        return kind
    short = code[:CODE_MAX]
    if kind == YES_NO:
        return f"{short}:yes"
    return f"{short}:{scale.low}-{scale.high}"


def scale_for_metric(metric: str) -> Scale | None:
    """The scale a metric key stands for; None for a key that is not a score metric."""
    if metric in FIXED:
        return Scale(metric, *FIXED[metric])
    if _YES_KEY.match(metric or ""):
        return Scale(YES_NO, 0, 1)
    m = _RATING_KEY.match(metric or "")
    if m:
        low, high = int(m["low"]), int(m["high"])
        if MIN_SCORE <= low < high <= MAX_SCORE:
            return Scale(RATING, low, high)
    return None


def metric_code(metric: str) -> str:
    """The question code part of a metric key (``overall:1-10`` -> ``overall``; ``nps`` -> ``nps``)."""
    if metric in FIXED:
        return metric
    return metric.rsplit(":", 1)[0] if ":" in metric else metric


def metric_label(metric: str) -> str:
    """A short label: NPS, CSAT, CES, ``overall (1-10)``, ``recommend (yes/no)``."""
    if metric in FIXED:
        return metric.upper()
    scale = scale_for_metric(metric)
    if scale is None:
        return metric
    return f"{metric_code(metric)} ({scale.label})"


def validate_rating_bounds(low: int, high: int) -> str | None:
    """None if a rating scale is allowed, else the reason (in English; callers translate their own message)."""
    if not (MIN_SCORE <= low < high <= MAX_SCORE):
        return f"a rating scale must lie within {MIN_SCORE}-{MAX_SCORE} and have at least two points"
    return None


def band_counts(distribution: list[int], scale: Scale) -> tuple[int, int, int]:
    """(good, neutral, bad) counts from a 0..10 distribution of integer scores."""
    good = sum(distribution[i] for i in range(max(scale.good_min, 0), min(scale.high, MAX_SCORE) + 1))
    bad = sum(distribution[i] for i in range(max(scale.low, 0), min(scale.bad_max, MAX_SCORE) + 1))
    total = sum(distribution[i] for i in range(max(scale.low, 0), min(scale.high, MAX_SCORE) + 1))
    return good, total - good - bad, bad


def measure_of(metric: str, measure: str = "") -> str:
    """The measure a figure of `metric` is shown in: `measure` if its scale offers it, else the scale's default."""
    scale = scale_for_metric(metric or "nps")
    return scale.measure(measure) if scale is not None else MEASURE_MEAN


def measure_label(metric: str, measure: str) -> str:
    """The figure's name on charts and tables: "NPS", "CSAT (mean)", "CSAT top-2-box %", "recommend % yes"."""
    scale = scale_for_metric(metric)
    label = metric_label(metric)
    if scale is None or scale.is_nps:
        return label
    measure = scale.measure(measure)
    if scale.is_binary:
        return _("%(metric)s, %% yes") % {"metric": metric_code(metric)}
    if measure == MEASURE_TOP_BOX:
        if scale.points > 4:
            return _("%(metric)s, top-2-box %%") % {"metric": label}
        return _("%(metric)s, top-box %%") % {"metric": label}
    return _("%(metric)s, mean") % {"metric": label}


def unit_label(metric: str, measure: str) -> str:
    """What one point of the figure is: "NPS point", "CSAT point", "percentage point top-2-box"."""
    scale = scale_for_metric(metric)
    if scale is None or scale.is_nps:
        return _("NPS point")
    measure = scale.measure(measure)
    if measure == MEASURE_TOP_BOX:
        return _("percentage point of % yes") if scale.is_binary else _("percentage point of top-2-box")
    return _("%(metric)s point") % {"metric": metric_label(metric)}
