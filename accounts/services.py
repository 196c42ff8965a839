"""Writes for organizations, memberships, teams and API keys."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import ApiKey, Membership, Organization, Role, Team, hash_api_key
from accounts.scoping import OrgContext

User = get_user_model()


def organization_create(
    *, name: str, slug: str, currency: str = "SEK", default_language: str = "en", timezone: str = "Europe/Stockholm"
) -> Organization:
    return Organization.objects.create(
        name=name, slug=slug, currency=currency, default_language=default_language, timezone=timezone
    )


@transaction.atomic
def membership_add(*, organization: Organization, user, role: str, teams: list[Team] | None = None) -> Membership:
    membership, _ = Membership.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    if teams is not None:
        membership.teams.set([t for t in teams if t.organization_id == organization.pk])
    return membership


@transaction.atomic
def member_invite(*, ctx: OrgContext, email: str, role: str, teams: list[Team]) -> tuple[Membership, bool]:
    """Add a user (created without a usable password if new; they set one via password reset)."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email[:150], email=email)
        user.set_unusable_password()
        user.save()
    return membership_add(organization=ctx.organization, user=user, role=role, teams=teams), created


@transaction.atomic
def membership_update(*, membership: Membership, role: str, teams: list[Team]) -> Membership:
    membership.role = role
    membership.save(update_fields=["role"])
    membership.teams.set([t for t in teams if t.organization_id == membership.organization_id])
    return membership


def membership_remove(*, ctx: OrgContext, membership: Membership) -> None:
    if membership.role == Role.ADMIN and (
        Membership.objects.for_org(ctx.organization).filter(role=Role.ADMIN).count() <= 1
    ):
        raise ValueError("An organization needs at least one administrator.")
    membership.delete()


def api_key_create(*, ctx: OrgContext, name: str) -> tuple[ApiKey, str]:
    """Create a key; return it with the raw secret, which is shown once and stored only as a hash."""
    prefix, raw = ApiKey.generate()
    key = ApiKey.objects.create(
        organization=ctx.organization, name=name, prefix=prefix, hashed_key=hash_api_key(raw), created_by=ctx.user
    )
    return key, raw


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoke()
