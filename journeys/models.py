"""Personas, journeys, ordered stages and ordered touchpoints."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned, OrgQuerySet, Team


class Persona(OrgOwned):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="persona_unique_name")]

    def __str__(self) -> str:
        return self.name


class JourneyQuerySet(OrgQuerySet):
    def active(self) -> JourneyQuerySet:
        return self.filter(is_archived=False)


class Journey(OrgOwned):
    class ScoreMethod(models.TextChoices):
        # How the journey's score is made from its touchpoints (a journey survey, where one answered, wins either way).
        RESPONDENTS = "respondents", _("Respondent-weighted (default)")
        WEIGHTS = "weights", _("Weighted by touchpoint weights")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    personas = models.ManyToManyField(Persona, blank=True, related_name="journeys", verbose_name=_("personas"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_journeys",
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    score_method = models.CharField(
        _("journey score from touchpoints"),
        max_length=12,
        choices=ScoreMethod.choices,
        default=ScoreMethod.RESPONDENTS,
        help_text=_(
            "Respondent-weighted (the default): every answer at every touchpoint weighs the same. "
            "Weighted: each touchpoint's score counts by the weight set on the touchpoint; touchpoints without a "
            "weight or with too few responses are left out."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JourneyQuerySet.as_manager()

    @property
    def uses_touchpoint_weights(self) -> bool:
        return self.score_method == self.ScoreMethod.WEIGHTS

    class Meta:
        ordering = ["name"]
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")

    def __str__(self) -> str:
        return self.name


class Stage(OrgOwned):
    journey = models.ForeignKey(Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["journey_id", "position", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    APP = "app", _("App")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Chat")
    STORE = "store", _("Store")
    FIELD_VISIT = "field_visit", _("Field visit")
    INVOICE = "invoice", _("Invoice")
    LETTER = "letter", _("Letter")


# Bootstrap icon per channel, so the journey map shows the channel at a glance.
CHANNEL_ICONS = {
    Channel.WEB: "bi-globe",
    Channel.APP: "bi-phone",
    Channel.PHONE: "bi-telephone",
    Channel.EMAIL: "bi-envelope",
    Channel.SMS: "bi-chat-text",
    Channel.CHAT: "bi-chat-dots",
    Channel.STORE: "bi-shop",
    Channel.FIELD_VISIT: "bi-truck",
    Channel.INVOICE: "bi-receipt",
    Channel.LETTER: "bi-mailbox",
}


class TouchpointQuerySet(OrgQuerySet):
    def active(self) -> TouchpointQuerySet:
        return self.filter(is_active=True)


class Touchpoint(OrgOwned):
    # journey is denormalised from stage so touchpoint-level facts can be grouped per journey without a join.
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="touchpoints"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="touchpoints")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accountable owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_touchpoints",
    )
    responsible_team = models.ForeignKey(
        Team,
        verbose_name=_("responsible team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
    )
    is_moment_of_truth = models.BooleanField(_("moment of truth"), default=False)
    pain_points = models.TextField(_("known pain points"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    priority = models.PositiveSmallIntegerField(
        _("survey priority"), default=50, help_text=_("Higher wins when several touchpoints may survey a customer.")
    )
    # Only read where the journey's score method is "weighted by touchpoint weights"; NULL = not weighted.
    score_weight = models.FloatField(
        _("weight in the journey score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text=_(
            "Used only when the journey is set to be weighted by touchpoint weights: this touchpoint's score counts "
            "in proportion to its weight. Empty: left out of a weighted journey score."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TouchpointQuerySet.as_manager()

    class Meta:
        ordering = ["stage__position", "position", "pk"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        indexes = [models.Index(fields=["organization", "journey"])]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_icon(self) -> str:
        return CHANNEL_ICONS.get(self.channel, "bi-circle")
