"""Reads for organizations, members, teams and API keys, always through an OrgContext."""

from __future__ import annotations

import zoneinfo
from typing import cast

from django.conf import settings
from django.db.models import QuerySet
from django.utils.text import Truncator

from accounts.models import ApiKey, Membership, Organization, Role, SsoProvider, Team, UserPreference
from accounts.scoping import OrgContext, get_in_org
from accounts.signals import metric_texts_requested
from core.scales import CES, CSAT, NPS, measure_label, metric_label, scale_for_metric


def team_list(*, ctx: OrgContext) -> QuerySet[Team]:
    return Team.objects.for_org(ctx.organization).select_related("lead")


def team_get(*, ctx: OrgContext, pk: int) -> Team:
    return get_in_org(Team.objects.select_related("lead"), ctx, pk=pk)


def membership_list(*, ctx: OrgContext) -> QuerySet[Membership]:
    return (
        Membership.objects.for_org(ctx.organization)
        .select_related("user")
        .prefetch_related("teams")
        .order_by("user__username")
    )


def membership_get(*, ctx: OrgContext, pk: int) -> Membership:
    return get_in_org(Membership.objects.select_related("user"), ctx, pk=pk)


def api_key_list(*, ctx: OrgContext) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_org(ctx.organization).select_related("created_by")


def api_key_get(*, ctx: OrgContext, pk: int) -> ApiKey:
    return get_in_org(ApiKey.objects.all(), ctx, pk=pk)


def sso_provider_get(*, ctx: OrgContext) -> SsoProvider | None:
    return SsoProvider.objects.for_org(ctx.organization).first()


# -- organizations ---------------------------------------------------------------------------------------------

# Offered first in the time-zone picker: the platform's home markets.
NORDIC_TIMEZONES = (
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Europe/Helsinki",
    "Atlantic/Reykjavik",
    "Europe/London",
    "UTC",
)


def user_can_create_organization(*, user) -> bool:
    """Django superusers and administrators of any organization may create a new organization."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role=Role.ADMIN).exists()


def timezone_choices(current: str = "") -> list[tuple[str, str]]:
    names = {n for n in zoneinfo.available_timezones() if not n.startswith(("posix/", "right/", "Etc/"))}
    names.add("UTC")
    if current:
        names.add(current)
    first = [n for n in NORDIC_TIMEZONES if n in names]
    return [(n, n) for n in (*first, *sorted(names - set(first)))]


def survey_language_choices() -> list[tuple[str, str]]:
    names = dict(settings.LANGUAGES)
    return [(code, str(names.get(code, code))) for code in settings.SURVEY_LANGUAGES]


def measure_choices(metric: str) -> list[tuple[str, str]]:
    """The measures a metric's scale offers, as stored ('' for the scale's usual figure): NPS -> NPS only,
    yes/no -> % yes only, 1-N scales -> mean or top-2-box share. Empty for a key that is not a score metric."""
    scale = scale_for_metric(metric or "")
    if scale is None:
        return []
    return [("" if m == scale.default_measure else m, measure_label(metric, m)) for m in scale.measures]


def metric_choices(*, organization: Organization | None, current: str = "") -> list[tuple[str, str]]:
    """The metric keys an organization can choose as its primary metric or a KPI's survey metric.

    NPS, CSAT and CES always; then the metric key of every rating and yes/no question of its customer surveys (the
    surveys app answers `metric_texts_requested`), labelled with the key's label and the question's text. `current`
    (an existing setting) is kept even if no question has it any more.
    """
    texts: dict[str, str] = {}
    if organization is not None:
        for _receiver, found in metric_texts_requested.send(sender=Organization, organization=organization):
            texts.update(cast("dict[str, str]", found))  # django-stubs types every answer as a str
    fixed = [NPS, CSAT, CES]
    others = sorted((k for k in texts if k not in fixed), key=metric_label)
    keys = [*fixed, *others]
    if current and current not in keys and scale_for_metric(current) is not None:
        keys.append(current)
    choices = []
    for key in keys:
        label = metric_label(key)
        if texts.get(key):
            label = f"{label} – {Truncator(texts[key]).chars(70)}"
        choices.append((key, label))
    return choices


def saved_languages(user_ids) -> dict[int, str]:
    """The language each of these users saved in their settings (users without one are left out): e-mails to
    staff are rendered in it (outbox.rendering.recipient_locale), falling back to the organization's language."""
    return dict(
        UserPreference.objects.filter(user_id__in=list(user_ids))
        .exclude(language="")
        .values_list("user_id", "language")
    )
