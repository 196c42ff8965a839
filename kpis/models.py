"""KPI definitions, targets (with history), benchmarks, operational KPI values and the rollup facts.

Rollups are narrow pre-aggregated facts, recomputed from source answers by SQL (see `kpis.rollups`), never
incremented. Dashboards read only these tables, so their cost does not grow with the number of responses.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import MEASURE_CHOICES, Organization, OrgOwned, OrgQuerySet
from journeys.models import Journey, Persona, Stage, Touchpoint

NPS_METRIC = "nps"


class Kpi(OrgOwned):
    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey-derived")
        IMPORTED = "imported", _("Imported (operational, financial, employee, ...)")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Aggregation(models.TextChoices):
        MEAN = "mean", _("Mean of daily values")
        SUM = "sum", _("Sum of daily values")
        LAST = "last", _("Latest value")
        # Percentages such as late deliveries: each day keeps its numerator and denominator, and a period's figure
        # is 100 x their sums' ratio, so a quiet day weighs as little as it should.
        RATIO = "ratio", _("Ratio of sums (percentage: 100 × numerators ÷ denominators)")

    code = models.SlugField(_("code"), max_length=50, help_text=_("Short stable identifier used by imports and API."))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SURVEY)
    metric = models.CharField(
        _("survey metric"),
        max_length=50,
        blank=True,
        help_text=_("For survey-derived KPIs: nps, csat, ces, or a question's metric key such as overall:1-10."),
    )
    measure = models.CharField(
        _("measure"),
        max_length=10,
        choices=MEASURE_CHOICES,
        blank=True,
        help_text=_("For 1-N scales (CSAT, CES, ratings): the mean score or the top-2-box share."),
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("points, %, minutes, count, SEK, ..."))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    aggregation = models.CharField(
        _("aggregation over a period"),
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.MEAN,
        help_text=_("How imported daily values add up over a period."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_kpis",
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="kpi_unique_code"),
            models.CheckConstraint(condition=~Q(kind="survey") | ~Q(metric=""), name="kpi_survey_has_metric"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_survey(self) -> bool:
        return self.kind == self.Kind.SURVEY

    @property
    def is_nps(self) -> bool:
        return self.is_survey and self.metric == NPS_METRIC

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER


class PeriodQuerySet(OrgQuerySet):
    def overlapping(self, start: dt.date, end: dt.date) -> PeriodQuerySet:
        return self.filter(period_start__lte=end, period_end__gte=start)


class Target(OrgOwned):
    class Scope(models.TextChoices):
        TOUCHPOINT = "touchpoint", _("Touchpoint")
        STAGE = "stage", _("Stage")
        JOURNEY = "journey", _("Journey")
        ORGANIZATION = "organization", _("Organization")

    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="targets")
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.TOUCHPOINT)
    # journey is set for journey, stage and touchpoint scopes (denormalised) so a journey's targets are one filter.
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    segment = models.CharField(_("segment"), max_length=60, blank=True)
    persona = models.ForeignKey(
        Persona, verbose_name=_("persona"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    value = models.FloatField(_("target value"))
    linked_to_compensation = models.BooleanField(_("linked to compensation"), default=False)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["kpi_id", "scope", "period_start", "pk"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        indexes = [models.Index(fields=["organization", "kpi", "period_start"])]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="target_period_order"),
            models.CheckConstraint(
                condition=(
                    Q(scope="organization", journey__isnull=True, stage__isnull=True, touchpoint__isnull=True)
                    | Q(scope="journey", journey__isnull=False, stage__isnull=True, touchpoint__isnull=True)
                    | Q(scope="stage", journey__isnull=False, stage__isnull=False, touchpoint__isnull=True)
                    | Q(scope="touchpoint", journey__isnull=False, touchpoint__isnull=False)
                ),
                name="target_scope_matches_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.scope_label}: {self.value:g}"

    @property
    def scope_object(self):
        return {"touchpoint": self.touchpoint, "stage": self.stage, "journey": self.journey}.get(self.scope)

    @property
    def scope_label(self) -> str:
        obj = self.scope_object
        return str(obj) if obj is not None else str(_("Organization"))


class TargetChange(OrgOwned):
    """One change of a target, written by `kpis.services` only (who, when, old -> new)."""

    class Field(models.TextChoices):
        CREATED = "created", _("Created")
        VALUE = "value", _("Target value")
        PERIOD = "period", _("Period")
        COMPENSATION = "compensation", _("Linked to compensation")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=20, choices=Field.choices)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-pk"]


class Benchmark(OrgOwned):
    class Kind(models.TextChoices):
        COMPETITOR = "competitor", _("Competitor")
        INDUSTRY = "industry", _("Industry")

    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="benchmarks")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMPETITOR)
    source_name = models.CharField(_("source"), max_length=120, help_text=_("Competitor or study, e.g. 'Telia'."))
    # Empty journey and touchpoint: an organization-level figure (the usual case for industry studies).
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    value = models.FloatField(_("value"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["kpi_id", "-period_end", "source_name"]
        verbose_name = _("benchmark")
        verbose_name_plural = _("benchmarks")
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="benchmark_period_order")
        ]

    def __str__(self) -> str:
        return f"{self.source_name}: {self.value:g}"


class KpiValue(OrgOwned):
    """An operational KPI value for one touchpoint and day; re-imports upsert on (kpi, touchpoint, day).

    A ratio KPI's day also keeps its `numerator` and `denominator` (e.g. 80 late of 1,000 deliveries); `value` is
    then 100 x numerator / denominator, kept so that every reader of daily values still works.
    """

    class Source(models.TextChoices):
        API = "api", _("API")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Manual")

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    value = models.FloatField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    updated_at = models.DateTimeField(auto_now=True)

    # Period sums for `period_figure`: .values(...).annotate(**KpiValue.PERIOD_SUMS).
    PERIOD_SUMS = {
        "total": models.Sum("value"),
        "count": models.Count("id"),
        "numerator_sum": models.Sum("numerator"),
        "denominator_sum": models.Sum("denominator"),
        "ratio_days": models.Count("denominator"),
    }

    class Meta:
        ordering = ["-day", "kpi_id", "touchpoint_id"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "touchpoint", "day"], name="kpivalue_unique_day"),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True, denominator__isnull=True)
                | Q(numerator__isnull=False, denominator__gt=0),
                name="kpivalue_ratio_parts",
            ),
        ]
        indexes = [models.Index(fields=["touchpoint", "day"])]

    @staticmethod
    def period_figure(
        aggregation: str,
        *,
        total: float | None,
        count: int,
        last: float | None = None,
        numerator_sum: float | None = None,
        denominator_sum: float | None = None,
        **_ignored: object,
    ) -> float | None:
        """One figure for a period's daily values, by the KPI's aggregation (None: no value in the period).

        Ratio: 100 x sum of numerators / sum of denominators over the days that have them (never the mean of the
        daily percentages, which would let one late delivery on a quiet day count as much as a busy day).
        """
        if aggregation == Kpi.Aggregation.RATIO:
            if numerator_sum is None or not denominator_sum:
                return None
            return 100.0 * numerator_sum / denominator_sum
        if not count:
            return None
        if aggregation == Kpi.Aggregation.SUM:
            return total
        if aggregation == Kpi.Aggregation.LAST:
            return last
        return (total or 0.0) / count


class RollupStats(models.Model):
    """Additive statistics of a group of answers: enough for NPS, means, CIs and the 0-10 distribution."""

    metric = models.CharField(max_length=50)
    day = models.DateField()
    n = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    passives = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    total_sq = models.FloatField(default=0)
    # Distribution of integer scores 0..10 (covers NPS 0-10, CSAT 1-5, CES 1-7 and 0-10 ratings).
    c0 = models.PositiveIntegerField(default=0)
    c1 = models.PositiveIntegerField(default=0)
    c2 = models.PositiveIntegerField(default=0)
    c3 = models.PositiveIntegerField(default=0)
    c4 = models.PositiveIntegerField(default=0)
    c5 = models.PositiveIntegerField(default=0)
    c6 = models.PositiveIntegerField(default=0)
    c7 = models.PositiveIntegerField(default=0)
    c8 = models.PositiveIntegerField(default=0)
    c9 = models.PositiveIntegerField(default=0)
    c10 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


STAT_FIELDS = ["n", "promoters", "passives", "detractors", "total", "total_sq"] + [f"c{i}" for i in range(11)]


def _derived_fk(to, **kwargs) -> models.ForeignKey:
    """A rollup's reference: rollups are derived from the answers (which carry the constraints) and checked against
    them every night, so writing them queues no constraint check per row (a rebuild wrote 25,000 rows in 0.6 s and
    then checked 50,000 references at commit for 0.17 s). Django still cascades deletes."""
    return models.ForeignKey(to, on_delete=models.CASCADE, related_name="+", db_constraint=False, **kwargs)


class Rollup(OrgOwned, RollupStats):
    """Answers of one touchpoint, day and metric."""

    organization = _derived_fk(Organization)
    touchpoint = _derived_fk(Touchpoint, db_index=False)  # the unique key leads with it

    class Meta:
        constraints = [models.UniqueConstraint(fields=["touchpoint", "day", "metric"], name="rollup_unique_key")]

    def __str__(self) -> str:
        return f"touchpoint {self.touchpoint_id} {self.day} {self.metric}: n={self.n}"


class JourneyRollup(OrgOwned, RollupStats):
    """Answers of journey surveys (responses about a whole journey, not one touchpoint), per journey and day."""

    organization = _derived_fk(Organization)
    journey = _derived_fk(Journey, db_index=False)  # the unique key leads with it

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "day", "metric"], name="journeyrollup_unique_key")]

    def __str__(self) -> str:
        return f"journey {self.journey_id} {self.day} {self.metric}: n={self.n}"


class RelationshipRollup(OrgOwned, RollupStats):
    """Answers of relationship surveys (customers asked about the organization as a whole, e.g. "how likely are you
    to recommend us overall"), per organization, day and metric: answers with neither a touchpoint nor a journey.
    Staff surveys (employee, leadership) never count, whatever their questions."""

    organization = _derived_fk(Organization, db_index=False)  # the unique key leads with it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day", "metric"], name="relationshiprollup_unique_key")
        ]

    def __str__(self) -> str:
        return f"relationship {self.organization_id} {self.day} {self.metric}: n={self.n}"


class SegmentRollup(OrgOwned, RollupStats):
    """Touchpoint rollups sliced by the respondent's customer segment and persona (for dashboard filters).

    `segment` is '' and `persona_key` 0 for anonymous respondents or customers without one. persona_key is a
    plain integer (not a foreign key) so it can be part of the unique key without NULL semantics.
    """

    organization = _derived_fk(Organization)
    touchpoint = _derived_fk(Touchpoint, db_index=False)  # both indexes lead with it
    segment = models.CharField(max_length=60, blank=True)
    persona_key = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["touchpoint", "day", "metric", "segment", "persona_key"], name="segmentrollup_unique_key"
            )
        ]
        # The segment filter of the dashboards: one range per touchpoint instead of every slice of every day.
        indexes = [models.Index(fields=["touchpoint", "segment", "metric", "day"], name="segmentrollup_segment_idx")]

    def __str__(self) -> str:
        return f"touchpoint {self.touchpoint_id} {self.day} {self.metric} {self.segment}/{self.persona_key}: n={self.n}"


class DirtyRollup(models.Model):
    """A (touchpoint, journey or organization, day) whose rollups must be recomputed. Marked by upsert, claimed by
    deletion. A relationship key's key_id is the organization's id."""

    class Kind(models.TextChoices):
        TOUCHPOINT = "t", "touchpoint"
        JOURNEY = "j", "journey"
        RELATIONSHIP = "r", "relationship"

    id = models.BigAutoField(primary_key=True)
    organization_id = models.BigIntegerField()
    kind = models.CharField(max_length=1, choices=Kind.choices)
    key_id = models.BigIntegerField()
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key_id", "day"], name="dirtyrollup_unique_key")]

    def __str__(self) -> str:
        return f"{self.kind}{self.key_id} {self.day}"


class Reconciliation(OrgOwned):
    """The result of one nightly comparison of the rollups with a fresh recompute from source rows."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_checked = models.PositiveIntegerField(default=0)
    differences = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(default=0)
    # A few examples of what differed (table, key, stored n, recomputed n): enough to investigate.
    details = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M}: {self.differences} differences"

    @property
    def ok(self) -> bool:
        return self.differences == 0
