"""The drain follows responses up in batches: one claim, one `responses_processed` signal, a few set-based statements.

Responses are stored here the way an import stores them (in bulk, `processed_at` NULL); the kpis and actions
receivers run for real, so the rollups and the cases are what a user would see afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import AlertRule, FeedbackCase
from actions.services import rules as alert_rules
from kpis import rollups
from kpis.models import DirtyRollup
from surveys.ingestion import services, tasks
from surveys.ingestion.services import responses_follow_up_kick, responses_sweep_unprocessed
from surveys.models import Answer, Response
from surveys.signals import response_processed, responses_processed
from tests.factories import CustomerFactory
from tests.kpis.conftest import expected_rollups, make_world, stored_rollups

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def world(cast_a):
    return make_world(cast_a.org, touchpoints_per_stage=(2, 1))


def imported(world, count: int, *, days: int = 30, customers=(None,), recent: bool = False, seed: int = 1):
    """`count` unprocessed responses with NPS, CSAT and some comments, stored in bulk as an import stores them.

    A tenth are journey-survey responses (no touchpoint). recent=True submits them today (cases can open).
    """
    rng = random.Random(seed)
    rows, plans = [], []
    for _ in range(count):
        day = timezone.localdate() if recent else DAY - dt.timedelta(days=rng.randrange(days))
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        journey_survey = rng.random() < 0.1
        touchpoint = None if journey_survey else rng.choice(world.touchpoints)
        survey, version, questions = (
            (world.journey_survey, world.journey_version, world.journey_questions)
            if journey_survey
            else (world.survey, world.version, world.questions)
        )
        customer = rng.choice(customers)
        rows.append(
            Response(
                organization=world.org,
                survey=survey,
                version=version,
                touchpoint=touchpoint,
                journey=world.journey,
                customer=customer,
                submitted_at=moment,
                source=Response.Source.IMPORT,
            )
        )
        comment = rng.choice(["", "", "Bra", "Jag vill göra en UPPSÄGNING"])
        plans.append((day, questions, touchpoint, customer, rng.randint(0, 10), rng.choice([None, 1, 3, 5]), comment))
    responses = Response.objects.bulk_create(rows, batch_size=2000)
    answers = []
    for response, (day, questions, touchpoint, customer, nps, csat, comment) in zip(responses, plans, strict=True):
        common = {
            "organization": world.org,
            "response": response,
            "touchpoint": touchpoint,
            "submitted_on": day,
            "customer": customer,
        }
        answers.append(Answer(question=questions["nps"], metric="nps", value=nps, **common))
        if csat is not None:
            answers.append(Answer(question=questions["csat"], metric="csat", value=csat, **common))
        if comment:
            answers.append(Answer(question=questions["why"], metric="", text=comment, **common))
    Answer.objects.bulk_create(answers, batch_size=2000)
    return responses


class Batches:
    """Records each `responses_processed` batch."""

    def __init__(self):
        self.calls: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, sender, **kwargs):
        with self.lock:
            self.calls.append(kwargs)

    @property
    def ids(self) -> list[int]:
        return [pk for call in self.calls for pk in call["response_ids"]]


@pytest.fixture
def batches():
    recorder = Batches()
    responses_processed.connect(recorder, dispatch_uid="test-batches")
    yield recorder
    responses_processed.disconnect(dispatch_uid="test-batches")


def unprocessed() -> int:
    return Response.objects.filter(processed_at__isnull=True).count()


def test_the_drain_follows_a_batch_up_with_one_signal(world, batches):
    made = imported(world, 120)
    assert responses_sweep_unprocessed(min_age_seconds=0, batch_size=1000) == 120
    assert len(batches.calls) == 1
    assert batches.calls[0]["response_ids"] == sorted(r.pk for r in made)
    assert batches.calls[0]["organization_ids"] == [world.org.pk]
    assert unprocessed() == 0
    # The kpis receiver marked every touched touchpoint-day and journey-day.
    touched = set(Answer.objects.filter(touchpoint__isnull=False).values_list("touchpoint_id", "submitted_on"))
    assert set(DirtyRollup.objects.filter(kind="t").values_list("key_id", "day")) == touched


def test_a_batch_costs_the_same_statements_whatever_its_size(world):
    AlertRule.objects.create(organization=world.org, name="Churn", keywords="uppsägning|cancel*", nps_max=6)
    alert_rules._regex_collation()  # the once-per-process check of the database's regular expressions
    counts = []
    for size, seed in ((10, 1), (600, 2)):
        imported(world, size, recent=True, seed=seed)
        Answer.objects.filter(text__contains="UPPSÄGNING").update(text="Bra")  # no case: the same work for both
        with CaptureQueriesContext(connection) as queries:
            assert responses_sweep_unprocessed(min_age_seconds=0, batch_size=1000) == size
        counts.append(len(queries))
    # SQLite marks in chunks of 400 ids (its limit on parameters); PostgreSQL passes any number as one array.
    chunks = 0 if connection.vendor == "postgresql" else 1
    assert counts[0] + chunks == counts[1] <= 10
    # Nobody listens to single responses: the drain never loads the rows one by one.
    assert not any('FROM "surveys_response"' in q["sql"] and "SELECT" in q["sql"][:10] for q in queries)


def test_an_import_is_followed_up_by_one_kick_in_eager_mode(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # The demo has no beat and no sweep: the eager drain must go on until nothing is left, however long it takes
    # (a zero time budget would stop a worker's drain at once).
    settings.SURVEYS_SWEEP_BATCH_SIZE = 1000
    monkeypatch.setattr(tasks, "DRAIN_BUDGET_SECONDS", 0)
    customers = [CustomerFactory(organization=world.org, segment=s) for s in ("Business", "Consumer")] + [None]
    imported(world, 3000, days=60, customers=customers)
    with django_capture_on_commit_callbacks(execute=True):
        assert responses_follow_up_kick() is True
    assert unprocessed() == 0
    # The aggregation it queued ran (eagerly): the dashboards show the import.
    assert not DirtyRollup.objects.exists()
    assert stored_rollups() == expected_rollups()


def test_rollups_after_the_drain_equal_a_rebuild(world):
    customers = [CustomerFactory(organization=world.org, segment="Premium"), None]
    imported(world, 400, customers=customers)
    responses_sweep_unprocessed(min_age_seconds=0, batch_size=150)
    rollups.aggregate_dirty()
    after_drain = stored_rollups()
    rollups.rebuild_rollups()
    assert after_drain == stored_rollups() == expected_rollups()


def test_a_resent_batch_marks_nothing_new_and_opens_nothing_new(world):
    AlertRule.objects.create(organization=world.org, name="Detractors", nps_max=6)
    made = imported(world, 80, recent=True)
    ids = [r.pk for r in made]
    responses_sweep_unprocessed(min_age_seconds=0)
    dirty = set(DirtyRollup.objects.values_list("kind", "key_id", "day"))
    cases = set(FeedbackCase.objects.values_list("response_id", "rule_id"))
    assert cases and dirty
    responses_processed.send(sender=Response, organization_ids=[world.org.pk], response_ids=ids)
    assert set(DirtyRollup.objects.values_list("kind", "key_id", "day")) == dirty
    assert set(FeedbackCase.objects.values_list("response_id", "rule_id")) == cases


def test_a_failing_receiver_holds_back_only_the_response_it_fails_on(world, batches):
    made = imported(world, 40)
    bad = made[17].pk

    def broken(sender, response_ids, **kwargs):
        if bad in response_ids:
            raise RuntimeError("receiver bug")

    responses_processed.connect(broken, dispatch_uid="test-broken")
    try:
        assert responses_sweep_unprocessed(min_age_seconds=0, batch_size=100) == 39
        assert responses_sweep_unprocessed(min_age_seconds=0, batch_size=100) == 0  # tried again, fails again
    finally:
        responses_processed.disconnect(dispatch_uid="test-broken")
    assert list(Response.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)) == [bad]
    # Every other response was followed up once (its keys marked), the bad one never.
    assert sorted(set(batches.ids) - {bad}) == sorted(r.pk for r in made if r.pk != bad)
    assert responses_sweep_unprocessed(min_age_seconds=0) == 1  # fixed: the next sweep takes it


def test_a_crash_between_claim_and_commit_leaves_the_batch_unprocessed(world):
    imported(world, 30)

    def crash(sender, **kwargs):
        raise SystemExit("worker killed")  # not an Exception: nothing in the drain may swallow it

    responses_processed.connect(crash, dispatch_uid="test-crash")
    try:
        with pytest.raises(SystemExit):
            responses_sweep_unprocessed(min_age_seconds=0)
    finally:
        responses_processed.disconnect(dispatch_uid="test-crash")
    assert unprocessed() == 30
    assert not DirtyRollup.objects.exists()


def test_a_receiver_that_always_fails_stops_the_run_after_a_few_rows(world, monkeypatch):
    monkeypatch.setattr(services, "MAX_FAILED_PER_RUN", 5)
    imported(world, 200)

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    responses_processed.connect(broken, dispatch_uid="test-broken")
    try:
        started = time.monotonic()
        assert responses_sweep_unprocessed(min_age_seconds=0, batch_size=100, time_budget_seconds=None) == 0
    finally:
        responses_processed.disconnect(dispatch_uid="test-broken")
    assert unprocessed() == 200
    assert time.monotonic() - started < 30


def test_observers_of_single_responses_still_see_each_processed_response(world):
    made = imported(world, 25)
    seen = []

    def observer(sender, response, **kwargs):
        seen.append((response.pk, response.survey.pk, response.processed_at is not None))

    response_processed.connect(observer, dispatch_uid="test-observer")
    try:
        responses_sweep_unprocessed(min_age_seconds=0)
    finally:
        response_processed.disconnect(dispatch_uid="test-observer")
    assert sorted(pk for pk, _survey, _done in seen) == sorted(r.pk for r in made)
    assert all(done for _pk, _survey, done in seen)


def test_sending_the_single_signal_by_hand_follows_that_response_up(world, batches):
    (response,) = imported(world, 1)
    response_processed.send(sender=Response, response=response)
    assert batches.calls == [
        {"signal": responses_processed, "organization_ids": [world.org.pk], "response_ids": [response.pk]}
    ]
    assert DirtyRollup.objects.exists()


def test_responses_created_after_the_drain_started_wait_for_the_next_one(world):
    imported(world, 10)
    older_than = timezone.now()
    time.sleep(0.01)
    later = imported(world, 5, seed=2)
    assert services._claim_batch(older_than=older_than, limit=100) != []
    assert unprocessed() == 5
    assert set(Response.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)) == {r.pk for r in later}


@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_never_follow_up_the_same_response(cast_a):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: the demo runs the drain eagerly, in one process")
    world = make_world(cast_a.org)
    made = imported(world, 1500)
    seen: list[tuple[str, list[int]]] = []
    lock = threading.Lock()

    def recorder(sender, response_ids, **kwargs):
        with lock:
            seen.append((threading.current_thread().name, list(response_ids)))
        time.sleep(0.02)  # hold the batch a moment, so the other drain has to skip it

    responses_processed.connect(recorder, dispatch_uid="test-two-drains")
    barrier = threading.Barrier(2)
    errors = []

    def drain():
        try:
            barrier.wait()
            responses_sweep_unprocessed(min_age_seconds=0, batch_size=100)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain, name=f"drain-{i}") for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        responses_processed.disconnect(dispatch_uid="test-two-drains")
    assert errors == []
    ids = [pk for _name, batch in seen for pk in batch]
    assert len(ids) == len(set(ids)) == len(made)  # every response once, none twice
    assert {name for name, _batch in seen} == {"drain-0", "drain-1"}  # both did part of the work
    assert unprocessed() == 0
