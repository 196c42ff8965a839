"""Surveys, versioned questions, invitations, responses and answers.

Contract for the KPI engine and the closed loop (do not rename or remove these fields):
- Response: organization, survey, version, touchpoint, journey, customer, invitation, language, channel, source,
  submitted_at, idempotency_key, processed_at (NULL = follow-up work not yet done: the response is its own outbox).
- Answer: organization, response, question, touchpoint (denormalised), submitted_on (denormalised date), metric
  (nps / csat / ces / rating code), value (numeric score), text, choices.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, OrgOwned, OrgQuerySet
from core.scales import Scale, metric_key, scale_for_question
from customers.models import Customer
from journeys.models import Channel, Journey, Touchpoint


class Survey(OrgOwned):
    """A questionnaire. Answers to employee and leadership surveys are stored without a metric key
    (`Answer.metric` = ''), so no customer rollup, value model or alert rule ever counts them; they are read from
    their questions instead."""

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

    INTERNAL_KINDS = frozenset({Kind.EMPLOYEE, Kind.LEADERSHIP})

    @property
    def is_customer_survey(self) -> bool:
        """Answered by customers (touchpoint, journey, relationship), not by staff (employee, leadership)."""
        return self.kind not in self.INTERNAL_KINDS


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
        YES_NO = "yes_no", _("Yes / no")
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

    SCORE_KINDS = frozenset({Kind.NPS, Kind.CSAT, Kind.CES, Kind.RATING, Kind.YES_NO})

    @property
    def is_score(self) -> bool:
        return self.kind in self.SCORE_KINDS

    @property
    def is_choice(self) -> bool:
        return self.kind in (self.Kind.SINGLE_CHOICE, self.Kind.MULTI_CHOICE)

    @property
    def scale(self) -> tuple[int, int] | None:
        """(min, max) of a score question; rating questions use their own bounds (default 1-5), yes/no is 0-1."""
        s = self.score_scale
        return (s.low, s.high) if s is not None else None

    @property
    def score_scale(self) -> Scale | None:
        return scale_for_question(self.kind, self.scale_min, self.scale_max)

    @property
    def metric(self) -> str:
        """The metric key its answers are stored under (core.scales); '' for text and choices."""
        s = self.score_scale
        return metric_key(self.kind, self.code, s) if s is not None else ""

    def text_in(self, language: str, fallback: str = "") -> str:
        return self.text.get(language) or self.text.get(fallback) or next(iter(self.text.values()), "")


def new_link_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits: links cannot be guessed, only revoked


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class SurveyLink(OrgOwned):
    """An anonymous link (and QR code) for one survey at one touchpoint; revoking it retires the token for good."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_link_token)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["survey_id", "touchpoint_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "touchpoint"], condition=models.Q(is_active=True), name="surveylink_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} @ {self.touchpoint or '-'}"


class Invitation(OrgOwned):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        LINK = "link", _("Personal link")
        API = "api", _("API event")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a worker claimed the e-mail for sending (sent_at is set only once the mail server took it): a claim
    # older than SURVEYS_INVITATION_CLAIM_TIMEOUT_SECONDS without sent_at belongs to a worker that died, and the
    # sweep sends the invitation again.
    send_claimed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # Held e-mail invitations (from touchpoint events) go out at send_after; until then a higher-priority
    # touchpoint may replace them. NULL = not sent automatically (already sent, or delivered by the caller).
    send_after = models.DateTimeField(null=True, blank=True)
    # Set (with expires_at = now) when a held invitation is replaced: it is never sent and its link is dead.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "customer", "created_at"]),
            models.Index(fields=["send_after"], name="invitation_held_idx", condition=models.Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.survey_id})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_used(self) -> bool:
        return self.used_at is not None


class ContactDecision(OrgOwned):
    """Why a customer was (or was not) invited: one row per decision, kept as an audit log."""

    class Decision(models.TextChoices):
        INVITED = "invited", _("Invited")
        NOT_INVITED = "not_invited", _("Not invited")
        WITHDRAWN = "withdrawn", _("Invitation withdrawn")

    class Reason(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible")
        REPLACES_LOWER_PRIORITY = "replaces_lower_priority", _("Replaces a lower-priority invitation")
        REPLACED_BY_HIGHER_PRIORITY = "replaced_by_higher_priority", _("Replaced by a higher-priority touchpoint")
        UNKNOWN_CUSTOMER = "unknown_customer", _("Unknown customer")
        NO_CONSENT = "no_consent", _("Customer may not be surveyed")
        NO_EMAIL = "no_email", _("Customer has no e-mail address")
        TOUCHPOINT_INACTIVE = "touchpoint_inactive", _("Touchpoint inactive")
        NO_PUBLISHED_SURVEY = "no_published_survey", _("No published survey")
        QUARANTINE = "quarantine", _("Quarantine")
        LOWER_PRIORITY = "lower_priority", _("Lower priority than a pending invitation")
        STALE_EVENT = "stale_event", _("Event too old")

    class Source(models.TextChoices):
        EVENT = "event", _("Touchpoint event")
        MANUAL = "manual", _("Manual invitation")
        IMPORT = "import", _("Import")

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_decisions"
    )
    # Kept as sent, so a decision about an unknown customer still says who was asked for.
    customer_external_id = models.CharField(max_length=100, blank=True)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.CharField(max_length=40, choices=Reason.choices)
    message = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EVENT)
    occurred_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The caller's key for a touchpoint event: a retried event gets this decision back instead of a second one.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # SHA-256 of the event's payload (surveys.idempotency): the same key with another payload is a 409, not a replay.
    # Empty for decisions without a key and for those recorded before the column existed.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["organization", "customer", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="decision_unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} ({self.reason})"

    @property
    def invited(self) -> bool:
        return self.decision == self.Decision.INVITED


class ResponseQuerySet(OrgQuerySet):
    def unprocessed(self) -> ResponseQuerySet:
        return self.filter(processed_at__isnull=True)


class Response(OrgOwned):
    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    # The organization, touchpoint and journey are not indexed on their own: every read filters by more (the
    # composite indexes below), and each index costs every submission and every imported row a write. Deleting a
    # touchpoint or journey (the product archives them) scans instead.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # RESTRICT, not PROTECT: answered versions/questions cannot be deleted on their own, but deleting the whole
    # organization (which also deletes the responses) still cascades.
    version = models.ForeignKey(SurveyVersion, on_delete=models.RESTRICT, related_name="responses")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # A copy of the touchpoint's (or survey's) journey: checked where it is copied from, so no constraint check
    # per stored response (Django still applies SET_NULL when a journey is deleted).
    journey = models.ForeignKey(
        Journey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False
    )
    # Indexed by (customer, submitted_at) below.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses", db_index=False
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    language = models.CharField(max_length=8, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    submitted_at = models.DateTimeField(db_index=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # SHA-256 of the submitted payload (surveys.idempotency): the same key with another payload is a 409.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="", db_default="")
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
            # A customer belongs to one organization: their history needs no organization column in front.
            models.Index(fields=["customer", "submitted_at"], name="response_customer_time"),
            models.Index(
                fields=["created_at"], name="response_unprocessed_idx", condition=models.Q(processed_at__isnull=True)
            ),
            # The segment rollups look up the customer of every answer they recompute: an index-only lookup.
            models.Index(fields=["id"], include=["customer"], name="response_id_customer_cover"),
        ]


def _fill_customer(answers) -> None:
    """Copy each answer's response's customer onto it: from the cached response, else one query for all."""
    missing = []
    for answer in answers:
        if answer.customer_id is None and answer.response_id is not None:
            response = answer._state.fields_cache.get("response")
            if response is not None:
                answer.customer_id = response.customer_id
            else:
                missing.append(answer)
    if missing:
        customers = dict(
            Response.objects.filter(pk__in={a.response_id for a in missing}).values_list("pk", "customer_id")
        )
        for answer in missing:
            answer.customer_id = customers.get(answer.response_id)


class AnswerQuerySet(OrgQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _fill_customer(objs)
        return super().bulk_create(objs, *args, **kwargs)


class Answer(OrgOwned):
    # Not indexed on their own: the organization and touchpoint lead or sit in the covering index below, the
    # response leads the unique (response, question) index. Each index would cost every stored answer a write.
    # The organization and touchpoint are copies of the response's (which has the constraints), so they are not
    # checked again for every answer; Django still cascades and sets NULL on delete.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.RESTRICT, related_name="answers")
    # Denormalised from the response so rollups are one GROUP BY over one table.
    touchpoint = models.ForeignKey(
        Touchpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    submitted_on = models.DateField()
    # Denormalised from the response (a response's customer never changes; deleting the customer clears both, see
    # kpis.receivers): the segment rollups then find each answer's customer without visiting the response.
    # Writers that go round the ORM set it themselves; save() and bulk_create() fill it in from the response.
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    metric = models.CharField(max_length=50, blank=True)
    value = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_unique_question")]
        indexes = [
            # Covering (PostgreSQL; SQLite ignores INCLUDE): the rollup recompute of a touchpoint-day reads its
            # answers from the index alone, without one heap visit per answer.
            models.Index(
                fields=["touchpoint", "submitted_on", "metric"],
                include=["value", "response", "organization", "customer"],
                name="answer_tp_day_metric_cover",
            )
        ]

    def save(self, *args, **kwargs):
        if self._state.adding:
            _fill_customer([self])
        super().save(*args, **kwargs)


class SavedFilter(OrgOwned):
    """A named set of response-explorer filters of one user; shared ones are offered to the whole organization.

    `query` is the explorer's query string as the filter form validated it (only known, valid fields), so applying
    it is a plain link to the explorer and the explorer's own scoping (organization, frontline teams) still holds.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filters"), blank=True)
    shared = models.BooleanField(
        _("shared with the organization"),
        default=False,
        help_text=_("Everyone in the organization can apply it; only you can delete it."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "name"], name="savedfilter_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
