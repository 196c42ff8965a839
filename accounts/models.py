"""Organizations, memberships, roles, teams and API keys.

Every domain row elsewhere belongs to exactly one Organization through `OrgOwned`.
"""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.encryption import EncryptedTextField
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
    require_two_factor_for_admins = models.BooleanField(
        _("two-factor sign-in required for administrators"),
        default=False,
        help_text=_("Administrators who sign in with a password must set up an authenticator app first."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The organization's time zone (the server's if the stored name is unknown): pages, e-mails and reports
        show times in it."""
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization: Organization | int) -> Self:
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


class SsoProvider(models.Model):
    """An organization's OpenID Connect identity provider (accounts.sso): at most one per organization."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sso_provider")
    # The issuer URL; its /.well-known/openid-configuration names the endpoints and the signing keys.
    issuer = models.URLField(_("issuer URL"), max_length=300)
    client_id = models.CharField(_("client ID"), max_length=200)
    client_secret = EncryptedTextField(_("client secret"), max_length=500)  # accounts.encryption
    # Lower-case e-mail domains the provider may vouch for (empty: any domain, for existing members only).
    allowed_domains = models.JSONField(_("allowed e-mail domains"), default=list, blank=True)
    create_members = models.BooleanField(_("add new members on first sign-in"), default=False)
    # Microsoft Entra ID (Azure AD) sends no email_verified claim: its addresses in the tenant's own verified domains
    # may be trusted, but only together with allowed domains (an explicit "not verified" is refused all the same).
    trust_unmarked_email = models.BooleanField(
        _("trust e-mail addresses the provider does not mark as verified"),
        default=False,
        help_text=_(
            "For providers that send no email_verified claim, such as Microsoft Entra ID. Only addresses in the "
            "allowed e-mail domains are accepted."
        ),
    )
    default_role = models.CharField(
        _("role of new members"), max_length=20, choices=Role.choices, default=Role.FRONTLINE
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    sso_required = models.BooleanField(_("single sign-on required"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return f"SSO {self.issuer}"

    # What an admin sets on the single sign-on page (the client secret apart: it is never shown back).
    SETTINGS_FIELDS = (
        "issuer",
        "client_id",
        "allowed_domains",
        "trust_unmarked_email",
        "create_members",
        "default_role",
        "enabled",
        "sso_required",
    )

    def allows_domain(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1].strip().lower()
        return not self.allowed_domains or domain in self.allowed_domains


class TwoFactorDevice(models.Model):
    """A user's authenticator app (TOTP, RFC 6238). Unconfirmed until the first right code.

    The secret must be readable to check codes: it is stored encrypted with FIELD_ENCRYPTION_KEY, a key kept out of
    the database (accounts.encryption), so a database dump or backup does not reveal it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor")
    secret = EncryptedTextField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last accepted code: a code is accepted once (no replay within its 30 seconds).
    last_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"two-factor device of {self.user_id}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost: only its SHA-256 is kept (80 random bits: like API keys,
    it relies on its randomness rather than on a slow hash)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    hashed_code = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "hashed_code"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class UserPreference(models.Model):
    """A person's own settings, whatever organization they work in: for now the language of the staff UI.

    `language` blank means the browser's language (Accept-Language); a saved language wins over it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Leave empty to use your browser's language."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language or '-'})"
