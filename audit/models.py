"""The audit log: one append-only row per access to personal data or change to who may do what.

Rows are never updated. On PostgreSQL a trigger refuses UPDATE and DELETE unless the transaction set
`cx.audit_purge = 'on'` (only the retention purge, `audit.services.audit_purge`, does that), so neither a bug nor a
stray ORM call can rewrite history. Actor and target are kept as labels too: the log stays readable after a user,
key or customer is deleted or erased.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, OrgQuerySet


class AuditEvent(models.Model):
    # Nullable: events outside any organization (a sign-in that failed before one was chosen).
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The user's name or e-mail, "API key <name> (<prefix>)" or "system" (nightly jobs).
    actor_label = models.CharField(_("who"), max_length=200)
    # A dotted verb from audit.actions (e.g. "customer.view", "member.role_change", "privacy.erase").
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(_("object type"), max_length=60, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    # What changed (old/new values, filters of an export, row counts), never personal data beyond the target label.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-at"], name="audit_org_at"),
            models.Index(fields=["organization", "action", "-at"], name="audit_org_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}:{self.target_id}"
