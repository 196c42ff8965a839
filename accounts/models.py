"""Organizations, memberships, roles, teams and API keys.

Every domain row elsewhere belongs to exactly one Organization through `OrgOwned`.
"""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.currencies import currency_choices, is_currency

MEASURE_CHOICES = [
    ("", _("The scale's usual figure (NPS, mean, % yes)")),
    ("mean", _("Mean score")),
    ("top_box", _("Top-2-box share (%)")),
]


def _validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(_("Use an ISO 4217 currency code such as SEK, NOK, DKK or EUR."))


def _validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone (use a name such as Europe/Stockholm).")) from None


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices(), default="SEK", validators=[_validate_currency]
    )
    default_language = models.CharField(_("default language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # The languages its surveys are offered in (a subset of SURVEY_LANGUAGES; empty: all of them).
    languages = models.JSONField(_("survey languages"), default=list, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[_validate_timezone]
    )
    # The metric the dashboards open on (a core.scales metric key: nps, csat, ces, "overall:1-10", ...) and how a
    # period's answers become one figure ('' = the scale's default: NPS, mean, % yes).
    primary_metric = models.CharField(_("primary metric"), max_length=50, default="nps")
    primary_measure = models.CharField(_("measure"), max_length=10, choices=MEASURE_CHOICES, blank=True)
    survey_quarantine_days = models.PositiveIntegerField(
        _("survey quarantine (days)"),
        default=30,
        help_text=_("A customer is not surveyed more often than this."),
    )
    min_n = models.PositiveIntegerField(
        _("minimum n"), default=30, help_text=_("Figures based on fewer responses are shown as insufficient.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization: Organization | int) -> OrgQuerySet:
        org_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=org_id)


class OrgOwned(models.Model):
    """Abstract base for every row that belongs to one organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CX_MANAGER = "cx_manager", _("CX manager")
    FRONTLINE = "frontline", _("Frontline")
    EXECUTIVE = "executive", _("Executive")


class Team(OrgOwned):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class Membership(OrgOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.FRONTLINE)
    teams = models.ManyToManyField(Team, blank=True, related_name="memberships", verbose_name=_("teams"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id} ({self.role})"


API_KEY_PREFIX = "cxk"


def hash_api_key(raw: str) -> str:
    # Keys carry 256 bits of randomness, so a fast unsalted hash is enough (no brute force possible).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(OrgOwned):
    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    # A read-only key may only read (GET/HEAD/OPTIONS); `scopes` lists the areas it may use (accounts.api_scopes),
    # empty meaning every area.
    read_only = models.BooleanField(_("read only"), default=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate() -> tuple[str, str]:
        """Return (prefix, raw key). The raw key is shown once and never stored."""
        prefix = secrets.token_hex(4)
        return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
