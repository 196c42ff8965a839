"""A small run of `bench_response_import` in both trigger modes: rates per response created, floor under the same
setting as the import, the sweep labelled with what it measures."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = pytest.mark.redis


def test_both_trigger_modes_import_every_row_and_print_their_floor(django_db_setup):
    test_database = settings.DATABASES["default"]["NAME"]
    out = StringIO()

    call_command(
        "bench_response_import",
        rows=300,
        customers=50,
        sweep_sample=120,
        database=f"{test_database}_bench_import",
        stdout=out,
    )

    text = out.getvalue()
    for mode in ("off", "on"):
        result = re.search(rf"RESULT triggers={mode} rows=300 created=(\d+) .*schema_floor_responses_per_s=\d+", text)
        assert result, text
        assert result.group(1) == "300"
    assert "== Per-row foreign-key triggers OFF" in text
    assert "== Per-row foreign-key triggers ON" in text
    assert "Our import (re-import of the same file): " in text and "nothing created" in text
    assert re.search(r"Schema floor \(triggers on\): raw COPY of the 300 finished responses", text), text
    sweeps = re.findall(
        r"Sweep of imported responses .*: (\d+) of 300 in [\d.]+ s = [\d,]+ responses followed up/s",
        text,
    )
    assert sweeps == ["120", "120"], text
