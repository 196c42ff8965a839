"""Writes for organizations, memberships, teams, API keys and single sign-on settings.

Changes to who may do what (members, roles, keys, sign-in settings) are sent as `accounts.signals.access_event`
in the same transaction: the audit app records them."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.api_scopes import clean_scopes
from accounts.models import ApiKey, Membership, Organization, Role, SsoProvider, Team, hash_api_key
from accounts.scoping import MANAGE_ORG_ROLES, OrgContext
from accounts.signals import send_access_event
from core.currencies import is_currency
from core.scales import metric_label, scale_for_metric

User = get_user_model()


# The settings an organization's administrators change (the slug is fixed once created: URLs and scripts use it).
ORGANIZATION_FIELDS = (
    "name",
    "currency",
    "default_language",
    "languages",
    "timezone",
    "primary_metric",
    "primary_measure",
    "min_n",
    "survey_quarantine_days",
    "require_two_factor_for_admins",
)


def primary_measure_for(metric: str, measure: str) -> str:
    """A measure as stored for a metric: '' for the scale's usual figure (NPS, mean, % yes), else the measure.

    Raises ValidationError when the metric is no score metric or its scale has no such measure (NPS has no mean,
    a yes/no question no mean, ...)."""
    scale = scale_for_metric(metric or "")
    if scale is None:
        raise ValidationError(
            {
                "primary_metric": _("Unknown metric %(metric)s: use nps, csat, ces or a question's metric key.")
                % {"metric": metric}
            }
        )
    measure = measure or ""
    if measure and measure not in scale.measures:
        offered = ", ".join(m for m in scale.measures)
        raise ValidationError(
            {
                "primary_measure": _("%(metric)s has no %(measure)s figure (it offers: %(offered)s).")
                % {"metric": metric_label(metric), "measure": measure, "offered": offered}
            }
        )
    return "" if measure in ("", scale.default_measure) else measure


def unique_slug(name: str) -> str:
    """A slug made from the name, made unique with -2, -3, ... (never empty)."""
    base = slugify(name)[:70].strip("-") or "organization"
    slug, i = base, 1
    while Organization.objects.filter(slug=slug).exists():
        i += 1
        slug = f"{base}-{i}"
    return slug


def _clean_organization(org: Organization, *, languages_given: bool) -> None:
    """Validate every setting at once and raise one ValidationError naming each bad field.

    Survey languages: a list given by the caller must name at least one; none given keeps [] (all of them)."""
    errors: dict[str, list] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    org.name = (org.name or "").strip()
    org.currency = (org.currency or "").strip().upper()
    if not is_currency(org.currency):
        fail(
            "currency",
            _("%(code)s is not an ISO 4217 currency code (such as SEK, NOK, DKK, EUR).")
            % {"code": org.currency or "''"},
        )
    try:
        zoneinfo.ZoneInfo(org.timezone or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        fail(
            "timezone",
            _("Unknown time zone %(tz)s (use a name such as Europe/Stockholm).") % {"tz": org.timezone or "''"},
        )
    if org.default_language not in dict(settings.LANGUAGES):
        fail(
            "default_language",
            _("Unknown language %(code)s (use one of: %(codes)s).")
            % {"code": org.default_language, "codes": ", ".join(dict(settings.LANGUAGES))},
        )
    languages = [str(code).strip() for code in (org.languages or []) if str(code).strip()]
    unknown = [code for code in languages if code not in settings.SURVEY_LANGUAGES]
    if unknown:
        fail(
            "languages",
            _("Unknown survey language %(codes)s (use some of: %(allowed)s).")
            % {"codes": ", ".join(unknown), "allowed": ", ".join(settings.SURVEY_LANGUAGES)},
        )
    elif languages_given and not languages:
        fail("languages", _("Choose at least one survey language."))
    org.languages = list(dict.fromkeys(languages))
    try:
        org.primary_measure = primary_measure_for(org.primary_metric, org.primary_measure)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if org.min_n is None or org.min_n < 1:
        fail("min_n", _("The minimum n must be at least 1."))
    try:
        org.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def organization_create(
    *,
    name: str,
    slug: str | None = None,
    currency: str = "SEK",
    default_language: str = "en",
    timezone: str = "Europe/Stockholm",
    languages: list[str] | None = None,
    primary_metric: str = "nps",
    primary_measure: str = "",
    min_n: int = 30,
    admin=None,
) -> Organization:
    """Create an organization (slug made from the name and unique when not given); `admin` becomes its admin.

    `languages` None leaves the survey languages open (all of SURVEY_LANGUAGES); a given list must name at least
    one of them. Raises ValidationError naming every invalid setting; nothing is stored then.
    """
    org = Organization(
        name=name,
        slug=slug or unique_slug(name),
        currency=currency,
        default_language=default_language,
        timezone=timezone,
        languages=list(languages or []),
        primary_metric=primary_metric,
        primary_measure=primary_measure or "",
        min_n=min_n,
    )
    _clean_organization(org, languages_given=languages is not None)
    org.save()
    if admin is not None:
        membership_add(organization=org, user=admin, role=Role.ADMIN)
    return org


@transaction.atomic
def organization_update(
    *, organization: Organization, fields: dict[str, Any], ctx: OrgContext | None = None
) -> Organization:
    """Change an organization's settings (never its slug). With `ctx`, only its own administrators may."""
    if ctx is not None:
        ctx.require(MANAGE_ORG_ROLES)
        if ctx.org_id != organization.pk:
            raise PermissionDenied
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if "primary_metric" in fields and "primary_measure" not in fields:
        # A new metric without a measure: keep the measure if the new scale has it, else the scale's own.
        scale = scale_for_metric(fields["primary_metric"] or "")
        if scale is None or org.primary_measure not in scale.measures:
            fields = {**fields, "primary_measure": ""}
    before_2fa = org.require_two_factor_for_admins
    for name, value in fields.items():
        setattr(org, name, value)
    _clean_organization(org, languages_given="languages" in fields)
    org.save()
    if org.require_two_factor_for_admins != before_2fa:
        send_access_event(
            action="organization.two_factor_policy",
            ctx=ctx,
            organization=org,
            target=org,
            detail={"require_two_factor_for_admins": {"old": before_2fa, "new": org.require_two_factor_for_admins}},
        )
    return org


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    user,
    role: str,
    teams: list[Team] | None = None,
    ctx: OrgContext | None = None,
    request=None,
    via: str = "",
) -> Membership:
    """Add a member, or give an existing member this role. Audited as member.add or member.role_change."""
    old_role = Membership.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()
    membership, _ = Membership.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    if teams is not None:
        membership.teams.set([t for t in teams if t.organization_id == organization.pk])
    if old_role is None:
        detail = {"role": role, **({"via": via} if via else {})}
        send_access_event(
            action="member.add", ctx=ctx, organization=organization, target=membership, detail=detail, request=request
        )
    elif old_role != role:
        send_access_event(
            action="member.role_change",
            ctx=ctx,
            organization=organization,
            target=membership,
            detail={"role": {"old": old_role, "new": role}},
            request=request,
        )
    return membership


def user_for_new_member(email: str):
    """A new user for this e-mail, without a usable password (they set one via password reset, or use SSO)."""
    email = email.strip().lower()
    username = email[:150]
    if User.objects.filter(username=username).exists():
        from django.utils.crypto import get_random_string

        username = f"{email[:140]}-{get_random_string(6).lower()}"
    user = User(username=username, email=email)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def member_invite(
    *, ctx: OrgContext, email: str, role: str, teams: list[Team], request=None
) -> tuple[Membership, bool]:
    """Add a user (created without a usable password if new; they set one via password reset)."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = user_for_new_member(email)
    membership = membership_add(
        organization=ctx.organization, user=user, role=role, teams=teams, ctx=ctx, request=request
    )
    return membership, created


def _require_another_admin(membership: Membership) -> None:
    """Refuse to take away the organization's last administrator (the admin rows are locked until commit, so two
    admins demoting each other at once cannot both succeed)."""
    admins = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if membership.pk in admins and len(admins) <= 1:
        raise ValueError("An organization needs at least one administrator.")


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str, teams: list[Team], ctx: OrgContext | None = None, request=None
) -> Membership:
    """Change a member's role and teams; ValueError when that would leave the organization without an admin."""
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _require_another_admin(membership)
    old_role = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    membership.teams.set([t for t in teams if t.organization_id == membership.organization_id])
    if old_role != role:
        send_access_event(
            action="member.role_change",
            ctx=ctx,
            organization=membership.organization_id,
            target=membership,
            detail={"role": {"old": old_role, "new": role}},
            request=request,
        )
    return membership


@transaction.atomic
def membership_remove(*, ctx: OrgContext, membership: Membership, request=None) -> None:
    if membership.role == Role.ADMIN:
        _require_another_admin(membership)
    send_access_event(
        action="member.remove",
        ctx=ctx,
        organization=membership.organization_id,
        target=membership,
        detail={"role": membership.role, "user": membership.user.get_username()},
        request=request,
    )
    membership.delete()


@transaction.atomic
def api_key_create(
    *, ctx: OrgContext, name: str, read_only: bool = False, scopes: list[str] | None = None, request=None
) -> tuple[ApiKey, str]:
    """Create a key; return it with the raw secret, which is shown once and stored only as a hash.

    `read_only` keys may only read; `scopes` (accounts.api_scopes) limit a key to those API areas (none: all)."""
    prefix, raw = ApiKey.generate()
    key = ApiKey.objects.create(
        organization=ctx.organization,
        name=name,
        prefix=prefix,
        hashed_key=hash_api_key(raw),
        created_by=ctx.user,
        read_only=read_only,
        scopes=clean_scopes(scopes),
    )
    send_access_event(
        action="api_key.create",
        ctx=ctx,
        target=key,
        detail={"read_only": key.read_only, "scopes": key.scopes},
        request=request,
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, ctx: OrgContext | None = None, request=None) -> None:
    if api_key.revoked_at is None:
        api_key.revoke()
        send_access_event(
            action="api_key.revoke",
            ctx=ctx,
            organization=api_key.organization_id,
            target=api_key,
            detail={"read_only": api_key.read_only, "scopes": api_key.scopes},
            request=request,
        )


# -- single sign-on --------------------------------------------------------------------------------------------

SSO_FIELDS = SsoProvider.SETTINGS_FIELDS


@transaction.atomic
def sso_provider_save(*, ctx: OrgContext, fields: dict[str, Any], client_secret: str = "", request=None) -> SsoProvider:
    """Create or change the organization's OpenID Connect provider (an empty secret keeps the stored one).

    Audited as sso.config_change with the old and new values (never the secret, only whether it changed)."""
    ctx.require(MANAGE_ORG_ROLES)
    unknown = set(fields) - set(SSO_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    found = SsoProvider.objects.select_for_update().filter(organization=ctx.organization).first()
    created = found is None
    provider = found if found is not None else SsoProvider(organization=ctx.organization)
    before = {name: getattr(provider, name) for name in SSO_FIELDS}
    for name, value in fields.items():
        setattr(provider, name, value)
    provider.issuer = provider.issuer.strip().rstrip("/")
    provider.allowed_domains = sorted({d.strip().lower().lstrip("@") for d in provider.allowed_domains if d.strip()})
    if client_secret:
        provider.client_secret = client_secret
    if not provider.client_secret:
        raise ValidationError({"client_secret": _("Enter the client secret.")})
    provider.full_clean(exclude=["organization"])
    provider.save()
    changes: dict[str, Any] = {
        name: {"old": before[name], "new": getattr(provider, name)}
        for name in SSO_FIELDS
        if created or before[name] != getattr(provider, name)
    }
    if client_secret:
        changes["client_secret_changed"] = True
    send_access_event(action="sso.config_change", ctx=ctx, target=provider, detail=changes, request=request)
    return provider


def sso_signed_in(*, provider: SsoProvider, user, request=None) -> None:
    send_access_event(
        action="login.sso", organization=provider.organization, user=user, target=user, detail={}, request=request
    )


# -- the user's own preferences ----------------------------------------------------------------------------------


def language_preference_save(*, user, language: str):
    """Save the language `user` reads the staff UI in ("" = the browser's language); unknown codes are refused."""
    from accounts.models import UserPreference

    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    # Saving clears the cached language (accounts.middleware.language_changed): the user's other sessions, on other
    # devices, follow on their next request.
    preference, _created = UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference
