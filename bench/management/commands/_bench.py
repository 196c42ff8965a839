"""Shared plumbing of the bench_* commands: a throw-away database, a seeded program, machine load."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from django.conf import settings
from django.utils import timezone
from psycopg2 import sql

from accounts.models import ApiKey, Organization, Role, hash_api_key

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def server_params() -> dict:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The benchmarks need PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }


def database_url(name: str) -> str:
    p = server_params()
    auth = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"postgres://{auth}@{p['host']}:{p['port']}/{name}"


def recreate_database(name: str, template: str = "") -> None:
    """Create `name` afresh: empty, or a copy of the migrated database `template` (a test database, say)."""
    from django.db import connections

    conn = psycopg2.connect(dbname="postgres", **server_params())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:
            # A template may have no other session: ours are closed, idle ones left by others (threads) ended.
            connections.close_all()
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            )
        else:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def drop_database(name: str) -> None:
    conn = psycopg2.connect(dbname="postgres", **server_params())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()


def child_env(database: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "DJANGO_SETTINGS_MODULE": "cxplatform.settings",
        **extra,
    }


def manage(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(MANAGE), *args], env=env, check=True, **kwargs)  # noqa: S603


def manage_into(args: list[str], env: dict[str, str], write) -> None:
    """Run a manage.py command, handing each line it prints to `write` as it comes (a command's self.stdout.write,
    so that its caller, a test with call_command say, sees the child's figures too)."""
    with subprocess.Popen(  # noqa: S603
        [sys.executable, str(MANAGE), *args], env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as child:
        for line in child.stdout:
            write(line.rstrip("\n"))
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, args)


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


@dataclass
class SeededProgram:
    organization: Organization
    survey_id: int
    version_id: int
    touchpoint_ids: list[int]
    api_key: str


def seed_program(*, touchpoints: int = 20, customers: int = 0, user_role: str = Role.CX_MANAGER) -> SeededProgram:
    """One organization with a journey, touchpoints, customers, a published NPS/CSAT/CES/comment survey, an API key."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Membership
    from journeys.models import Journey, Stage, Touchpoint
    from surveys.models import Question, Survey, SurveyVersion

    org = Organization.objects.create(name="Bench Telecom", slug="bench-telecom")
    user = get_user_model().objects.create_user("bench-manager", password=None)
    Membership.objects.create(organization=org, user=user, role=user_role)
    journey = Journey.objects.create(organization=org, name="Move")
    stage = Stage.objects.create(organization=org, journey=journey, name="Order")
    tps = Touchpoint.objects.bulk_create(
        Touchpoint(organization=org, journey=journey, stage=stage, name=f"Touchpoint {i}", position=i)
        for i in range(touchpoints)
    )
    survey = Survey.objects.create(organization=org, name="Move survey", status=Survey.Status.PUBLISHED)
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    nps = Question.objects.create(organization=org, version=version, code="nps", kind="nps", required=True)
    Question.objects.create(organization=org, version=version, code="csat", kind="csat", position=1)
    Question.objects.create(organization=org, version=version, code="ces", kind="ces", position=2)
    Question.objects.create(organization=org, version=version, code="why", kind="text", position=3, follow_up_for=nps)
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    if customers:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO customers_customer (organization_id, external_id, name, email, phone, language, country,
                    segment, may_survey, may_contact, created_at, updated_at)
                SELECT %s, 'C' || lpad(g::text, 7, '0'), 'Customer ' || g, '', '', 'sv', 'SE',
                    CASE WHEN g %% 5 = 0 THEN 'business' ELSE 'consumer' END, true, true, now(), now()
                FROM generate_series(1, %s) g
                """,
                [org.pk, customers],
            )
    prefix, raw = ApiKey.generate()
    ApiKey.objects.create(organization=org, name="bench", prefix=prefix, hashed_key=hash_api_key(raw))
    return SeededProgram(
        organization=org,
        survey_id=survey.pk,
        version_id=version.pk,
        touchpoint_ids=[t.pk for t in tps],
        api_key=raw,
    )
