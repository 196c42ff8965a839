"""Walk every URL and API endpoint of the actions app as another organization (each role, and an API key) and as
a frontline user of another team: 404 or empty, never the victim's data, and the victim's rows never change.

A new URL in actions/urls.py or actions/api_urls.py is picked up automatically; a URL parameter this file does not
know how to fill fails the test.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone
from rest_framework.test import APIClient

import actions.api_urls
import actions.urls
from accounts.models import OrgOwned, Role
from accounts.scoping import OrgContext
from accounts.services import api_key_create
from actions.models import AlertRule, FeedbackCase, Holiday, ImprovementAction, RootCause
from actions.services.cases import case_claim
from customers.models import Customer
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = pytest.mark.django_db

SECRET = "Victim-comment-7731"
PK_MODELS = [
    ("case", FeedbackCase),
    ("rule", AlertRule),
    ("root_cause", RootCause),
    ("root-cause", RootCause),
    ("holiday", Holiday),
    ("improvement", ImprovementAction),
]
PAYLOAD = {
    "note": "x",
    "resolution": "x",
    "reason": "x",
    "story": "x",
    "status": "dropped",
    "channel": "phone",
    "outcome": "reached",
    "name": "Hacked",
    "title": "Hacked",
    "date": "2026-12-24",
    "working_days": [0],
    "day_start": "08:00",
    "day_end": "09:00",
    "nps_max": 5,
    "sla_hours": 1,
    "priority": 1,
    "without_contact": True,
}


def fingerprint(org) -> str:
    digest = hashlib.sha256()
    for model in apps.get_models():
        if issubclass(model, OrgOwned):
            for row in model.objects.filter(organization=org).order_by("pk").values_list():
                digest.update(repr(row).encode())
    for action in ImprovementAction.objects.filter(organization=org):
        digest.update(repr(sorted(action.cases.values_list("pk", flat=True))).encode())
    return digest.hexdigest()


@pytest.fixture
def victim(loop_a):
    response = respond(loop_a, nps=1, comment=SECRET)
    response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    case_claim(
        ctx=OrgContext(organization=loop_a.org, role=Role.CX_MANAGER, user=loop_a.cast.cx_manager.user), case=case
    )
    closed = alert_and_get(respond(loop_a, nps=0, comment=SECRET))
    FeedbackCase.objects.filter(pk=closed.pk).update(status=FeedbackCase.Status.CLOSED, closed_at=timezone.now())
    loop_a.rule.name = "Victim rule"
    loop_a.rule.save()
    Holiday.objects.create(organization=loop_a.org, date=dt.date(2026, 12, 24), name="Victim holiday")
    cause = RootCause.objects.create(organization=loop_a.org, name="Victim cause")
    action = ImprovementAction.objects.create(organization=loop_a.org, title="Victim action", root_cause=cause)
    action.cases.add(case)
    action.touchpoints.add(loop_a.touchpoint)
    return loop_a


def alert_and_get(response) -> FeedbackCase:
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def markers(loop) -> list[str]:
    c = loop.customer
    return [
        SECRET,
        c.name,
        c.email,
        c.phone,
        loop.touchpoint.name,
        "Victim rule",
        "Victim holiday",
        "Victim cause",
        "Victim action",
        loop.org.name,
    ]


def model_for(name: str):
    for prefix, model in PK_MODELS:
        if name.startswith(prefix):
            return model
    pytest.fail(f"tests/actions/test_isolation.py does not know which model <pk> of {name} is")


def fill(pattern: URLPattern, name: str, org) -> dict:
    kwargs = {}
    for param in pattern.pattern.regex.groupindex:
        if param == "pk":
            model = model_for(name)
        elif param == "customer_pk":
            model = Customer
        else:
            pytest.fail(f"unknown URL parameter <{param}> in {name}")
        kwargs[param] = model.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True).first()
    return kwargs


def all_urls(org) -> list[tuple[str, bool, bool]]:
    """(path, has an object id, is API) for every URL of the app, ids filled with the victim's rows."""
    out = []
    for pattern in actions.urls.urlpatterns:
        kwargs = fill(pattern, pattern.name, org)
        out.append((reverse(f"actions:{pattern.name}", kwargs=kwargs), bool(kwargs), False))
    for pattern in actions.api_urls.urlpatterns:
        if "format" in pattern.pattern.regex.groupindex:
            continue  # the same views with a format suffix
        kwargs = fill(pattern, pattern.name, org)
        out.append((reverse(pattern.name, kwargs=kwargs), bool(kwargs), True))
    return out


def hit(client, method: str, path: str, is_api: bool):
    if method == "get":
        return client.get(path)
    if is_api:
        return getattr(client, method)(path, PAYLOAD, content_type="application/json")
    return getattr(client, method)(path, PAYLOAD if method == "post" else None)


def attackers(cast_b):
    clients = []
    for role in Role.values:
        c = Client()
        c.force_login(cast_b.member(role).user)
        clients.append((role, c))
    _key, raw = api_key_create(ctx=OrgContext(organization=cast_b.org, role=Role.ADMIN), name="attacker")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    clients.append(("api-key", api))
    return clients


def test_another_organization_gets_404_or_nothing_and_changes_nothing(victim, cast_b):
    urls = all_urls(victim.org)
    assert len(urls) > 30
    before = fingerprint(victim.org)
    leaks = []
    for who, client in attackers(cast_b):
        for path, has_id, is_api in urls:
            for method in ("get", "post", "put", "patch", "delete"):
                if who == "api-key" and not is_api:
                    continue
                response = hit(client, method, path, is_api)
                body = response.content.decode(errors="replace")
                if response.status_code >= 500:
                    leaks.append((who, method, path, response.status_code))
                if has_id and 200 <= response.status_code < 300:
                    leaks.append((who, method, path, response.status_code))
                leaks += [(who, method, path, m) for m in markers(victim) if m in body]
    assert leaks == []
    assert fingerprint(victim.org) == before


def test_a_frontline_user_of_another_team_cannot_see_or_touch_the_teams_cases(victim):
    case_urls = [(p, api) for p, has_id, api in all_urls(victim.org) if has_id and ("/cases/" in p)]
    case_urls += [
        (reverse("actions:customer_cases", args=[victim.customer.pk]), False),
    ]
    before = fingerprint(victim.org)
    c = Client()
    c.force_login(victim.other_frontline.user)
    problems = []
    for path, is_api in case_urls:
        for method in ("get", "post", "patch"):
            response = hit(c, method, path, is_api)
            body = response.content.decode()
            if "/customers/" in path:
                if SECRET in body or response.status_code >= 500:
                    problems.append((method, path, response.status_code))
            elif response.status_code not in (404, 405):
                problems.append((method, path, response.status_code))
    for path in (reverse("actions:inbox") + "?tab=team", "/api/v1/cases/"):
        assert SECRET not in c.get(path).content.decode()
    assert problems == []
    assert fingerprint(victim.org) == before
