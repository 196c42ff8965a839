"""Receivers of other apps' signals, connected in KpisConfig.ready().

Rollups kept current: a receiver marks the touched (touchpoint or journey, day) keys dirty and queues the aggregation.
Each runs one cheap, idempotent INSERT ... ON CONFLICT DO NOTHING inside the sender's transaction, so a rolled-back
change marks nothing and a re-sent signal marks nothing new. A processed batch of responses (a drain batch, a chunk
of an import) is marked with one statement, whatever its size. Changes that bypass the ORM (queryset.update, bulk
upserts, raw SQL) are caught by the nightly reconciliation, by a signal of the app that made them (customers'
`customers_resliced`), or by `mark_dirty_for_range` called by the code that made them.

Scores on journeys' pages: `on_touchpoints_page` adds each touchpoint's score to the journey map and the touchpoint
page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpis.rollups import (
    clear_answer_customer,
    mark_dirty_for_answer,
    mark_dirty_for_customers,
    mark_dirty_for_responses,
    schedule_aggregation,
)

if TYPE_CHECKING:
    from accounts.scoping import OrgContext


def on_responses_processed(sender, response_ids, **kwargs) -> None:
    mark_dirty_for_responses(response_ids)
    schedule_aggregation()


def _whole_organization(origin) -> bool:
    # Deleting an organization deletes its rollups too: nothing to recompute, and no statement per row.
    from accounts.models import Organization

    return isinstance(origin, Organization) or getattr(origin, "model", None) is Organization


def on_response_pre_delete(sender, instance, origin=None, **kwargs) -> None:
    # pre_delete: the answers (deleted by cascade) still exist, so their keys can be read.
    if _whole_organization(origin):
        return
    mark_dirty_for_responses([instance.pk])
    schedule_aggregation()


def on_answer_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    mark_dirty_for_answer(instance.pk)  # the key the row has before the update


def on_answer_post_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        # New answers are counted when their response is processed; an answer added to an already processed
        # response (seen only if the response object is at hand, to avoid a query per answer) is marked now.
        response = instance._state.fields_cache.get("response")
        if response is None or response.processed_at is None:
            return
    mark_dirty_for_answer(instance.pk)
    schedule_aggregation()


def on_customer_pre_save(sender, instance, raw=False, **kwargs) -> None:
    """A customer's segment or persona changes: their answers move between segment slices."""
    if raw or instance._state.adding or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("segment", "persona_id").first()
    if old is not None and old != (instance.segment, instance.persona_id):
        mark_dirty_for_customers([instance.pk])
        schedule_aggregation()


def on_customers_resliced(sender, customer_ids, **kwargs) -> None:
    """An import moved customers to another segment or persona (a bulk upsert: no pre_save)."""
    mark_dirty_for_customers(customer_ids)
    schedule_aggregation()


def on_customer_pre_delete(sender, instance, origin=None, **kwargs) -> None:
    # The responses stay (customer set to NULL): their answers move to the anonymous slice.
    if _whole_organization(origin):
        return
    mark_dirty_for_customers([instance.pk])
    clear_answer_customer(instance.pk)
    schedule_aggregation()


def on_touchpoints_page(sender, ctx: OrgContext, touchpoints: list, **kwargs) -> dict:
    """Score, n, target and status of the touchpoints shown (the gap dashboard's figures for the default period and
    the organization's primary metric), loaded for all of them at once and set on each as `kpi_assessment`."""
    from kpis import dashboards  # here, not at start-up: the dashboards import plotly

    filters = dashboards.default_filters(ctx=ctx)
    scores = dashboards.touchpoint_scores(ctx=ctx, touchpoints=touchpoints, filters=filters)
    for touchpoint in touchpoints:
        touchpoint.kpi_assessment = scores.get(touchpoint.pk)
    return {"scores": scores}
