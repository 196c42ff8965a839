"""The demo's response import works end to end on SQLite: a fresh database migrated in a subprocess, a wide file
uploaded and mapped through the pages, the import run in-process (eager tasks, as in the demo), and the figures
on the dashboards' rollups without anyone running rebuild_rollups."""

from __future__ import annotations

from tests.sqlite_demo import run_on_fresh_sqlite

# Runs inside `manage.py shell` against the SQLite file: builds a program, imports through the views, prints counts.
SCRIPT = r"""
import csv, io, json, random
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.test.utils import setup_test_environment
from django.contrib.auth import get_user_model
from accounts.models import Membership, Organization
from customers.models import Customer
from imports.models import ImportJob
from journeys.models import Journey, Stage, Touchpoint
from kpis.models import Rollup
from surveys.models import Question, Response, Survey, SurveyVersion
from django.utils import timezone

setup_test_environment()
org = Organization.objects.create(name="Demo Air", slug="demo-air", timezone="Europe/Oslo", default_language="nb")
user = get_user_model().objects.create_user("cx", password="x")
Membership.objects.create(organization=org, user=user, role="cx_manager")
journey = Journey.objects.create(organization=org, name="Flight")
stage = Stage.objects.create(organization=org, journey=journey, name="Airport")
names = ["Check-in", "Boarding", "Seat comfort", "Food"]
tps = [Touchpoint.objects.create(organization=org, journey=journey, stage=stage, name=n, position=i)
       for i, n in enumerate(names)]
survey = Survey.objects.create(organization=org, name="Passengers", status="published", journey=journey)
version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
Question.objects.create(organization=org, version=version, code="csat", kind="csat")
Question.objects.create(organization=org, version=version, code="satisfied", kind="yes_no", position=1)
survey.current_version = version
survey.save()

rng = random.Random(1)
out = io.StringIO()
writer = csv.writer(out, delimiter=";")
writer.writerow(["Passasjer", "Dato", *names, "Fornøyd"])
expected = {n: [] for n in names}
for i in range(300):
    ratings = [rng.choice([0, 1, 2, 3, 4, 5, 5, 4]) for _ in names]
    for n, r in zip(names, ratings):
        if r:
            expected[n].append(r)
    writer.writerow([f"P{i}", f"{1 + i % 28:02d}.02.2026", *ratings, rng.choice(["ja", "nei"])])
writer.writerow(["P-bad", "30.02.2026", 1, 2, 3, 9, "ja"])  # not a day, and 9 is off the 1-5 scale

client = Client()
client.force_login(user)
upload = io.BytesIO(out.getvalue().encode("cp1252"))
upload.name = "passasjerer.csv"
r = client.post(reverse("surveys:response_import"), {"version": version.pk, "file": upload})
map_url = r["Location"]
form = client.get(map_url).context["form"]
data = {}
for name, field in form.fields.items():
    value = form.initial.get(name, field.initial)
    if isinstance(value, bool):
        if value:
            data[name] = "on"
        continue
    data[name] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)
data.update({"col_0": "customer", "create_customers": "on"})
for i in range(1, 5):
    data[f"col_{i + 1}_na"] = "0"
r = client.post(map_url, data)
job = ImportJob.objects.get()
print(json.dumps({
    "redirect": r.status_code,
    "status": job.status,
    "message": job.message,
    "created": job.created_count,
    "errors": job.error_count,
    "first_error": job.errors[0] if job.errors else None,
    "guessed": [form.initial.get(f"col_{i}") for i in range(7)],
    "customers": Customer.objects.count(),
    "unprocessed": Response.objects.filter(processed_at__isnull=True).count(),
    "rollups": {n: Rollup.objects.filter(touchpoint=tp, metric="csat").aggregate(n=Sum("n"), total=Sum("total"))
                for n, tp in zip(names, tps)},
    "expected": {n: {"n": len(v), "total": float(sum(v))} for n, v in expected.items()},
}))
"""


def test_a_wide_import_runs_end_to_end_on_sqlite(tmp_path):
    out = run_on_fresh_sqlite(tmp_path, SCRIPT)
    assert out["redirect"] == 302
    assert out["status"] == "done", out["message"]
    assert out["guessed"][1] == "submitted_at"
    assert out["guessed"][2:6] == ["q:csat"] * 4  # named after touchpoints
    assert out["guessed"][6] == "q:satisfied"  # ja / nei
    assert out["errors"] == 1
    assert out["first_error"]["row"] == 302
    expected = out["expected"]
    assert out["created"] == sum(e["n"] for e in expected.values()) + 300  # + one overall answer per passenger
    assert out["customers"] == 300
    assert out["unprocessed"] == 0  # followed up in-process, chunk by chunk
    assert out["rollups"] == expected
    assert "Windows-1252" in out["message"]
