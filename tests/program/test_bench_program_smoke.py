"""A smoke run of `bench_program`: 2,000 responses, 2 repetitions per measurement, in the test database.

The whole run is inside the test's transaction (bench_kpis's TRUNCATE included), so it leaves nothing behind.
Timings are only checked for their form; the data the benchmark built are checked against the database.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Organization
from program.models import HealthSnapshot, PerceptionSurvey
from surveys.models import Response
from value.models import ChurnEvent

ROWS = [
    ("health assess\\(\\), this month", 2),
    ("health backfill, 12 monthly snapshots", 2),
    ("compound_failures selector, 365 days", 2),
    ("compound page, 365 days", 2),
    ("health page", 2),
    ("perception gap page", 2),
    ("customer history page", 2),
    ("health page, no snapshot", 2),
]


def test_bench_program_smoke_run_builds_the_data_and_prints_the_summary(db):
    out = StringIO()

    call_command("bench_program", responses=2000, customers=300, requests=2, stdout=out)

    text = out.getvalue()
    org = Organization.objects.get(slug="bench-kpis")
    responses = Response.objects.filter(organization=org).count()
    perception = PerceptionSurvey.objects.get(organization=org)
    staff = Response.objects.filter(survey_id=perception.survey_id).count()
    assert staff == 30
    assert responses == 2000 + staff
    churned = ChurnEvent.objects.filter(organization=org).count()
    assert 0 < churned < 300
    assert HealthSnapshot.objects.filter(organization=org).count() == 12
    assert f"data: {responses:,} responses" in text, text
    assert f"{churned:,} churn events" in text, text
    header = re.search(r"SUMMARY bench_program: ([\d,]+) responses, 300 customers, 2 requests, PostgreSQL", text)
    assert header, text
    assert int(header.group(1).replace(",", "")) == responses
    summary = text[header.end() :]
    for label, n in ROWS:
        assert re.search(rf"^  {label} +{n} +[\d,]+ ms +[\d,]+ ms +\d+$", summary, re.MULTILINE), (label, text)
    assert re.search(r"compound_failures peak traced memory: [\d,]+ MB", summary), text
    assert re.search(r"customer history page: n 2, .*customer with the most responses: \d+", text), text
    assert re.search(r"perception gap page: n 2, .*\(30 staff responses\)", text), text


def test_bench_program_will_not_empty_a_database_with_other_organizations(cast_a):
    if "bench" in str(connection.settings_dict["NAME"]):
        pytest.skip("a database named *bench* is the benchmark's to empty")
    with pytest.raises(CommandError, match="holds other organizations"):
        call_command("bench_program", responses=10, customers=5, requests=1, stdout=StringIO())
    assert Organization.objects.filter(pk=cast_a.org.pk).exists()
