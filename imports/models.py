"""Background file imports (customers, responses, revenue, ...): progress and a row-level error report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned


class ImportJob(OrgOwned):
    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        RESPONSES = "responses", _("Responses")
        REVENUE = "revenue", _("Revenue")
        CHURN = "churn", _("Churn events")
        KPI_VALUES = "kpi_values", _("Operational KPI values")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    # Valid rows that matched an existing record field for field: nothing written.
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # First errors kept inline for the page; the full report is a CSV file.
    errors = models.JSONField(default=list, blank=True)
    error_report = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    # What the user should know although nothing failed: columns ignored, rows skipped on purpose.
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When its run was last queued (mapping confirmed, or queued again by `imports.services.import_jobs_requeue`).
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Runs claimed so far: a job whose worker died is taken again, up to IMPORTS_MAX_ATTEMPTS runs.
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="importjob_org_recent"),
            # The requeue sweep: jobs waiting or running, oldest queued first.
            models.Index(
                fields=["status", "queued_at"],
                condition=models.Q(status__in=["pending", "running"]),
                name="importjob_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def needs_mapping(self) -> bool:
        """Uploaded and waiting for its column mapping (nothing is queued until the mapping is confirmed)."""
        return self.status == self.Status.PENDING and "mapping" not in (self.options or {})


class SavedMapping(OrgOwned):
    """A column mapping someone confirmed for a file: offered again for the next file of the same kind and header.

    Exports from one system keep their header from month to month, so the second file of a kind imports with one
    click. The mapping's shape belongs to the import kind (see `imports.mappings`).
    """

    kind = models.CharField(max_length=20, choices=ImportJob.Kind.choices)
    # sha256 of the header cells as `imports.mappings.header_key` normalises them.
    header_key = models.CharField(max_length=64)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "header_key"], name="savedmapping_unique_header")
        ]

    def __str__(self) -> str:
        return f"{self.kind} mapping for {len(self.header)} columns"
