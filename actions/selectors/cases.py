"""Reads for feedback cases, their timelines and the customer's history, scoped by OrgContext and role."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership, Role, Team
from accounts.scoping import OrgContext, get_in_org
from actions.models import CaseEvent, ContactAttempt, FeedbackCase, RootCause
from actions.models.cases import FeedbackCaseQuerySet
from actions.policies import case_scope, led_team_ids
from customers.models import Customer
from surveys.models import Answer, Response

HISTORY_LIMIT = 20


def case_base_queryset(*, ctx: OrgContext) -> FeedbackCaseQuerySet[FeedbackCase]:
    return (
        FeedbackCase.objects.for_org(ctx.organization)
        .filter(case_scope(ctx))
        .select_related("touchpoint", "team", "assignee", "customer", "root_cause", "rule")
    )


INBOX_TABS = ("mine", "queue", "team", "closed")
OPEN_TABS = ("mine", "queue", "team")

# NPS groups of the inbox's score filter: (lowest, highest) score.
SCORE_GROUPS = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}
INBOX_SORTS = {
    "due": ("due_at", "pk"),
    "opened": ("-opened_at", "-pk"),
    "score": (F("nps").asc(nulls_last=True), "due_at", "pk"),
}


def person_label(user) -> str:
    """A person as every list and dropdown shows them: full name, else username, else e-mail."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username() or getattr(user, "email", "")


def default_tab(*, ctx: OrgContext, counts: dict[str, int]) -> str:
    return ("mine" if counts["mine"] else "queue") if ctx.is_frontline else "team"


def case_inbox_filter(
    qs: FeedbackCaseQuerySet[FeedbackCase], filters: dict | None
) -> FeedbackCaseQuerySet[FeedbackCase]:
    """The inbox filters (cleaned by actions.forms.InboxFilterForm): status, team, touchpoint, overdue, score and a
    text search over the customer's name and e-mail and the response's comments."""
    filters = filters or {}
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("team"):
        qs = qs.filter(team=filters["team"])
    if filters.get("touchpoint"):
        qs = qs.filter(touchpoint=filters["touchpoint"])
    if filters.get("overdue"):
        qs = qs.open().filter(due_at__lt=timezone.now())
    group = SCORE_GROUPS.get(filters.get("score") or "")
    if group:
        qs = qs.filter(nps__gte=group[0], nps__lte=group[1])
    if filters.get("score_min") is not None:
        qs = qs.filter(nps__gte=filters["score_min"])
    if filters.get("score_max") is not None:
        qs = qs.filter(nps__lte=filters["score_max"])
    text = (filters.get("q") or "").strip()
    if text:
        comments = Answer.objects.filter(response_id=OuterRef("response_id"), text__icontains=text)
        qs = qs.filter(Q(customer__name__icontains=text) | Q(customer__email__icontains=text) | Exists(comments))
    return qs


def case_inbox(*, ctx: OrgContext, tab: str, filters: dict | None = None) -> QuerySet[FeedbackCase]:
    """The inbox tabs; open cases are ordered by due time (overdue ones first) unless another sort is asked for."""
    qs = case_inbox_filter(case_base_queryset(ctx=ctx), filters)
    sort = INBOX_SORTS.get((filters or {}).get("sort") or "")
    user_id = ctx.user.pk if ctx.user is not None else None
    if tab == "mine":
        qs = qs.open().filter(assignee_id=user_id)
    elif tab == "queue":
        qs = qs.open().filter(assignee__isnull=True)
    elif tab == "team":
        qs = qs.open()
    elif tab == "closed":
        return (
            qs.filter(status=FeedbackCase.Status.CLOSED)
            .select_related("response")
            .order_by(*(sort or ("-closed_at", "-pk")))
            .prefetch_related(_comment_prefetch())
        )
    else:
        raise ValueError(tab)
    return qs.select_related("response").order_by(*(sort or INBOX_SORTS["due"])).prefetch_related(_comment_prefetch())


def case_next(*, ctx: OrgContext, tab: str | None, filters: dict | None, exclude: FeedbackCase) -> FeedbackCase | None:
    """The next open case of the inbox list the agent came from. From the closed tab or no tab, the default list's:
    the team's, for the frontline their own cases, else the queue's (as `default_tab`, without counting)."""
    filters = {k: v for k, v in (filters or {}).items() if k != "status"}
    default = ("mine", "queue") if ctx.is_frontline else ("team",)
    tabs = (tab,) if tab in OPEN_TABS else default
    for each in tabs:
        found = case_inbox(ctx=ctx, tab=each, filters=filters).exclude(pk=exclude.pk).first()
        if found is not None:
            return found
    return None


def _comment_prefetch() -> Prefetch:
    return Prefetch(
        "response__answers",
        queryset=Answer.objects.exclude(text="").order_by("pk"),
        to_attr="comment_answers",
    )


def case_inbox_counts(*, ctx: OrgContext) -> dict[str, int]:
    """Open cases per tab and overdue ones, in one query."""
    user_id = ctx.user.pk if ctx.user is not None else None
    now = timezone.now()
    return (
        FeedbackCase.objects.for_org(ctx.organization)
        .filter(case_scope(ctx))
        .open()
        .aggregate(
            mine=Count("pk", filter=Q(assignee_id=user_id)),
            queue=Count("pk", filter=Q(assignee__isnull=True)),
            team=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
        )
    )


def case_get(*, ctx: OrgContext, pk: int) -> FeedbackCase:
    """One case the context may see, or 404 (another team's or another organization's case alike)."""
    return get_in_org(case_base_queryset(ctx=ctx).select_related("response", "response__survey"), ctx, pk=pk)


def case_timeline(*, case: FeedbackCase) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("created_at", "pk"))


def case_contact_attempts(*, case: FeedbackCase) -> list[ContactAttempt]:
    return list(case.contact_attempts.select_related("by").order_by("at", "pk"))


@dataclass(frozen=True)
class AnswerRow:
    question: str
    metric: str
    value: float | None
    text: str
    choices: list


def response_answers(*, response: Response) -> list[AnswerRow]:
    """The response's answers with question texts in the response's language (one query)."""
    language = response.language or "en"
    rows = []
    for a in response.answers.select_related("question").order_by("question__position", "pk"):
        texts = a.question.text or {}
        label = texts.get(language) or texts.get("en") or next(iter(texts.values()), "") or a.question.code
        rows.append(AnswerRow(question=label, metric=a.metric, value=a.value, text=a.text, choices=a.choices or []))
    return rows


@dataclass(frozen=True)
class ContactDetails:
    """What a case may show about reaching the customer: contact data only with consent."""

    allowed: bool
    email: str = ""
    phone: str = ""
    language: str = ""


def customer_contact_details(customer: Customer | None) -> ContactDetails:
    if customer is None or not customer.may_contact:
        return ContactDetails(allowed=False)
    return ContactDetails(allowed=True, email=customer.email, phone=customer.phone, language=customer.language)


@dataclass
class HistoryEntry:
    response: Response
    nps: float | None
    comment: str
    case: FeedbackCase | None


def customer_history(*, ctx: OrgContext, customer: Customer, exclude_case: FeedbackCase | None = None) -> dict:
    """The customer's previous responses (scores, comments) and the cases the context may see (3 queries)."""
    responses = list(
        Response.objects.for_org(ctx.organization)
        .filter(customer=customer)
        .select_related("touchpoint")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("pk"), to_attr="all_answers"))
        .order_by("-submitted_at", "-pk")[:HISTORY_LIMIT]
    )
    cases_qs = customer_cases(ctx=ctx, customer=customer)
    if exclude_case is not None:
        cases_qs = cases_qs.exclude(pk=exclude_case.pk)
    cases = list(cases_qs[:HISTORY_LIMIT])
    case_by_response = {c.response_id: c for c in cases}
    entries = []
    for r in responses:
        if exclude_case is not None and r.pk == exclude_case.response_id:
            continue
        nps = next((a.value for a in r.all_answers if a.metric == "nps" and a.value is not None), None)
        comment = " ".join(a.text for a in r.all_answers if a.text)
        entries.append(HistoryEntry(response=r, nps=nps, comment=comment, case=case_by_response.get(r.pk)))
    return {"responses": entries, "cases": cases}


def customer_cases(*, ctx: OrgContext, customer: Customer | int) -> QuerySet[FeedbackCase]:
    customer_id = customer if isinstance(customer, int) else customer.pk
    return case_base_queryset(ctx=ctx).filter(customer_id=customer_id).order_by("-opened_at", "-pk")


def customer_get(*, ctx: OrgContext, pk: int) -> Customer:
    return get_in_org(Customer.objects.all(), ctx, pk=pk)


def assignable_users(*, ctx: OrgContext, case: FeedbackCase) -> QuerySet:
    """People a case can be given to: members of its team (or anyone acting on cases when it has none)."""
    User = get_user_model()
    memberships = Membership.objects.for_org(ctx.organization).exclude(role=Role.EXECUTIVE)
    if case.team_id is not None and not ctx.can_edit_program:
        memberships = memberships.filter(teams=case.team_id)
    elif case.team_id is not None:
        memberships = memberships.filter(Q(teams=case.team_id) | Q(role__in=[Role.CX_MANAGER, Role.ADMIN]))
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by(*PEOPLE_ORDER).distinct()


PEOPLE_ORDER = ("first_name", "last_name", "username")


def bulk_assignable_users(*, ctx: OrgContext) -> QuerySet:
    """People the context may give cases to in bulk: members of the teams a lead leads (anyone acting on cases for
    a CX manager or admin). Each case is still checked against its own team when assigned."""
    User = get_user_model()
    memberships = Membership.objects.for_org(ctx.organization).exclude(role=Role.EXECUTIVE)
    if not ctx.can_edit_program:
        memberships = memberships.filter(teams__in=led_team_ids(ctx))
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by(*PEOPLE_ORDER).distinct()


def bulk_assignable_teams(*, ctx: OrgContext) -> QuerySet[Team]:
    """Teams the context may move cases to: every team for a CX manager or admin, the teams a lead leads."""
    teams = Team.objects.for_org(ctx.organization).order_by("name", "pk")
    return teams if ctx.can_edit_program else teams.filter(pk__in=led_team_ids(ctx))


def inbox_teams(*, ctx: OrgContext) -> QuerySet[Team]:
    teams = Team.objects.for_org(ctx.organization).order_by("name", "pk")
    if ctx.is_frontline:
        teams = teams.filter(pk__in=ctx.team_ids | led_team_ids(ctx))
    return teams


def root_cause_tree(*, ctx: OrgContext, active_only: bool = True) -> list[tuple[RootCause, int, str]]:
    """The taxonomy in display order: (node, depth, full path label). One query."""
    qs = RootCause.objects.for_org(ctx.organization)
    if active_only:
        qs = qs.filter(is_active=True)
    nodes = list(qs.order_by("position", "name", "pk"))
    children: dict[int | None, list[RootCause]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    known = {n.pk for n in nodes}
    out: list[tuple[RootCause, int, str]] = []

    def walk(parent_id: int | None, depth: int, prefix: str) -> None:
        for n in children.get(parent_id, []):
            label = f"{prefix} › {n.name}" if prefix else n.name
            out.append((n, depth, label))
            walk(n.pk, depth + 1, label)

    walk(None, 0, "")
    # Children of an inactive parent are listed at the top level rather than lost.
    for n in nodes:
        if n.parent_id is not None and n.parent_id not in known:
            out.append((n, 0, n.name))
            walk(n.pk, 1, n.name)
    return out


def root_cause_path(root_cause: RootCause | None) -> str:
    """The full path of one node, parent first (one query per level above it; the taxonomy is shallow)."""
    parts, node, seen = [], root_cause, set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        parts.append(node.name)
        node = node.parent
    return " › ".join(reversed(parts))


def root_cause_labels(*, ctx: OrgContext) -> dict[int, str]:
    return {n.pk: label for n, _depth, label in root_cause_tree(ctx=ctx, active_only=False)}


def root_cause_get(*, ctx: OrgContext, pk: int) -> RootCause:
    return get_in_org(RootCause.objects.all(), ctx, pk=pk)
