"""A period's answers of one metric as one figure (NPS, mean or top-box share) with n and the minimum n.

Pure: works on the rollups' statistics (kpis.models.STAT_FIELDS: n, promoters, passives, detractors, total,
total_sq, c0..c10) however they were summed, so surveys (the response explorer) and kpis read a score the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.metrics import MeanSummary, NpsSummary, ShareSummary
from core.scales import MEASURE_MEAN, MEASURE_NPS, MEASURE_TOP_BOX, Scale, band_counts, scale_for_metric


@dataclass(frozen=True)
class Score:
    """A period's answers of one metric, read in one measure (core.scales): NPS, mean or top-box share."""

    metric: str
    sums: dict
    min_n: int
    measure: str = ""

    @property
    def scale(self) -> Scale | None:
        return scale_for_metric(self.metric)

    @property
    def measure_key(self) -> str:
        scale = self.scale
        return scale.measure(self.measure) if scale is not None else MEASURE_MEAN

    @property
    def n(self) -> int:
        return int(self.sums.get("n") or 0)

    @property
    def bands(self) -> tuple[int, int, int]:
        """(good, neutral, bad) answers: promoters / passives / detractors, top / middle / bottom boxes, yes / no."""
        s = self.sums
        scale = self.scale
        if scale is None:
            return 0, 0, 0
        if scale.is_nps:
            return int(s.get("promoters") or 0), int(s.get("passives") or 0), int(s.get("detractors") or 0)
        return band_counts(self.distribution, scale)

    @property
    def summary(self) -> NpsSummary | MeanSummary | ShareSummary:
        s = self.sums
        measure = self.measure_key
        if measure == MEASURE_NPS:
            good, neutral, bad = self.bands
            return NpsSummary(n=self.n, promoters=good, passives=neutral, detractors=bad)
        if measure == MEASURE_TOP_BOX:
            return ShareSummary(n=self.n, hits=self.bands[0])
        return MeanSummary(n=self.n, total=float(s.get("total") or 0), total_sq=float(s.get("total_sq") or 0))

    @property
    def is_nps(self) -> bool:
        return self.measure_key == MEASURE_NPS

    @property
    def spec(self) -> str:
        """Metric and measure for the `score` template filter."""
        return f"{self.metric}|{self.measure_key}"

    @property
    def value(self) -> float | None:
        summary = self.summary
        return summary.mean if isinstance(summary, MeanSummary) else summary.score

    @property
    def mean(self) -> float | None:
        """The mean score whatever the measure (shown beside a top-box share)."""
        return float(self.sums.get("total") or 0) / self.n if self.n else None

    @property
    def moe(self) -> float | None:
        return self.summary.margin_of_error

    @property
    def sufficient(self) -> bool:
        return self.n >= max(self.min_n, 1)

    @property
    def shown(self) -> float | None:
        """The value to print: None below the minimum n (the template then says 'insufficient (n=..)')."""
        return self.value if self.sufficient else None

    @property
    def distribution(self) -> list[int]:
        return [int(self.sums.get(f"c{i}") or 0) for i in range(11)]

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.value is None or self.moe is None:
            return None
        return self.value - self.moe, self.value + self.moe
