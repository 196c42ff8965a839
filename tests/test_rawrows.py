"""core.rawrows: hand-written reads build the same instances as the ORM; prepared statements survive
reconnects and take NULL-only arrays."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Organization
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
