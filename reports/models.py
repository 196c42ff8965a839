"""Monthly executive reports (frozen snapshots, in versions), their subscribers and their e-mail deliveries.

A report is generated once per (organization, scope, month) by beat, and again on demand: each generation is a new
version; a version never changes after it is ready (late data makes a new version, never a silent change). Pages,
the PDF, the e-mail and the API read the stored figures, never the live tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned
from journeys.models import Journey


class MonthlyReport(OrgOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Being generated")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Monthly schedule")
        ON_DEMAND = "on_demand", _("On demand")

    # No journey: the whole organization; a journey: that journey only.
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    month = models.DateField(_("month"), help_text=_("First day of the calendar month the report covers."))
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.ON_DEMAND)
    # The frozen figures (JSON-safe: numbers, strings, lists, dicts) and the page rendered from them.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    html = models.TextField(_("rendered report"), blank=True)
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "journey_id", "-version"]
        constraints = [
            # Two partial constraints rather than nulls_distinct (SQLite and PostgreSQL < 15 alike).
            models.UniqueConstraint(
                fields=["organization", "month", "version"],
                condition=models.Q(journey__isnull=True),
                name="monthlyreport_unique_org_version",
            ),
            models.UniqueConstraint(
                fields=["organization", "journey", "month", "version"],
                condition=models.Q(journey__isnull=False),
                name="monthlyreport_unique_journey_version",
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="monthlyreport_month_first_day"),
        ]
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m} v{self.version}"


class ReportSubscription(OrgOwned):
    """A user's explicit choice about the monthly report e-mail. No row: executives get it, other roles do not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    subscribed = models.BooleanField(_("subscribed"), default=True)
    # The language of the user's report e-mails and their PDF; empty: the user's saved language (their settings),
    # else the organization's default language (reports.delivery.selectors.user_language).
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="reportsubscription_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {'on' if self.subscribed else 'off'}"


class ReportDelivery(OrgOwned):
    """One e-mail of one report to one subscriber: a row with a state first, then the send (at most once)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_deliveries")
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=8)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The first time the recipient opened the report (web page or PDF) after it was sent: "reports read by their
    # subscribers" in the program's health.
    read_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="reportdelivery_unique_recipient")]
        indexes = [models.Index(fields=["state", "claimed_at"])]

    def __str__(self) -> str:
        return f"report {self.report_id} -> {self.email}: {self.state}"
