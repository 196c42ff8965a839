"""Revenue and churn facts per customer, and the stored results of the value model.

Dashboards and other apps read only `ValueSnapshot` rows (through `value.selectors`), never the facts in bulk.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned, OrgQuerySet
from customers.models import Customer


class CustomerRevenue(OrgOwned):
    """Revenue of one customer in one calendar month (`month` is the first day), in the organization's currency."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="revenue")
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "customer_id"]
        constraints = [
            # The natural key: imports and the API upsert on it, so a re-import changes nothing.
            models.UniqueConstraint(fields=["customer", "month"], name="customerrevenue_unique_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="customerrevenue_month_first_day"),
        ]
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}: {self.amount}"


class ChurnEvent(OrgOwned):
    """A customer ended (all or the main part of) their relationship on `date`."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="churn_events")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["customer", "date"], name="churnevent_unique_date")]
        indexes = [models.Index(fields=["organization", "date"])]

    def __str__(self) -> str:
        return f"{self.customer_id} churned {self.date}"


class ValueSettings(OrgOwned):
    """An organization's choices for the value model's key drivers (one row per organization; none = defaults).

    `driver_outcome` is "auto" (the relationship survey's primary metric if enough customers answered it and a
    touchpoint, else the journey survey's, else any metric asked outside touchpoints), "churn" (churned in the
    period, 0/1), or a metric key (core.scales) such as "nps", "overall:1-10" or "satisfied:yes".
    """

    AUTO = "auto"
    CHURN = "churn"

    driver_outcome = models.CharField(_("key-driver outcome"), max_length=60, default=AUTO)
    # The smallest |r| called a driver; None: settings.VALUE_DRIVER_MIN_EFFECT.
    driver_min_effect = models.FloatField(
        _("minimum practical effect (|r|)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.99)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="valuesettings_one_per_org")]

    def __str__(self) -> str:
        return f"Value settings of {self.organization_id}"


class ValueSnapshotQuerySet(OrgQuerySet):
    def done(self) -> ValueSnapshotQuerySet:
        return self.filter(status=ValueSnapshot.Status.DONE)


class ValueSnapshot(OrgOwned):
    """One run of the value model for one organization: its parameters and every figure the dashboards show.

    `results` holds plain JSON (see `value.analysis.model.run` for its shape); a figure the data cannot support
    is stored with `supported: false` and a plain-language `reason` instead of a number.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)
    # Run-level explanations (data coverage, what could not be computed and why).
    explanations = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)

    objects = ValueSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        get_latest_by = "computed_at"
        indexes = [
            models.Index(fields=["organization", "status", "-computed_at"], name="valuesnapshot_org_latest"),
        ]

    def __str__(self) -> str:
        return f"Value snapshot {self.pk} ({self.status})"
