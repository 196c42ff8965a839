"""Writes on improvement actions: create, edit, move on the board, measure impact, publish a win."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from accounts.services import primary_measure_for
from actions.models import BOARD_FLOW, FeedbackCase, ImprovementAction, ImprovementStatus, RootCause
from actions.policies import actor
from actions.signals import impact_measured
from actions.valuation import basis, figure_label, value_of_change
from core.numbers import round_half_away
from core.scales import scale_for_metric
from journeys.models import Touchpoint

EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "owner",
        "status",
        "horizon",
        "origin",
        "root_cause",
        "start_date",
        "due_date",
        "done_date",
        "cost",
        "metric",
        "measure",
        "expected_uplift",
        "impact_before_days",
        "impact_after_days",
    }
)
# Cases of a recurring root cause linked to a new action: the recent ones.
ROOT_CAUSE_LINK_DAYS = 365


def _require_edit(ctx: OrgContext) -> None:
    if not ctx.can_edit_program:
        raise PermissionDenied(_("Only CX managers change improvement actions."))


def _check_org(ctx: OrgContext, rows, label: str) -> None:
    for row in rows:
        if row is not None and row.organization_id != ctx.org_id:
            raise ValidationError(_("Unknown %(what)s.") % {"what": label})


def _clean_metric(action: ImprovementAction) -> None:
    """The metric must be a score metric and the measure one its scale has (stored '' for the scale's own)."""
    try:
        action.measure = primary_measure_for(action.metric, action.measure)
    except ValidationError as exc:
        renamed = {"primary_metric": "metric", "primary_measure": "measure"}
        raise ValidationError({renamed.get(k, k): v for k, v in exc.message_dict.items()}) from None


def _apply_status_dates(action: ImprovementAction, today: dt.date) -> None:
    """Dates follow the status: starting sets the start date, done sets the done date, going back clears it."""
    if action.status == ImprovementStatus.IN_PROGRESS and action.start_date is None:
        action.start_date = today
    if action.status in (ImprovementStatus.DONE, ImprovementStatus.IMPACT_MEASURED):
        action.start_date = action.start_date or today
        action.done_date = action.done_date or today
    elif action.status != ImprovementStatus.DROPPED:
        action.done_date = None


def root_cause_descendant_ids(root_cause: RootCause) -> set[int]:
    ids, frontier = {root_cause.pk}, [root_cause.pk]
    while frontier:
        frontier = list(
            RootCause.objects.filter(parent_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids


@transaction.atomic
def improvement_create(
    *,
    ctx: OrgContext,
    fields: dict[str, Any],
    touchpoints: list[Touchpoint] | None = None,
    cases: list[FeedbackCase] | None = None,
    link_root_cause_cases: bool = False,
) -> ImprovementAction:
    """Create an action; with `link_root_cause_cases` it is linked to the recent cases of its root cause."""
    _require_edit(ctx)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    touchpoints, cases = list(touchpoints or []), list(cases or [])
    _check_org(ctx, [fields.get("root_cause"), *touchpoints, *cases], "row")
    if not fields.get("metric"):
        # Measured on the organization's primary metric unless told otherwise; the expected uplift is in its unit.
        org = ctx.organization
        fields = {**fields, "metric": org.primary_metric or "nps", "measure": org.primary_measure}
    action = ImprovementAction(organization=ctx.organization, created_by=actor(ctx), **fields)
    _clean_metric(action)
    _apply_status_dates(action, timezone.localdate())
    action.full_clean(exclude=["organization", "owner", "root_cause", "created_by"])
    action.save()
    action.touchpoints.set(touchpoints)
    if link_root_cause_cases and action.root_cause is not None:
        since = timezone.now() - dt.timedelta(days=ROOT_CAUSE_LINK_DAYS)
        qs = FeedbackCase.objects.for_org(ctx.organization).filter(
            root_cause_id__in=root_cause_descendant_ids(action.root_cause), opened_at__gte=since
        )
        if touchpoints:
            qs = qs.filter(touchpoint__in=touchpoints)
        cases = [*cases, *qs]
    action.cases.set({c.pk for c in cases})
    return action


@transaction.atomic
def improvement_update(
    *,
    ctx: OrgContext,
    action: ImprovementAction,
    fields: dict[str, Any],
    touchpoints: list[Touchpoint] | None = None,
    cases: list[FeedbackCase] | None = None,
) -> ImprovementAction:
    _require_edit(ctx)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_org(ctx, [fields.get("root_cause"), *(touchpoints or []), *(cases or [])], "row")
    if fields.get("status") == ImprovementStatus.IMPACT_MEASURED and action.impact_measured_at is None:
        raise ValidationError(_("Measure the impact before marking it measured."))
    for name, value in fields.items():
        setattr(action, name, value)
    if "metric" in fields or "measure" in fields:
        _clean_metric(action)
    _apply_status_dates(action, timezone.localdate())
    action.full_clean(exclude=["organization", "owner", "root_cause", "created_by"])
    action.save()
    if touchpoints is not None:
        action.touchpoints.set(touchpoints)
    if cases is not None:
        action.cases.set(cases)
    return action


def improvement_move(*, ctx: OrgContext, action: ImprovementAction, status: str) -> ImprovementAction:
    """Move a card on the board (any column; 'impact measured' only through a measurement)."""
    if status not in ImprovementStatus.values:
        raise ValidationError(_("Unknown status."))
    return improvement_update(ctx=ctx, action=action, fields={"status": status})


def board_neighbours(status: str) -> tuple[str | None, str | None]:
    """The columns left and right of `status` on the board (the flow without 'dropped')."""
    if status not in BOARD_FLOW:
        return ImprovementStatus.IDEA, None
    i = BOARD_FLOW.index(ImprovementStatus(status))
    prev_status = BOARD_FLOW[i - 1] if i > 0 else None
    next_status = BOARD_FLOW[i + 1] if i + 1 < len(BOARD_FLOW) else None
    # Impact measured is reached by measuring, not by a button.
    if next_status == ImprovementStatus.IMPACT_MEASURED:
        next_status = None
    return prev_status, next_status


def impact_windows(
    action: ImprovementAction, today: dt.date
) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """(before, after) windows, both inclusive: the days before the start, and the days after done (up to today)."""
    start, done = action.start_date, action.done_date
    if start is None or done is None:
        raise ValueError("An action's impact windows need its start and done dates.")
    before = (start - dt.timedelta(days=action.impact_before_days), start - dt.timedelta(days=1))
    after_end = min(done + dt.timedelta(days=action.impact_after_days), today)
    return before, (done + dt.timedelta(days=1), after_end)


def improvement_measure_impact(
    *, ctx: OrgContext, action: ImprovementAction, today: dt.date | None = None
) -> ImprovementAction:
    """Compare the action's metric at its touchpoints before the start and after done (rollups), test it, value it.

    The metric is the action's own (the organization's primary metric when it was created), read in its measure:
    NPS, a mean score or a top-2-box / % yes share (kpis.scores.Score over the summed rollup rows). The action counts
    as a success only if the change is significant (kpis.scores.change_between) with at least the organization's
    minimum n in both periods; the realised value is the measured change times the value model's value per point,
    reported only for a significant change and only if the value model ran on the same metric and measure.
    """
    from core.scores import Score
    from kpis.scores import change_between
    from kpis.selectors import rollup_rows, stat_sums

    _require_edit(ctx)
    today = today or timezone.localdate()
    if action.status not in (ImprovementStatus.DONE, ImprovementStatus.IMPACT_MEASURED) or action.done_date is None:
        raise ValidationError(_("Only a done action can be measured."))
    if action.start_date is None:
        raise ValidationError(_("The action needs a start date to define the period before it."))
    if action.done_date >= today:
        raise ValidationError(_("There is no data after the done date yet."))
    touchpoint_ids = list(action.touchpoints.values_list("pk", flat=True))
    if not touchpoint_ids:
        raise ValidationError(_("The action targets no touchpoint."))
    metric, measure = basis(action.metric, action.measure)
    if scale_for_metric(metric) is None:
        raise ValidationError(_("The action is measured on %(metric)s, which is no score metric.") % {"metric": metric})
    (b_start, b_end), (a_start, a_end) = impact_windows(action, today)

    def period(start: dt.date, end: dt.date) -> Score:
        rows = rollup_rows(ctx=ctx, metric=metric, start=start, end=end, touchpoint_ids=touchpoint_ids)
        # min_n=1 here: the change is computed on whatever there is; the organization's minimum n decides below
        # whether it may be called significant.
        return Score(metric=metric, sums=rows.aggregate(**stat_sums()), min_n=1, measure=measure)

    before, after = period(b_start, b_end), period(a_start, a_end)
    diff = change_between(before, after)
    notes = []
    min_n = ctx.organization.min_n
    label = figure_label(metric, measure)
    if diff is not None and min(before.n, after.n) < min_n:
        # Statistical honesty: below the organization's minimum n a change is never called significant.
        diff = replace(diff, significant=False)
        notes.append(_("Too few answers to call it a change (fewer than %(n)s in a period).") % {"n": min_n})
    if a_end < action.done_date + dt.timedelta(days=action.impact_after_days):
        notes.append(
            _("The period after is not complete yet (%(days)s days so far).")
            % {"days": (a_end - action.done_date).days}
        )
    realised = None
    if diff is None:
        if before.n == 0 and after.n == 0:
            notes.append(_("No %(metric)s answers at these touchpoints in either period.") % {"metric": label})
        else:
            notes.append(_("Too few %(metric)s answers to compare.") % {"metric": label})
    elif diff.significant:
        estimate = value_of_change(
            ctx=ctx, metric=metric, measure=measure, uplift=diff.delta, touchpoint_ids=touchpoint_ids
        )
        if estimate.supported and estimate.value is not None:  # a supported estimate always has a value
            realised = Decimal(str(round_half_away(estimate.value, 2)))
        else:
            notes.append(estimate.reason)
    elif min(before.n, after.n) >= min_n:
        notes.append(_("The change is not statistically significant."))
    action.impact_measured_at = timezone.now()
    action.impact_metric, action.impact_measure = metric, measure
    action.impact_before_start, action.impact_before_end = b_start, b_end
    action.impact_after_start, action.impact_after_end = a_start, a_end
    action.impact_before_n, action.impact_after_n = before.n, after.n
    action.impact_before_nps, action.impact_after_nps = before.value, after.value
    action.impact_delta = diff.delta if diff else None
    action.impact_p_value = diff.p_value if diff else None
    action.impact_significant = diff.significant if diff else False
    action.realised_value = realised
    action.impact_note = " ".join(notes)[:300]
    action.status = ImprovementStatus.IMPACT_MEASURED
    if not action.is_success and action.published_at is not None:
        action.published_at, action.published_by = None, None  # a win that no longer holds leaves the feed
    with transaction.atomic():
        action.save()
        impact_measured.send(sender=ImprovementAction, action=action)
    return action


def improvement_publish(*, ctx: OrgContext, action: ImprovementAction, story: str = "") -> ImprovementAction:
    """Publish a measured, significant improvement to the organization's wins feed."""
    _require_edit(ctx)
    if not action.is_success:
        raise ValidationError(_("Only an action with a significant measured improvement can be published."))
    action.published_at = timezone.now()
    action.published_by = actor(ctx)
    action.win_story = story.strip()
    action.save(update_fields=["published_at", "published_by", "win_story", "updated_at"])
    return action


def improvement_unpublish(*, ctx: OrgContext, action: ImprovementAction) -> ImprovementAction:
    _require_edit(ctx)
    action.published_at, action.published_by = None, None
    action.save(update_fields=["published_at", "published_by", "updated_at"])
    return action


def improvement_delete(*, ctx: OrgContext, action: ImprovementAction) -> None:
    _require_edit(ctx)
    action.delete()
