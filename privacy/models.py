"""GDPR: retention policies, the consent log, and the records of what erasures and retention runs did.

None of these rows ever holds a person's identifiers (name, e-mail, phone, external id, comment text): an erasure
is recorded by the erased customer's former row id and counts only, so the record survives the erasure it proves.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned
from customers.models import Customer


class RetentionPolicy(OrgOwned):
    """How long one organization keeps personal data; an empty field keeps that data for good."""

    identities_months = models.PositiveSmallIntegerField(
        _("erase customers inactive for (months)"),
        null=True,
        blank=True,
        help_text=_(
            "A customer with no response, invitation, case, revenue or update for this long is erased: their "
            "responses stay for the statistics without them."
        ),
    )
    comments_months = models.PositiveSmallIntegerField(
        _("mask comments older than (months)"),
        null=True,
        blank=True,
        help_text=_("Free-text answers and the report quotes of them are replaced by a mask; scores stay."),
    )
    audit_log_months = models.PositiveSmallIntegerField(
        _("delete audit log entries older than (months)"), null=True, blank=True
    )
    import_files_months = models.PositiveSmallIntegerField(
        _("delete uploaded import files older than (months)"),
        null=True,
        blank=True,
        help_text=_("The uploaded files and their error reports; the import's counts stay."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    MONTH_FIELDS = ("identities_months", "comments_months", "audit_log_months", "import_files_months")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="retentionpolicy_one_per_org")]

    def __str__(self) -> str:
        return f"Retention policy of {self.organization_id}"

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.MONTH_FIELDS)

    def as_dict(self) -> dict[str, int | None]:
        return {f: getattr(self, f) for f in self.MONTH_FIELDS}


class ConsentEvent(OrgOwned):
    """One change of a customer's consent, appended when it happens (never edited; erased with the customer)."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("May be surveyed")
        CONTACT = "contact", _("May be contacted back")
        MARKETING = "marketing", _("Marketing")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_events")
    kind = models.CharField(_("consent"), max_length=12, choices=Kind.choices)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    # Where the change came from: "import", "api:<key prefix>", "staff:<username>", "survey form", ...
    source = models.CharField(_("source"), max_length=120)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer", "-at"], name="consentevent_customer_at")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}={'yes' if self.granted else 'no'} ({self.source})"


class ErasureRecord(OrgOwned):
    """What one erasure did: which (former) customer rows, how many rows of each kind, by whom and why."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("Request of the person")
        RETENTION = "retention", _("Retention policy")

    at = models.DateTimeField(_("when"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, default=Reason.REQUEST)
    # Former primary keys of the erased customer rows (the rows are gone; the ids identify no one outside).
    customer_ids = models.JSONField(_("customer rows"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("by"), max_length=200)
    counts = models.JSONField(_("rows changed"), default=dict, blank=True)
    # Rows of the organization still holding an identifier after the erasure, per table.column (should be empty).
    leftovers = models.JSONField(_("left over"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organization", "-at"], name="erasurerecord_org_at")]

    def __str__(self) -> str:
        return f"Erasure {self.pk} ({self.reason})"


class RetentionRun(OrgOwned):
    """One application of an organization's retention policy (nightly or on request), with its report."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Nightly")
        MANUAL = "manual", _("On request")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    # A run asked for on the page is queued for a worker (privacy.run_retention_one), which claims it (queued ->
    # running) and stores its counts after every step; the sweep (privacy.requeue_retention_runs) queues again a run
    # whose task was lost or whose worker died (no progress for PRIVACY_RETENTION_STALE_SECONDS).
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress_at = models.DateTimeField(_("last progress"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    policy = models.JSONField(_("policy applied"), default=dict)
    counts = models.JSONField(_("rows changed"), default=dict, blank=True)
    actor_label = models.CharField(_("by"), max_length=200)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-started_at"], name="retentionrun_org_started"),
            models.Index(
                fields=["progress_at"],
                name="retentionrun_unfinished",
                condition=models.Q(state__in=["queued", "running"]),
            ),
        ]

    UNFINISHED = (State.QUEUED, State.RUNNING)

    @property
    def is_unfinished(self) -> bool:
        return self.state in self.UNFINISHED

    def __str__(self) -> str:
        return f"Retention run {self.pk} ({self.started_at:%Y-%m-%d})"
