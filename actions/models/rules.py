"""Alert rules: which responses open a feedback case, for which team, with which SLA."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned, OrgQuerySet, Team
from journeys.models import Journey, Touchpoint
from surveys.models import Survey

# Keywords are separated by |, comma, semicolon or new lines ("uppsägning|oppsigelse|cancel").
KEYWORD_SEPARATORS = re.compile(r"[|,;\n]+")


def split_keywords(raw: str) -> list[str]:
    return [k.strip() for k in KEYWORD_SEPARATORS.split(raw or "") if k.strip()]


def keyword_pattern(keywords: list[str]) -> re.Pattern | None:
    """A case-insensitive whole-word pattern; a trailing * matches any word ending ("cancel*" -> "cancelled")."""
    parts = []
    for kw in keywords:
        if kw.endswith("*"):
            parts.append(re.escape(kw[:-1]) + r"\w*")
        else:
            parts.append(re.escape(kw))
    if not parts:
        return None
    # (?<!\w) / (?!\w) rather than \b so keywords that start or end with a non-word character still match.
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


class AlertRuleQuerySet(OrgQuerySet):
    def active(self) -> AlertRuleQuerySet:
        return self.filter(is_active=True)


class AlertRule(OrgOwned):
    """All conditions that are set must hold (AND). Scope: a touchpoint, a journey, a survey, or everything."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=100,
        help_text=_("When several rules match one response, the lowest number opens the case."),
    )
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    nps_max = models.SmallIntegerField(
        _("NPS at most"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    csat_max = models.SmallIntegerField(
        _("CSAT at most"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    keywords = models.CharField(
        _("keywords in the comment"),
        max_length=500,
        blank=True,
        help_text=_("Separated by | or commas; whole words, any case; end a word with * to match its endings."),
    )
    min_revenue_12m = models.DecimalField(
        _("high-value customer: revenue over the last 12 months above"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    requires_comment = models.BooleanField(_("any comment at all"), default=False)
    # Conditions on the analysed comment (voice): any of these themes, and/or negative sentiment. Rules with one of
    # them are evaluated once the comment is analysed (voice.services), not in the drain.
    themes = models.ManyToManyField(
        "voice.Theme", verbose_name=_("comment mentions one of these themes"), blank=True, related_name="+"
    )
    negative_sentiment = models.BooleanField(_("comment is negative"), default=False)
    # Set when `themes` is not empty (the rule form keeps the two together), so the database's "has a condition"
    # check can see a theme-only rule (a check constraint cannot look at a many-to-many field).
    on_themes = models.BooleanField(default=False, editable=False)
    default_team = models.ForeignKey(
        Team,
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Used when the touchpoint has no responsible team."),
    )
    sla_hours = models.PositiveIntegerField(_("SLA (hours)"), default=48, validators=[MinValueValidator(1)])
    sla_business_hours = models.BooleanField(
        _("count business hours only"), default=False, help_text=_("Uses the organization's business calendar.")
    )
    notify_team = models.BooleanField(_("e-mail the team"), default=True)
    reply_to_customer = models.BooleanField(
        _("reply to the customer"),
        default=False,
        help_text=_("A short e-mail in the customer's language, only to customers who agreed to be contacted."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.CheckConstraint(
                name="alertrule_has_a_condition",
                condition=models.Q(nps_max__isnull=False)
                | models.Q(csat_max__isnull=False)
                | ~models.Q(keywords="")
                | models.Q(min_revenue_12m__isnull=False)
                | models.Q(requires_comment=True)
                | models.Q(negative_sentiment=True)
                | models.Q(on_themes=True),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)
