"""core.rawrows: hand-written reads build the same instances as the ORM; prepared statements survive
reconnects and take NULL-only arrays; the fixed-window rate counter (core.ratelimit) counts per window."""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import Organization
from core import ratelimit
from core.rawrows import RowReader, execute_prepared
from surveys.models import Question
from tests.surveys.ingestion.conftest import make_program

pytestmark = pytest.mark.django_db


def test_a_row_reader_builds_what_the_orm_builds(cast_a, cast_b):
    prog = make_program(cast_a)
    other = make_program(cast_b)
    reader = RowReader(Question)
    ids = [q.pk for q in prog.survey.current_version.questions.all()] + [
        q.pk for q in other.survey.current_version.questions.all()
    ]
    found = reader.in_org_by_ids(organization_id=prog.org.pk, ids=ids)
    expected = {q.pk: q for q in Question.objects.filter(organization=prog.org, pk__in=ids)}
    assert set(found) == set(expected) and found  # the other organization's questions are not there
    for pk, question in found.items():
        orm = expected[pk]
        assert question.text == orm.text and isinstance(question.text, dict)  # JSON converted as the ORM does
        assert question.options == orm.options
        assert (question.code, question.kind, question.version_id) == (orm.code, orm.kind, orm.version_id)
        assert not question._state.adding
    assert reader.in_org_by_ids(organization_id=prog.org.pk, ids=[]) == {}


def test_prepared_statements_take_null_only_arrays_and_survive_a_reconnect(cast_a):
    query = "SELECT array_length(%s::float8[], 1), %s::text, (SELECT count(*) FROM accounts_organization WHERE id = %s)"
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cx_test_prepared", query, [[None, None], "x", cast_a.org.pk])
        assert cursor.fetchone() == (2, "x", 1)
        execute_prepared(cursor, "cx_test_prepared", query, [[1.5, None, 2.0], "y", -1])
        assert cursor.fetchone() == (3, "y", 0)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'cx_test_prepared'")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    query = "SELECT count(*) FROM accounts_organization WHERE slug = %s"
    Organization.objects.create(name="Prepared", slug="prepared")
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cx_test_reconnect", query, ["prepared"])
        assert cursor.fetchone() == (1,)
    connection.close()
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cx_test_reconnect", query, ["prepared"])
        assert cursor.fetchone() == (1,)


# The Redis case uses the run's own REDIS_URL database and a key prefix of its own, and deletes only its own keys:
# never a FLUSHDB on a database another run (or a developer's worker) may be using.
REDIS_PREFIX = f"test-rawrows-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    "cache",
    [
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                "KEY_PREFIX": REDIS_PREFIX,
            }
        },
    ],
    ids=["locmem", "redis"],
)
def test_the_rate_counter_allows_the_limit_per_window(cache):
    from django.core.cache import caches

    def delete_own_keys():
        backend = caches["default"]
        if cache["default"].get("KEY_PREFIX"):
            client = backend._cache.get_client(write=True)
            for key in client.scan_iter(match=f"{REDIS_PREFIX}:*"):
                client.delete(key)
        else:
            backend.clear()  # a LocMemCache of this test alone

    with override_settings(CACHES=cache):
        delete_own_keys()
        ratelimit._client = None
        try:
            allowed = [ratelimit.hit("test:client", limit=3, period=3600)[0] for _ in range(5)]
            other = ratelimit.hit("test:other", limit=3, period=3600)
        finally:
            delete_own_keys()
            ratelimit._client = None
    assert allowed == [True, True, True, False, False]
    assert other[0] is True and 0 < other[1] <= 3600
