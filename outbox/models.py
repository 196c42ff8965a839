"""The transactional outbox: one row per e-mail to one recipient, written in the transaction of the change it reports.

A row is the promise that the e-mail will go out: the after-commit task sends it at once, and the sweep sends any
row that task missed (broker down, worker lost) or that failed and is due for another attempt. Its life:

    pending --claim--> sending --sent--> sent
       ^                  |  `--error, attempts left--> pending (next_attempt_at = now + backoff)
       |                  |  `--error, no attempts left--> failed
       `--stuck in sending past the timeout (the worker died): claimed again by the sweep
    pending/sending --the app no longer wants it (e.g. consent withdrawn)--> cancelled
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned


class OutboxMessage(OrgOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # What the e-mail is ("actions.case_opened"), and the id of the row it is about (the kind says which table).
    kind = models.CharField(max_length=64)
    ref_id = models.PositiveBigIntegerField(null=True, blank=True)
    # One message per event and recipient, e.g. "case:123:team_notified:alice@example.com": the unique index makes
    # a repeated follow-up (a task delivered twice, a sweep, a retry) insert nothing.
    dedupe_key = models.CharField(max_length=500, unique=True)
    recipient = models.EmailField(max_length=254)
    # Rendered by the app in the recipient's language when the row is written (see outbox.services).
    subject = models.TextField()
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The sender's two questions: which pending rows are due, which sending rows are stuck.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="outbox_pending_due"),
            models.Index(fields=["claimed_at"], condition=models.Q(status="sending"), name="outbox_sending_claimed"),
            models.Index(fields=["kind", "ref_id"], name="outbox_kind_ref"),
            models.Index(fields=["created_at"], name="outbox_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.recipient}: {self.status}"
