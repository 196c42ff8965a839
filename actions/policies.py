"""Who may see and act on feedback cases (one place, used by selectors, services, views and the API).

- Admins, CX managers and API keys (which act as CX managers) see and act on every case of the organization.
- Executives see every case and change nothing.
- Frontline users see the cases of their teams, of the teams they lead, and cases assigned to them; they claim
  unassigned cases they can see, and act on cases assigned to them and on their teams' unassigned cases (acting
  on one makes it theirs). A team lead also acts on, and assigns, every case of the teams they lead.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Team
from accounts.scoping import OrgContext


def led_team_ids(ctx: OrgContext) -> frozenset[int]:
    """The teams the context's user leads; read once per context (a context lives for one request)."""
    if ctx.user is None or not ctx.user.is_authenticated:
        return frozenset()
    cached = ctx.__dict__.get("_led_team_ids")
    if cached is None:
        cached = frozenset(Team.objects.for_org(ctx.organization).filter(lead=ctx.user).values_list("pk", flat=True))
        ctx.__dict__["_led_team_ids"] = cached  # the dataclass is frozen; its instance dict is not
    return cached


def case_scope(ctx: OrgContext) -> Q:
    """The filter applied to every case query of this context (on top of the organization)."""
    if not ctx.is_frontline:
        return Q()
    q = Q(team_id__in=ctx.team_ids | led_team_ids(ctx))
    if ctx.user is not None:
        q |= Q(assignee_id=ctx.user.pk)
    return q


def can_act_on_case(ctx: OrgContext, case) -> bool:
    if ctx.is_read_only:
        return False
    if ctx.can_edit_program:
        return True
    if ctx.user is not None and case.assignee_id == ctx.user.pk:
        return True
    if case.assignee_id is None and case.team_id is not None and case.team_id in ctx.team_ids:
        return True
    return case.team_id is not None and case.team_id in led_team_ids(ctx)


def can_claim_case(ctx: OrgContext, case) -> bool:
    return not ctx.is_read_only and ctx.user is not None and case.assignee_id is None and case.is_open


def can_assign_case(ctx: OrgContext, case) -> bool:
    if ctx.is_read_only:
        return False
    if ctx.can_edit_program:
        return True
    return case.team_id is not None and case.team_id in led_team_ids(ctx)


def can_bulk_assign(ctx: OrgContext) -> bool:
    """Who gets the inbox's bulk assignment: CX managers and admins, and frontline users who lead a team."""
    if ctx.is_read_only:
        return False
    return ctx.can_edit_program or bool(led_team_ids(ctx))


def actor(ctx: OrgContext):
    """The user behind a context (None for an API key)."""
    return ctx.user if ctx.user is not None and ctx.user.is_authenticated else None
