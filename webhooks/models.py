"""Webhook endpoints (an organization's subscriptions) and deliveries (the outbox and the delivery log in one table).

An event becomes one WebhookDelivery row per subscribed endpoint, inserted in the transaction of the change that
caused it; nothing talks to the network there. The sender (webhooks.sender) claims due rows, POSTs them signed, and
records the outcome on the same row, which is then the delivery log. Unique (endpoint, event_id): an event sent
again (a re-sent signal, a retried batch) creates no second row, so a receiver gets it once per endpoint, apart
from the at-least-once case described in webhooks.sender.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.encryption import EncryptedTextField
from accounts.models import Organization, OrgOwned

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def generate_secret() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


class EventType(models.TextChoices):
    RESPONSE_RECEIVED = "response.received", _("Response received")
    CASE_OPENED = "case.opened", _("Feedback case opened")
    CASE_CLOSED = "case.closed", _("Feedback case closed")
    IMPACT_MEASURED = "impact.measured", _("Improvement impact measured")
    REPORT_PUBLISHED = "report.published", _("Monthly report published")


# Sent only by the "send test event" button; endpoints do not subscribe to it.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(OrgOwned):
    # Own related name (OrgOwned's is "+"), so the response batch can be joined to its organization's endpoints.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    include_personal_data = models.BooleanField(
        _("include personal data"),
        default=False,
        help_text=_("Send comments, resolutions and customer ids. Off: scores and ids of objects only."),
    )
    # Both stored encrypted with FIELD_ENCRYPTION_KEY (accounts.encryption): a database dump cannot sign a payload.
    secret = EncryptedTextField(max_length=100, default=generate_secret)
    # After a rotation the previous secret also signs until this time, so receivers can switch without a gap.
    previous_secret = EncryptedTextField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Deliveries that failed for good in a row (each after all its retries); the endpoint is disabled at the limit.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "pk"]
        indexes = [models.Index(fields=["organization", "active"], name="webhook_endpoint_org_active")]

    def __str__(self) -> str:
        return self.description or self.url

    def signing_secrets(self, *, now=None) -> list[str]:
        """The current secret, then the previous one while its grace period lasts."""
        now = now or timezone.now()
        found = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            found.append(self.previous_secret)
        return found

    def subscribes(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class WebhookDelivery(OrgOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # Defaults are also database defaults (db_default): the response batch inserts rows with one INSERT ... SELECT.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("event id"))
    # The event's `data` (webhooks.events.body adds the envelope: id, type, created_at).
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, db_default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, db_default=Now())
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True, default="", db_default="")
    response_excerpt = models.TextField(_("response"), blank=True, default="", db_default="")
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_default=Now())
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_unique_event"),
        ]
        indexes = [
            # The sender's claim: due pending rows, oldest due first.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
            # The sweep's stuck rows.
            models.Index(fields=["claimed_at"], name="webhook_delivery_sending", condition=models.Q(status="sending")),
            # The delivery log of one endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.endpoint_id} ({self.status})"

    @property
    def is_test(self) -> bool:
        return self.event_type == TEST_EVENT
