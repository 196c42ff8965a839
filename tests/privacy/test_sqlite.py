"""Export, erasure and a retention run on SQLite (the demo's database), in a fresh process: the same person as the
PostgreSQL tests, and afterwards every column of every table scanned for them."""

from __future__ import annotations

from tests.sqlite_demo import run_on_fresh_sqlite

SCRIPT = r"""
import json, zipfile, io
from contextlib import contextmanager
from django.db import connection
from accounts.scoping import context_for_membership
from privacy import services
from privacy.models import RetentionPolicy
from tests.conftest import _make_cast
from tests.privacy.conftest import IDENTIFIERS, person_world

@contextmanager
def capture(execute=True):
    yield []

cast = _make_cast("Alpha Telecom")
world = person_world(cast, capture)
ctx = context_for_membership(cast.admin, user=cast.admin.user)
content = services.subject_export(ctx=ctx, customer=world.customer)
kinds = sorted(json.loads(zipfile.ZipFile(io.BytesIO(content)).read("data.json"))["data"])
record = services.subject_erase(ctx=ctx, customer=world.customer)
RetentionPolicy.objects.create(organization=cast.org, identities_months=1, comments_months=1, audit_log_months=1,
                               import_files_months=1)
run = services.retention_run(organization_id=cast.org.pk)
# "Apply now": queued as a task, which the demo (no broker) runs in-process at once.
manual, created = services.retention_run_request(ctx=ctx)
manual.refresh_from_db()
found = {}
with connection.cursor() as cursor:
    for table in connection.introspection.table_names(cursor):
        for column in connection.introspection.get_table_description(cursor, table):
            for needle in IDENTIFIERS:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{column.name}" AS TEXT) LIKE %s',
                               [f"%{needle}%"])
                n = cursor.fetchone()[0]
                if n:
                    found[f"{table}.{column.name}"] = found.get(f"{table}.{column.name}", 0) + n
print(json.dumps({"kinds": kinds, "counts": record.counts, "leftovers": record.leftovers, "found": found,
                  "run_error": run.error, "run_counts": run.counts,
                  "manual": [created, manual.state, manual.trigger, sorted(manual.counts)]}))
"""


def test_export_erasure_and_retention_work_on_the_sqlite_demo(tmp_path):
    result = run_on_fresh_sqlite(tmp_path, SCRIPT)
    assert {"customer", "responses", "feedback_cases", "consent_events", "revenue"} <= set(result["kinds"])
    assert result["counts"]["responses_unlinked"] == 1 and result["counts"]["customers_deleted"] == 1
    assert result["leftovers"] == {}
    assert result["found"] == {}
    assert result["run_error"] == ""
    assert result["run_counts"]["customers_erased"] == 0
    assert result["manual"] == [True, "done", "manual", sorted(result["run_counts"])]
