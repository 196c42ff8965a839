"""The CX program as a whole: who owns it, how mature it is, how well leaders know their customers, and whether the
customers who complained heard that something was fixed.

- ProgramSettings: one per organization: the program owner and the steering group (engagement criteria).
- PerceptionSurvey / PerceptionItem: a leadership or frontline (employee) survey of one journey that asks, for each
  touchpoint, "what score do you think customers give this?" (on the customer survey's own scale, question code
  `perceived-<touchpoint id>`) and "how important is it to customers?" (1-5, `importance-<touchpoint id>`). Staff
  answers are stored without a metric key (surveys.Survey.INTERNAL_KINDS), so they never enter customer rollups.
- HealthSnapshot: the program's maturity on the four stages (engagement, insight, action, integration) as of the end
  of one month, each criterion with its evidence, so the profile can be shown over time.
- CustomerUpdate / CustomerUpdateRecipient: "you said, we did": a short message to the customers whose cases are
  linked to an improvement action whose impact was measured and significant; at most once per customer and action,
  only with contact consent, in the customer's language; optionally a re-survey later and the recovery measured.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned


class ProgramSettings(OrgOwned):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("program owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The person accountable for the CX program."),
    )
    steering_group = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("steering group"),
        blank=True,
        related_name="+",
        help_text=_("Leaders who meet regularly to decide on the program's priorities."),
    )
    steering_cadence = models.CharField(
        _("steering group meets"), max_length=120, blank=True, help_text=_("For example: monthly, first Tuesday.")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="programsettings_one_per_org")]

    def __str__(self) -> str:
        return f"program settings of organization {self.organization_id}"


class Audience(models.TextChoices):
    LEADERSHIP = "leadership", _("Leaders")
    FRONTLINE = "frontline", _("Frontline staff")


class PerceptionSurvey(OrgOwned):
    survey = models.OneToOneField(
        "surveys.Survey", verbose_name=_("survey"), on_delete=models.CASCADE, related_name="perception"
    )
    journey = models.ForeignKey(
        "journeys.Journey", verbose_name=_("journey"), on_delete=models.CASCADE, related_name="perception_surveys"
    )
    audience = models.CharField(_("asked"), max_length=12, choices=Audience.choices, default=Audience.LEADERSHIP)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"perception survey {self.survey_id} ({self.audience})"


def perceived_code(touchpoint_id: int) -> str:
    return f"perceived-{touchpoint_id}"


def importance_code(touchpoint_id: int) -> str:
    return f"importance-{touchpoint_id}"


class PerceptionItem(OrgOwned):
    """One touchpoint asked about in a perception survey, and the customer metric its prediction is compared with."""

    perception = models.ForeignKey(PerceptionSurvey, on_delete=models.CASCADE, related_name="items")
    touchpoint = models.ForeignKey("journeys.Touchpoint", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=50, help_text=_("The customer metric the prediction is compared with."))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["perception_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["perception", "touchpoint"], name="perceptionitem_unique_touchpoint")
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint_id}: {self.metric}"


class Stage(models.TextChoices):
    ENGAGEMENT = "engagement", _("Engagement")
    INSIGHT = "insight", _("Insight")
    ACTION = "action", _("Action")
    INTEGRATION = "integration", _("Integration")


class HealthSnapshot(OrgOwned):
    """The program's health as of the end of `month` (the current month: as of when it was computed).

    criteria: [{"code", "stage", "status" (met / not_met / not_applicable), "value", "threshold", "evidence" (params
    for the criterion's sentence), "url"}]; scores: {stage: share of its applicable criteria met (0-1)};
    stage: the stage the program is in (the first not yet reached), "" when all four are reached."""

    month = models.DateField(_("month"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    criteria = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization_id", "month"]
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="healthsnapshot_unique_month")]

    def __str__(self) -> str:
        return f"health of organization {self.organization_id} in {self.month:%Y-%m}: {self.stage}"


class CustomerUpdate(OrgOwned):
    """One "you said, we did" mailing about an improvement action."""

    action = models.ForeignKey("actions.ImprovementAction", on_delete=models.CASCADE, related_name="customer_updates")
    messages = models.JSONField(_("message"), default=dict, help_text=_("{language: text}"))
    resurvey_after_days = models.PositiveSmallIntegerField(_("re-survey after (days)"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"customer update {self.pk} about action {self.action_id}"


class CustomerUpdateRecipient(OrgOwned):
    """A customer told about an action: once per customer and action (the unique key), whatever the mailings."""

    update = models.ForeignKey(CustomerUpdate, on_delete=models.CASCADE, related_name="recipients")
    action = models.ForeignKey("actions.ImprovementAction", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("actions.FeedbackCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=8)
    sent_at = models.DateTimeField(null=True, blank=True)
    invitation = models.ForeignKey(
        "surveys.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The re-survey is decided on its day (the contact rules as they stand then), not held for weeks: due = sent +
    # the update's days; decided once (with or without an invitation; the reason when none).
    resurvey_due_at = models.DateTimeField(null=True, blank=True)
    resurvey_decided_at = models.DateTimeField(null=True, blank=True)
    resurvey_reason = models.CharField(max_length=40, blank=True)
    # The score that opened the customer's case (the "before" of the recovery), on its metric.
    first_metric = models.CharField(max_length=50, blank=True)
    first_score = models.FloatField(null=True, blank=True)
    first_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "customer"], name="customerupdaterecipient_once_per_customer")
        ]
        indexes = [
            models.Index(
                fields=["resurvey_due_at"],
                name="customerupdate_resurvey_due",
                condition=models.Q(resurvey_due_at__isnull=False, resurvey_decided_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"update {self.update_id} -> customer {self.customer_id}"
