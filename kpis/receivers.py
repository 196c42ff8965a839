"""Keep rollups current: mark touched (touchpoint or journey, day) keys dirty and queue the aggregation.

Each receiver runs one cheap, idempotent INSERT ... ON CONFLICT DO NOTHING inside the sender's transaction, so a
rolled-back change marks nothing and a re-sent signal marks nothing new. A processed batch of responses (a drain
batch, a chunk of an import) is marked with one statement, whatever its size. Changes that bypass the ORM
(queryset.update, bulk upserts, raw SQL) are caught by the nightly reconciliation, or by `mark_dirty_for_range` /
`mark_dirty_for_customers` called by the code that made them.
"""

from __future__ import annotations

from kpis.rollups import (
    clear_answer_customer,
    mark_dirty_for_answer,
    mark_dirty_for_customers,
    mark_dirty_for_responses,
    schedule_aggregation,
)


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


def on_customer_pre_delete(sender, instance, origin=None, **kwargs) -> None:
    # The responses stay (customer set to NULL): their answers move to the anonymous slice.
    if _whole_organization(origin):
        return
    mark_dirty_for_customers([instance.pk])
    clear_answer_customer(instance.pk)
    schedule_aggregation()
