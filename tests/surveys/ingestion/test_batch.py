"""responses_ingest (surveys.ingestion.batch): one result per item, in order, refusals as the service's errors; and an
idempotency key too long to store is refused by the submit service, never cut (issue 16)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.scoping import OrgContext
from surveys.ingestion.batch import responses_ingest
from surveys.ingestion.errors import AnswerValidationError, IdempotencyKeyTooLong, UnknownRows
from surveys.ingestion.services import IDEMPOTENCY_KEY_MAX_LENGTH
from surveys.models import Response

pytestmark = pytest.mark.django_db


def item(prog, **overrides) -> dict:
    return {"survey": prog.survey.pk, "touchpoint": prog.touchpoint.pk, "answers": {"nps": 9}, **overrides}


def test_each_item_is_stored_or_refused_on_its_own_in_order(prog_a, prog_b):
    ctx = OrgContext(organization=prog_a.org, role=Role.ADMIN)
    items = [
        (0, item(prog_a, idempotency_key="a")),
        (1, item(prog_a, survey=prog_b.survey.pk)),
        (2, item(prog_a, answers={"nps": 12})),
        (3, item(prog_a, idempotency_key="a")),
    ]
    results = responses_ingest(ctx=ctx, items=items)
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert results[0].created and results[0].response.organization_id == prog_a.org.pk
    assert isinstance(results[1].refused, UnknownRows) and set(results[1].refused.errors) == {"survey"}
    assert isinstance(results[2].refused, AnswerValidationError)
    assert not results[3].created and results[3].response.pk == results[0].response.pk
    assert Response.objects.count() == 1


def test_an_idempotency_key_too_long_to_store_is_refused_not_cut(prog_a):
    ctx = OrgContext(organization=prog_a.org, role=Role.ADMIN)
    longest = "k" * IDEMPOTENCY_KEY_MAX_LENGTH
    (stored,) = responses_ingest(ctx=ctx, items=[(0, item(prog_a, idempotency_key=longest))])
    (refused,) = responses_ingest(ctx=ctx, items=[(0, item(prog_a, idempotency_key=longest + "x"))])
    assert stored.created and stored.response.idempotency_key == longest
    assert isinstance(refused.refused, IdempotencyKeyTooLong)
    assert Response.objects.count() == 1


def test_no_items_read_nothing(prog_a, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert responses_ingest(ctx=OrgContext(organization=prog_a.org, role=Role.ADMIN), items=[]) == []
