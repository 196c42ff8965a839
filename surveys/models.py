"""Surveys, versioned questions, invitations, responses and answers.

Contract for the KPI engine and the closed loop (do not rename or remove these fields):
- Response: organization, survey, version, touchpoint, journey, customer, invitation, language, channel, source,
  submitted_at, idempotency_key, processed_at (NULL = follow-up work not yet done: the response is its own outbox).
- Answer: organization, response, question, touchpoint (denormalised), submitted_on (denormalised date), metric
  (nps / csat / ces / rating code), value (numeric score), text, choices.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned, OrgQuerySet
from customers.models import Customer
from journeys.models import Channel, Journey, Touchpoint


class Survey(OrgOwned):
    class Kind(models.TextChoices):
        TOUCHPOINT = "touchpoint", _("Touchpoint")
        JOURNEY = "journey", _("Journey")
        RELATIONSHIP = "relationship", _("Relationship")
        EMPLOYEE = "employee", _("Employee")
        LEADERSHIP = "leadership", _("Leadership")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TOUCHPOINT)
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), null=True, blank=True, on_delete=models.SET_NULL, related_name="surveys"
    )
    touchpoints = models.ManyToManyField(Touchpoint, blank=True, related_name="surveys", verbose_name=_("touchpoints"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    default_language = models.CharField(_("fallback language"), max_length=8, default="en")
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # The version respondents see; a draft version may exist beside it while the survey is edited.
    current_version = models.ForeignKey(
        "SurveyVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=1)
    reminder_delay_days = models.PositiveSmallIntegerField(_("days between reminders"), default=3)
    invitation_expiry_days = models.PositiveSmallIntegerField(_("invitation valid (days)"), default=14)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(OrgOwned):
    """An immutable set of questions once published; answers point at the version's questions."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey_id", "number"]
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="surveyversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Question(OrgOwned):
    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0-10)")
        CSAT = "csat", _("CSAT (1-5)")
        CES = "ces", _("CES (1-7)")
        RATING = "rating", _("Rating")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        TEXT = "text", _("Free text")

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    # Stable across versions ("nps", "why", ...): how answers of different versions are compared.
    code = models.SlugField(max_length=50)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.JSONField(default=dict, help_text="{language: text}")
    options = models.JSONField(default=list, blank=True, help_text="[{code, text: {language: text}}]")
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    required = models.BooleanField(default=False)
    # A "why?" question shown after the score it follows up.
    follow_up_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )

    class Meta:
        ordering = ["version_id", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="question_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} ({self.kind})"


class Invitation(OrgOwned):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        LINK = "link", _("Personal link")
        API = "api", _("API event")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "customer", "created_at"])]


class ResponseQuerySet(OrgQuerySet):
    def unprocessed(self) -> ResponseQuerySet:
        return self.filter(processed_at__isnull=True)


class Response(OrgOwned):
    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    journey = models.ForeignKey(Journey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    language = models.CharField(max_length=8, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    submitted_at = models.DateTimeField(db_index=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="response_unique_idempotency_key"),
        ]
        indexes = [
            models.Index(fields=["organization", "touchpoint", "submitted_at"]),
            models.Index(fields=["organization", "customer", "submitted_at"]),
            models.Index(
                fields=["created_at"], name="response_unprocessed_idx", condition=models.Q(processed_at__isnull=True)
            ),
        ]


class Answer(OrgOwned):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # Denormalised from the response so rollups are one GROUP BY over one table.
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_on = models.DateField()
    metric = models.CharField(max_length=50, blank=True)
    value = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_unique_question")]
        indexes = [models.Index(fields=["touchpoint", "submitted_on", "metric"])]
