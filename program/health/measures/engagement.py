"""Engagement: customers are asked at the touchpoints, and the program has owners (touchpoints, journeys, the program
itself with a steering group)."""

from __future__ import annotations

from django.db.models import Count, Q

from program.health import rules
from program.health.measures import active_touchpoints, share
from program.health.window import Window


def survey_coverage(w: Window) -> dict:
    """Active touchpoints with a published customer survey AND at least min_n customer responses in the window."""
    from surveys.models import Response, Survey

    tps = active_touchpoints(w)
    ids = [tp.pk for tp in tps]
    surveyed = set(
        Survey.objects.for_org(w.organization)
        .filter(status=Survey.Status.PUBLISHED, touchpoints__in=ids, versions__published_at__lt=w.end)
        .exclude(kind__in=Survey.INTERNAL_KINDS)
        .values_list("touchpoints", flat=True)
    )
    counts = dict(
        Response.objects.filter(
            organization=w.organization,
            touchpoint_id__in=ids,
            submitted_at__gte=w.start(rules.RECENT_DAYS),
            submitted_at__lt=w.end,
        )
        .exclude(survey__kind__in=Survey.INTERNAL_KINDS)
        .values("touchpoint_id")
        .annotate(n=Count("pk"))
        .values_list("touchpoint_id", "n")
    )
    min_n = w.organization.min_n
    covered = sum(1 for pk in ids if pk in surveyed and counts.get(pk, 0) >= min_n)
    evidence = {"covered": covered, "total": len(ids), "min_n": min_n, "days": rules.RECENT_DAYS}
    return w.result("survey_coverage", share(covered, len(ids)), evidence)


def response_rate(w: Window) -> dict:
    """Customer survey invitations answered / sent in the window; not applicable when none were sent."""
    from surveys.models import Invitation, Survey

    counts = (
        Invitation.objects.for_org(w.organization)
        .filter(sent_at__gte=w.start(rules.RECENT_DAYS), sent_at__lt=w.end)
        .exclude(survey__kind__in=Survey.INTERNAL_KINDS)
        .aggregate(sent=Count("pk"), answered=Count("pk", filter=Q(used_at__lt=w.end)))
    )
    evidence = {"answered": counts["answered"], "sent": counts["sent"], "days": rules.RECENT_DAYS}
    return w.result("response_rate", share(counts["answered"], counts["sent"]), evidence, applicable=counts["sent"] > 0)


def touchpoint_owners(w: Window) -> dict:
    tps = active_touchpoints(w)
    owned = sum(1 for tp in tps if tp.owner_id is not None)
    return w.result("touchpoint_owners", share(owned, len(tps)), {"owned": owned, "total": len(tps)})


def journeys_mapped(w: Window) -> dict:
    """Every active journey has stages and active touchpoints (and there is at least one journey)."""
    from journeys.models import Journey

    rows = (
        Journey.objects.for_org(w.organization)
        .active()
        .annotate(
            n_stages=Count("stages", distinct=True),
            n_touchpoints=Count("touchpoints", filter=Q(touchpoints__is_active=True), distinct=True),
        )
        .values_list("n_stages", "n_touchpoints")
    )
    total = len(rows)
    mapped = sum(1 for stages, touchpoints in rows if stages and touchpoints)
    return w.result("journeys_mapped", share(mapped, total), {"mapped": mapped, "total": total})


def program_owner(w: Window) -> dict:
    """A program owner and a steering group of at least STEERING_GROUP_MIN, all still members of the organization.
    The value is the share of the requirement fulfilled (the owner counts half, the group the other half)."""
    from accounts.models import Membership
    from program.models import ProgramSettings

    row = ProgramSettings.objects.for_org(w.organization).first()
    members = set(Membership.objects.for_org(w.organization).values_list("user_id", flat=True))
    has_owner = bool(row and row.owner_id in members)
    steering = len(members.intersection(row.steering_group.values_list("pk", flat=True))) if row else 0
    minimum = rules.STEERING_GROUP_MIN
    value = (0.5 if has_owner else 0.0) + 0.5 * min(steering, minimum) / minimum
    evidence = {"has_owner": has_owner, "steering": steering, "min_steering": minimum}
    return w.result("program_owner", value, evidence, met=has_owner and steering >= minimum)


CRITERIA = [survey_coverage, response_rate, touchpoint_owners, journeys_mapped, program_owner]
