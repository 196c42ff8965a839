"""Feedback cases (the inner loop): one per response that matched an alert rule, with its timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import OrgOwned, OrgQuerySet, Team
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import Response


class RootCause(OrgOwned):
    """A node of the organization's root-cause taxonomy (e.g. Technician > Late)."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.RESTRICT, related_name="children"
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        constraints = [
            models.UniqueConstraint(fields=["organization", "parent", "name"], name="rootcause_unique_name"),
            # NULLs are distinct in a unique index, so top-level names need their own partial constraint.
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=models.Q(parent__isnull=True),
                name="rootcause_unique_top_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    CLAIMED = "claimed", _("Claimed")
    CONTACTED = "contacted", _("Contacted")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")
    REOPENED = "reopened", _("Reopened")


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.CLAIMED, CaseStatus.CONTACTED, CaseStatus.REOPENED)


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("None")
    NEARING = 1, _("SLA nearing: team lead reminded")
    OVERDUE = 2, _("SLA passed: CX managers alerted")


class FeedbackCaseQuerySet(OrgQuerySet):
    def open(self) -> FeedbackCaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class FeedbackCase(OrgOwned):
    Status = CaseStatus

    # One case per response, whatever the number of matching rules: the customer gets one call-back, and a
    # re-delivered signal cannot open a second case (the unique index decides, not a read-then-write check).
    response = models.OneToOneField(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="feedback_case"
    )
    rule = models.ForeignKey(
        "actions.AlertRule",
        verbose_name=_("alert rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_cases",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_cases"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.NEW)
    # The scores that opened the case, copied so lists and analytics need no join to the answers.
    nps = models.SmallIntegerField(_("NPS score"), null=True, blank=True)
    csat = models.SmallIntegerField(_("CSAT score"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    sla_hours = models.PositiveIntegerField(_("SLA (hours)"), default=48)
    sla_business_hours = models.BooleanField(_("business hours only"), default=False)
    warn_at = models.DateTimeField(_("reminder due"))
    due_at = models.DateTimeField(_("due"))
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    time_to_first_contact = models.DurationField(_("time to first contact"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    time_to_close = models.DurationField(_("time to close"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_without_contact = models.BooleanField(_("closed without contact"), default=False)
    root_cause = models.ForeignKey(
        RootCause, verbose_name=_("root cause"), null=True, blank=True, on_delete=models.RESTRICT, related_name="cases"
    )
    # Where the problem started, when that is another touchpoint than the one the customer answered about (a bad
    # sale causing a bad invoice): the Pareto of root causes can be read by origin touchpoint.
    origin_touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("where the problem started"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Escalation and notifications are claimed with conditional UPDATEs on these fields, so each is sent once.
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    team_notified_at = models.DateTimeField(null=True, blank=True)
    customer_replied_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackCaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("feedback case")
        verbose_name_plural = _("feedback cases")
        indexes = [
            models.Index(fields=["organization", "status", "due_at"]),
            models.Index(fields=["organization", "team", "status"]),
            models.Index(fields=["organization", "assignee", "status"]),
            models.Index(fields=["organization", "customer", "opened_at"]),
            models.Index(fields=["organization", "opened_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def closed_within_sla(self) -> bool | None:
        if self.closed_at is None:
            return None
        return self.closed_at <= self.due_at


class ContactAttempt(OrgOwned):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Call")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        LEFT_MESSAGE = "left_message", _("Left a message")
        SENT = "sent", _("Sent")

    # Outcomes that count as having contacted the customer (time to first contact stops here).
    CONTACT_OUTCOMES = frozenset({Outcome.REACHED, Outcome.SENT})

    case = models.ForeignKey(
        FeedbackCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="contact_attempts"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"

    @property
    def is_contact(self) -> bool:
        return self.outcome in self.CONTACT_OUTCOMES


class CaseEvent(OrgOwned):
    """The case timeline: who changed what and when, with old and new values."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Opened")
        CLAIMED = "claimed", _("Claimed")
        ASSIGNED = "assigned", _("Assigned")
        TEAM = "team", _("Team changed")
        STATUS = "status", _("Status changed")
        CONTACT = "contact", _("Contact attempt")
        NOTE = "note", _("Note")
        ROOT_CAUSE = "root_cause", _("Root cause")
        RESOLUTION = "resolution", _("Resolution")
        CLOSED = "closed", pgettext_lazy("case event", "Closed")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated")
        NOTIFIED = "notified", _("Team notified")
        REPLIED = "replied", _("Customer e-mailed")

    case = models.ForeignKey(FeedbackCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    old_value = models.CharField(_("old value"), max_length=255, blank=True)
    new_value = models.CharField(_("new value"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"
