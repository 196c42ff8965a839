"""Improvement actions (the outer loop): from recurring root causes or touchpoint gaps to measured impact."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import MEASURE_CHOICES, OrgOwned, OrgQuerySet
from journeys.models import Touchpoint

from .cases import FeedbackCase, RootCause


class ImprovementStatus(models.TextChoices):
    IDEA = "idea", _("Idea")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    IMPACT_MEASURED = "impact_measured", _("Impact measured")
    DROPPED = "dropped", _("Dropped")


# The kanban's columns, left to right; "dropped" is a column too, reached from any other.
BOARD_FLOW = [
    ImprovementStatus.IDEA,
    ImprovementStatus.APPROVED,
    ImprovementStatus.IN_PROGRESS,
    ImprovementStatus.DONE,
    ImprovementStatus.IMPACT_MEASURED,
]


class Horizon(models.TextChoices):
    QUICK_WIN = "quick_win", _("Quick win (under a quarter)")
    MEDIUM = "medium", _("Medium term (a quarter to a year)")
    LONG = "long", _("Long term (over a year)")


class Origin(models.TextChoices):
    ROOT_CAUSE = "root_cause", _("Recurring root cause")
    TOUCHPOINT_GAP = "touchpoint_gap", _("Touchpoint gap")
    OTHER = "other", _("Other")


class ImprovementActionQuerySet(OrgQuerySet):
    def wins(self) -> ImprovementActionQuerySet:
        return self.filter(published_at__isnull=False, impact_significant=True, impact_delta__gt=0)


class ImprovementAction(OrgOwned):
    Status = ImprovementStatus

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImprovementStatus.choices, default=ImprovementStatus.IDEA
    )
    horizon = models.CharField(_("horizon"), max_length=10, choices=Horizon.choices, default=Horizon.QUICK_WIN)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, default=Origin.OTHER)
    root_cause = models.ForeignKey(
        RootCause,
        verbose_name=_("root cause"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    touchpoints = models.ManyToManyField(
        Touchpoint, blank=True, related_name="improvement_actions", verbose_name=_("touchpoints")
    )
    cases = models.ManyToManyField(
        FeedbackCase, blank=True, related_name="improvement_actions", verbose_name=_("cases")
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_date = models.DateField(_("done date"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # What the action is meant to move and is measured on (a core.scales metric key and measure, '' = the scale's
    # usual figure); set from the organization's primary metric when the action is created. The expected uplift
    # is in its unit: NPS points, mean-score points, or percentage points of top-2-box / % yes.
    metric = models.CharField(_("measured on"), max_length=50, default="nps")
    measure = models.CharField(_("measure"), max_length=10, choices=MEASURE_CHOICES, blank=True)
    expected_uplift = models.FloatField(
        _("expected uplift"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "In the unit of the metric it is measured on: NPS points, points of a mean score (e.g. 0.2 on a "
            "1-5 scale), or percentage points of a top-2-box or % yes share."
        ),
    )
    impact_before_days = models.PositiveSmallIntegerField(
        _("days measured before the start"), default=90, validators=[MinValueValidator(7)]
    )
    impact_after_days = models.PositiveSmallIntegerField(
        _("days measured after done"), default=90, validators=[MinValueValidator(7)]
    )
    # Snapshot of the last impact measurement (windows, sample sizes, significance, realised value).
    impact_measured_at = models.DateTimeField(null=True, blank=True)
    impact_before_start = models.DateField(null=True, blank=True)
    impact_before_end = models.DateField(null=True, blank=True)
    impact_after_start = models.DateField(null=True, blank=True)
    impact_after_end = models.DateField(null=True, blank=True)
    impact_before_n = models.PositiveIntegerField(null=True, blank=True)
    impact_after_n = models.PositiveIntegerField(null=True, blank=True)
    # The metric and measure (resolved: nps, mean, top_box) the last measurement used; the before / after figures
    # are in it (the columns keep their historical names: NPS, a mean score or a share in per cent).
    impact_metric = models.CharField(max_length=50, blank=True)
    impact_measure = models.CharField(max_length=10, blank=True)
    impact_before_nps = models.FloatField(null=True, blank=True)
    impact_after_nps = models.FloatField(null=True, blank=True)
    impact_delta = models.FloatField(null=True, blank=True)
    impact_p_value = models.FloatField(null=True, blank=True)
    impact_significant = models.BooleanField(null=True, blank=True)
    realised_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    impact_note = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    win_story = models.TextField(_("what we learned"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ImprovementActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_success(self) -> bool:
        """A success is a measured improvement that is statistically significant, nothing less."""
        return bool(self.impact_significant) and (self.impact_delta or 0) > 0

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    # Figures with their unit, for every page that shows them ("NPS +6", "CSAT, mean +0.21", ...).

    @property
    def impact_label(self) -> str:
        from actions.valuation import figure_label

        return figure_label(self.impact_metric or "nps", self.impact_measure)

    @property
    def impact_before_text(self) -> str:
        from actions.valuation import figure_text

        return figure_text(self.impact_metric or "nps", self.impact_measure, self.impact_before_nps)

    @property
    def impact_after_text(self) -> str:
        from actions.valuation import figure_text

        return figure_text(self.impact_metric or "nps", self.impact_measure, self.impact_after_nps)

    @property
    def impact_change_text(self) -> str:
        from actions.valuation import change_text

        return change_text(self.impact_metric or "nps", self.impact_measure, self.impact_delta)

    @property
    def target_label(self) -> str:
        """What the action is measured on: "NPS", "CSAT, top-2-box %"."""
        from actions.valuation import figure_label

        return figure_label(self.metric or "nps", self.measure)

    @property
    def expected_uplift_text(self) -> str:
        from actions.valuation import change_text

        return change_text(self.metric or "nps", self.measure, self.expected_uplift)
