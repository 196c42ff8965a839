"""Reads of report delivery, scoped by an OrgContext: the PDF's report, subscribers, subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.http import Http404

from accounts.models import Membership, Role
from accounts.scoping import OrgContext, get_in_org
from accounts.selectors import saved_languages
from outbox.rendering import email_language
from reports.models import MonthlyReport, ReportSubscription

if TYPE_CHECKING:
    from accounts.models import Organization

# Who may read a report (and so download its PDF): the same roles as the report pages. Frontline staff get a 404.
REPORT_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE})


def report_get_for_pdf(*, ctx: OrgContext, pk: int) -> MonthlyReport:
    """A ready report of the context's organization (404 for another organization's, a pending one, frontline)."""
    if ctx.role not in REPORT_ROLES:
        raise Http404
    qs = (
        MonthlyReport.objects.select_related("organization", "journey")
        .filter(status=MonthlyReport.Status.READY)
        .defer("pdf")  # read once, by services.report_pdf_get
    )
    return get_in_org(qs, ctx, pk=pk)


def subscribed_by_default(role: str) -> bool:
    """Executives receive the monthly report unless they say no; every other role only if they say yes."""
    return role == Role.EXECUTIVE


def subscribers(*, organization: Organization) -> list:
    """Members who receive the organization's monthly report e-mail (with an e-mail address), by id.

    Executives without a "no" and any member with a "yes"; a subscription row of someone who left the organization
    counts for nothing.
    """
    User = get_user_model()
    choices = dict(
        ReportSubscription.objects.for_org(organization).values_list("user_id", "subscribed"),
    )
    members = Membership.objects.for_org(organization).values_list("user_id", "role")
    wanted = [user_id for user_id, role in members if choices.get(user_id, subscribed_by_default(role))]
    return list(User.objects.filter(pk__in=wanted, is_active=True).exclude(email="").order_by("pk"))


def user_language(*, user, organization: Organization) -> str:
    """The language of a user's report e-mails: the one they chose for it (Reports -> Report e-mail), else the
    language saved in their settings, else the organization's default language."""
    chosen = (
        ReportSubscription.objects.filter(organization=organization, user=user)
        .values_list("language", flat=True)
        .first()
    )
    saved = saved_languages([user.pk]).get(user.pk)
    return email_language(chosen, saved, organization.default_language)


@dataclass(frozen=True)
class SubscriptionRow:
    membership: Membership
    subscribed: bool
    explicit: bool  # False: the role's default applies
    language: str = ""  # "": the user's saved language, else the organization's default language


def _row(membership: Membership, choice: tuple[bool, str] | None) -> SubscriptionRow:
    if choice is None:
        return SubscriptionRow(membership, subscribed_by_default(membership.role), explicit=False)
    return SubscriptionRow(membership, choice[0], explicit=True, language=choice[1])


def subscription_mine(*, ctx: OrgContext) -> SubscriptionRow:
    """The current user's subscription in the context's organization."""
    if ctx.user is None:  # an API key subscribes no one
        raise Http404
    membership = get_in_org(Membership.objects.select_related("user"), ctx, user_id=ctx.user.pk)
    choice = (
        ReportSubscription.objects.for_org(ctx.organization)
        .filter(user_id=ctx.user.pk)
        .values_list("subscribed", "language")
        .first()
    )
    return _row(membership, choice)


def subscription_list(*, ctx: OrgContext) -> list[SubscriptionRow]:
    """Every member's subscription (admins only)."""
    ctx.require({Role.ADMIN})
    choices = {
        user_id: (subscribed, language)
        for user_id, subscribed, language in ReportSubscription.objects.for_org(ctx.organization).values_list(
            "user_id", "subscribed", "language"
        )
    }
    memberships = Membership.objects.for_org(ctx.organization).select_related("user").order_by("user__username")
    return [_row(m, choices.get(m.user_id)) for m in memberships]


def membership_get_for_admin(*, ctx: OrgContext, pk: int) -> Membership:
    ctx.require({Role.ADMIN})
    return get_in_org(Membership.objects.select_related("user"), ctx, pk=pk)
