# The SQL here is literal (no user input): a plain query to compare the binary COPY with.
# ruff: noqa: S608
"""How compound failures read a million responses: the binary COPY of whole columns, the ORM path of the SQLite demo
and the concurrent read give the same rows, and the same as an independent recomputation from model objects
(primary score by rank, then the lowest answer id; time floored to the millisecond; customer surveys only)."""

from __future__ import annotations

import datetime as dt
import random
import time

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from program.synergy import pgarrays
from program.synergy.frames import Experiences, experiences, metric_rank
from surveys.models import Answer, Response, Survey
from tests.factories import CustomerFactory
from tests.program.test_synergy_compound import SynergyWorld, _plant, _question, make_synergy_world

pytestmark = pytest.mark.django_db
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the binary COPY is PostgreSQL's")


def _floor_ms(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(milliseconds=1)


# -- the binary COPY reader --------------------------------------------------------------------------------------


@postgresql_only
def test_binary_copy_reads_arrays_and_text_like_a_plain_query():
    moment = dt.datetime(1999, 12, 31, 23, 59, 59, 999_500, tzinfo=dt.UTC)  # before PostgreSQL's epoch: negative
    rows_sql = (
        "SELECT x, CASE WHEN x %% 3 = 0 THEN 'nöjd:1-5' ELSE 'nps' END AS k, x * 2.5 - 7 AS f, "
        "%s::timestamptz - x * interval '1 day 0.0007 seconds' AS t, (x - 20) * 4611686018427387 AS big "
        "FROM generate_series(1, 40) AS x"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k, x, f, t, big FROM ({rows_sql}) AS g ORDER BY k, x", [moment])
        plain = cursor.fetchall()
    got = pgarrays.copy_rows(
        "SELECT k, array_agg(x::int4 ORDER BY x), array_agg(big ORDER BY x), array_agg(f::float8 ORDER BY x), "
        f"array_agg(t ORDER BY x) FROM ({rows_sql}) AS g GROUP BY k ORDER BY k",
        [moment],
        [pgarrays.TEXT] + [pgarrays.ARRAY] * 4,
    )
    assert [row[0] for row in got] == ["nps", "nöjd:1-5"]  # UTF-8 text, in the query's order
    for key, x, big, f, t in got:
        mine = [r for r in plain if r[0] == key]
        assert x.dtype == np.int64 and x.tolist() == [r[1] for r in mine]
        assert big.tolist() == [r[4] for r in mine] and big.min() < 0 < big.max()
        assert f.dtype == np.float64 and f.tolist() == [float(r[2]) for r in mine]
        assert pgarrays.ms_from_timestamps(t).tolist() == [_floor_ms(r[3]) for r in mine]


@postgresql_only
def test_binary_copy_of_no_row_and_of_a_null_element():
    assert pgarrays.copy_rows("SELECT array_agg(x) FROM generate_series(1, 0) AS x", [], [pgarrays.ARRAY]) == [[None]]
    grouped = "SELECT 'a', array_agg(x) FROM generate_series(1, 0) AS x GROUP BY 1"
    assert pgarrays.copy_rows(grouped, [], [pgarrays.TEXT, pgarrays.ARRAY]) == []
    with pytest.raises(pgarrays.CopyFormatError):
        pgarrays.copy_rows("SELECT array_agg(NULLIF(x, 2)) FROM generate_series(1, 3) AS x", [], [pgarrays.ARRAY])


# -- the rows, three ways and by hand ----------------------------------------------------------------------------


def _plant_edge_cases(world: SynergyWorld, today: dt.date) -> list[int]:
    """Ties of the best rank (the lowest answer id decides, not the question order), journey-level responses,
    anonymous ones, text-only, yes/no-only and employee answers, and times with sub-millisecond parts. Returns the
    two tied responses."""
    org, tz = world.org, world.org.zone
    version = world.version
    nps2 = _question(org, version, 7, "nps_again", "nps")
    staff = _question(org, version, 8, "staff", "rating", scale_min=1, scale_max=5)
    customer = CustomerFactory(organization=org)
    at = dt.datetime.combine(today - dt.timedelta(days=40), dt.time(10, 0, 0, 998_500), tz)

    def answer(response, question, value, metric=None):
        Answer.objects.create(
            organization=org,
            response=response,
            question=question,
            touchpoint=response.touchpoint,
            submitted_on=timezone.localdate(response.submitted_at, tz),
            metric=metric if metric is not None else question.metric,
            value=value,
        )

    def bare(moment, touchpoint=world.touchpoints[1], who=customer, journey=None):
        return Response.objects.create(
            organization=org,
            survey=world.survey,
            version=version,
            touchpoint=touchpoint,
            journey_id=journey or touchpoint.journey_id,
            customer=who,
            language="en",
            submitted_at=moment,
            processed_at=moment,
        )

    # Two NPS answers: the one stored first (lower id) decides, though its question comes later.
    first = bare(at)
    answer(first, nps2, 3)
    answer(first, world.questions["nps"], 10)
    # Two ratings, no NPS/CSAT/CES: the lower id again (4 on 1-10 is not poor; 1 on 1-5 would be).
    second = bare(at + dt.timedelta(microseconds=1))  # the same millisecond as the one before
    answer(second, world.questions["overall"], 4)
    answer(second, staff, 1)
    # A rating before an NPS answer: NPS wins whatever the ids.
    r = bare(at + dt.timedelta(days=1, microseconds=500))
    answer(r, staff, 1)
    answer(r, world.questions["nps"], 9)
    # A journey-level response (no touchpoint) and a second customer's response at the very same moment.
    r = bare(at + dt.timedelta(days=2), touchpoint=None, journey=world.journeys[0].pk)
    answer(r, world.questions["csat"], 2)
    other = CustomerFactory(organization=org)
    answer(bare(at + dt.timedelta(days=2), who=other), world.questions["ces"], 7)
    # Never rows: anonymous, text only, yes/no only, outside the period.
    answer(bare(at, who=None), world.questions["nps"], 0)
    world.respond(customer, at + dt.timedelta(days=3), text="Only words")
    world.respond(customer, at + dt.timedelta(days=4), yes=0)
    world.respond(customer, dt.datetime.combine(today - dt.timedelta(days=900), dt.time(12), tz), nps=0)
    return [first.pk, second.pk]


def _by_hand(world: SynergyWorld, since: dt.datetime, until: dt.datetime) -> list[tuple]:
    """(customer, ms, response, value, poor, is NPS) from model objects, sorted, without program.synergy.frames."""
    bad_max = {"nps": 6, "csat": 2, "ces": 2}
    out = []
    responses = Response.objects.filter(
        organization=world.org, customer__isnull=False, submitted_at__gte=since, submitted_at__lt=until
    ).exclude(survey__kind__in=Survey.INTERNAL_KINDS)
    for response in responses.prefetch_related("answers"):
        scored = []
        for a in response.answers.all():
            ranked = metric_rank(a.metric) if a.value is not None else None
            if ranked is not None:
                scored.append((ranked[0], a.pk, a))
        if not scored:
            continue
        _rank, _pk, a = min(scored, key=lambda s: (s[0], s[1]))
        if a.metric in bad_max:
            poor = a.value <= bad_max[a.metric]
        else:  # ratings x:low-high: the bottom two boxes (one on scales of up to four points)
            low, high = (int(v) for v in a.metric.rsplit(":", 1)[1].split("-"))
            poor = a.value <= (low if high - low + 1 <= 4 else low + 1)
        out.append(
            (response.customer_id, _floor_ms(response.submitted_at), response.pk, a.value, poor, a.metric == "nps")
        )
    return sorted(out)


def _table(rows: Experiences) -> list[tuple]:
    return list(
        zip(
            rows.customer_id.tolist(),
            rows.t_ms.tolist(),
            rows.response_id.tolist(),
            rows.value.tolist(),
            rows.poor.tolist(),
            rows.is_nps.tolist(),
            strict=True,
        )
    )


def _same(a: Experiences, b: Experiences) -> None:
    for name in ("response_id", "customer_id", "t_ms", "journey_id", "value", "is_nps", "poor", "normalised"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def _window(world: SynergyWorld, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = world.org.zone
    return (
        dt.datetime.combine(today - dt.timedelta(days=400), dt.time.min, tz),
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tz),
    )


def test_binary_and_orm_reads_give_the_same_rows_as_model_objects(cast_a):
    world = make_synergy_world(cast_a)
    today = timezone.localdate(timezone=world.org.zone)
    _plant(world, random.Random(6), today)
    ties = _plant_edge_cases(world, today)
    since, until = _window(world, today)
    orm = experiences(world.org, since=since, until=until, journeys=True, fast=False)
    expected = _by_hand(world, since, until)
    assert _table(orm) == expected and len(expected) > 300
    journeys = dict(Response.objects.filter(organization=world.org).values_list("pk", "journey_id"))
    assert orm.journey_id.tolist() == [journeys[pk] or 0 for pk in orm.response_id.tolist()]
    if connection.vendor == "postgresql":
        _same(experiences(world.org, since=since, until=until, journeys=True, fast=True, concurrent=False), orm)
    # The planted ties came out as the lowest answer id says, in id order within one millisecond: a detractor (3),
    # then a 4 on 1-10 (not poor).
    tied = [(row[2], row[3], row[4]) for row in expected if row[2] in ties]
    assert tied == [(ties[0], 3, True), (ties[1], 4, False)]


def test_an_organization_without_customer_surveys_has_no_rows(cast_a):
    world = make_synergy_world(cast_a)
    today = timezone.localdate(timezone=world.org.zone)
    world.respond(CustomerFactory(organization=world.org), timezone.now() - dt.timedelta(days=1), nps=2)
    Survey.objects.filter(pk=world.survey.pk).update(kind="employee")
    since, until = _window(world, today)
    for fast in [False] + ([True] if connection.vendor == "postgresql" else []):
        rows = experiences(world.org, since=since, until=until, fast=fast, concurrent=False)
        assert len(rows) == 0 and rows.customers()[0].size == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_concurrent_read_gives_the_same_rows_and_returns_its_connection(cast_a):
    """Outside a transaction (as a page request runs) the two tables are read on two connections at once."""
    world = make_synergy_world(cast_a)
    today = timezone.localdate(timezone=world.org.zone)
    _plant(world, random.Random(7), today)
    _plant_edge_cases(world, today)
    since, until = _window(world, today)

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    before = backends()
    assert not connection.in_atomic_block
    together = experiences(world.org, since=since, until=until, journeys=True)  # concurrent by default here
    # The thread closed its connection; the server process ends a moment after the client said goodbye.
    deadline = time.monotonic() + 5
    while backends() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backends() <= before  # (others may have closed meanwhile, never one more)
    _same(together, experiences(world.org, since=since, until=until, journeys=True, concurrent=False))
    assert _table(together) == _by_hand(world, since, until)
