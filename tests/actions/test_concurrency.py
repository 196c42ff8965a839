"""Races on real PostgreSQL: two people claiming one case, two workers delivering one signal.

Each thread uses its own database connection (Django opens one per thread), so the conditional UPDATE and the
unique index are exercised the way two web or Celery workers would hit them.
"""

import threading

import pytest
from django.db import connection, transaction

from accounts.scoping import context_for_membership
from actions.models import CaseEvent, FeedbackCase
from actions.services.cases import case_claim
from actions.services.rules import alert_rules_evaluate, alert_rules_evaluate_batch
from surveys.models import Response
from tests.actions.conftest import build_loop, respond
from tests.conftest import _make_cast

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*functions):
    """Start the functions in threads at the same instant; return their results (or exceptions)."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_people_claiming_at_once_never_both_get_the_case():
    assert connection.vendor == "postgresql"
    loop = build_loop(_make_cast("Race Telecom"))
    people = [loop.frontline, loop.lead]
    for _round in range(5):
        response = respond(loop, nps=1)
        case = alert_rules_evaluate(response=response)

        def claim(member, case_id=case.pk):
            ctx = context_for_membership(member, user=member.user)
            return case_claim(ctx=ctx, case=FeedbackCase.objects.get(pk=case_id))

        results = run_together(*(lambda m=m: claim(m) for m in people))
        assert not any(isinstance(r, Exception) for r in results), results
        winners = [r for r in results if r.claimed]
        losers = [r for r in results if not r.claimed]
        assert len(winners) == 1 and len(losers) == 1
        case.refresh_from_db()
        assert case.assignee == winners[0].case.assignee
        holder = case.assignee.get_full_name() or case.assignee.get_username()
        assert losers[0].holder == holder
        assert case.events.filter(kind=CaseEvent.Kind.CLAIMED).count() == 1


def test_a_signal_delivered_by_two_workers_at_once_opens_one_case():
    loop = build_loop(_make_cast("Twin Telecom"))
    response = respond(loop, nps=0)

    def deliver():
        # Like the ingestion task: inside the transaction that marks the response processed.
        with transaction.atomic():
            return alert_rules_evaluate(response=Response.objects.get(pk=response.pk))

    results = run_together(deliver, deliver)
    assert not any(isinstance(r, Exception) for r in results), results
    assert FeedbackCase.objects.filter(response=response).count() == 1
    assert results[0].pk == results[1].pk
    assert CaseEvent.objects.filter(case__response=response, kind=CaseEvent.Kind.CREATED).count() == 1


def test_one_batch_delivered_by_two_workers_at_once_opens_one_case_per_response():
    loop = build_loop(_make_cast("Batch Telecom"))
    made = [respond(loop, nps=score) for score in (0, 3, 6, 9, 10, 2)]
    ids = [r.pk for r in made]

    def deliver():
        # Like the drain: inside the transaction that claims the batch.
        with transaction.atomic():
            return alert_rules_evaluate_batch(response_ids=ids, organization_ids=[loop.org.pk])

    results = run_together(deliver, deliver)
    assert not any(isinstance(r, Exception) for r in results), results
    detractors = {r.pk for r in made if r.answers.get(metric="nps").value <= 6}
    assert set(FeedbackCase.objects.values_list("response_id", flat=True)) == detractors
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CREATED).count() == len(detractors)
