"""Walk every URL pattern and every API endpoint as a member (each role) and an API key of another organization.

The victim is the full demo organisation (every app's seed step), so every kind of object exists. The attacker is a
fresh organization with one member per role and an API key. For every URL:
- GET, POST, PUT, PATCH and DELETE, with the victim's object ids filled into the URL's parameters;
- the response never carries a victim marker (organization name, customer names and e-mails, journey and
  touchpoint names) and is never a 5xx;
- every URL with an object id gets 404 (or 403/405, or a redirect to the login page) and never 2xx;
- the victim's rows are byte-for-byte unchanged afterwards.
A URL pattern with a parameter this file does not know how to fill fails the test, so new URLs must be added here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Organization, OrgOwned, Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# URL prefixes that are not tenant data: Django admin (superusers only), auth pages, i18n, API docs, health, static.
SKIP_PREFIXES = ("admin/", "i18n/", "api/schema/", "api/docs/", "api/redoc/", "health/")
# Public respondent pages are reachable without login by design; their tokens are tested in tests/surveys.
PUBLIC_PREFIXES = ("s/",)
# Not tenant data, and logging out would end the walker's own sessions.
SKIP_NAMES = {
    "accounts:logout",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    # Installs the starter taxonomy in the caller's own organization (no id, nothing of the victim): its theme names
    # ("Moving") are also the demo journeys' names, so every later page would falsely "show" the victim's marker.
    "voice:starter_install",
}
ALLOWED_FOR_ID_URLS = {301, 302, 400, 403, 404, 405, 409, 415}
# URLs keyed by a natural key that lives in each organization's own namespace: the victim's external id names (or,
# with an upsert, creates) the caller's own customer. They must still show nothing of the victim and change none of
# its rows (both checked for every URL), but a 200/201 is the caller's own object, not a leak.
OWN_NAMESPACE_NAMES = {"customer-by-external-id"}
METHODS = ("get", "post", "put", "patch", "delete")


def iter_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry


def victim_rows_fingerprint(org: Organization) -> str:
    """A hash of every row of every organization-owned model of the victim."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if not issubclass(model, OrgOwned):
            continue
        rows = model.objects.filter(organization=org).order_by("pk").values_list()
        digest.update(model._meta.label.encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


@dataclass
class World:
    victim: Organization
    markers: list[str]


def first_pk(model_label: str, org: Organization, **filters) -> int | None:
    model = apps.get_model(model_label)
    return model.objects.filter(organization=org, **filters).values_list("pk", flat=True).order_by("pk").first()


def seed_victim() -> World:
    call_command("seed_demo", customers=60, months=3, verbosity=0)
    victim = Organization.objects.get(slug="nordlys-bredband")
    # The demo has no API key; give the victim one so the key pages have something to attack.
    victim_admin = Membership.objects.filter(organization=victim, role=Role.ADMIN).first()
    api_key_create(ctx=context_for_membership(victim_admin, user=victim_admin.user), name="victim key")
    # Nor a finished import job: add one so the job pages and its error report are attacked too.
    from imports.models import ImportJob

    ImportJob.objects.create(
        organization=victim,
        kind=ImportJob.Kind.CUSTOMERS,
        original_name="victim.csv",
        file="imports/victim.csv",
        status=ImportJob.Status.DONE,
        error_report="imports/errors/victim.csv",
    )
    # Nor a monthly report: generate last month's, so the report pages and API are attacked too.
    from reports.figures import add_months
    from reports.services import report_generate

    report_generate(organization=victim, month=add_months(timezone.localdate().replace(day=1), -1), trigger="on_demand")
    # Nor a webhook endpoint: add one with a failed delivery (stored directly: no DNS lookup of its URL here).
    import uuid

    from webhooks.models import WebhookDelivery, WebhookEndpoint

    hook = WebhookEndpoint.objects.create(
        organization=victim, url="https://hooks.example.com/cx", events=["case.opened"], description="victim hook"
    )
    WebhookDelivery.objects.create(
        organization=victim, endpoint=hook, event_type="case.opened", event_id=uuid.uuid4(), status="failed"
    )
    # Nor a saved explorer filter: a shared one, which every member of the victim may apply.
    from surveys.models import SavedFilter

    SavedFilter.objects.create(
        organization=victim, user=victim_admin.user, name="Victim detractors", query="band=detractor", shared=True
    )
    seed_voice(victim)
    from customers.models import Customer
    from journeys.models import Journey, Touchpoint

    customers = Customer.objects.filter(organization=victim)
    markers = [victim.name]
    markers += list(customers.values_list("name", flat=True)[:20])
    markers += [e for e in customers.values_list("email", flat=True)[:20] if e]
    markers += list(Journey.objects.filter(organization=victim).values_list("name", flat=True))
    markers += list(Touchpoint.objects.filter(organization=victim).values_list("name", flat=True)[:20])
    return World(victim=victim, markers=[m for m in markers if len(m) >= 6])


def seed_voice(victim: Organization) -> None:
    """The voice objects the demo may lack: a theme, an analysed comment, a proposal and a run (the voice pages and
    API take their ids)."""
    from surveys.models import Answer
    from voice.models import CommentAnalysis, Theme, ThemeProposal, VoiceRun

    if not Theme.objects.filter(organization=victim).exists():
        Theme.objects.create(organization=victim, name="Victim invoice theme", keywords={"sv": ["faktura"]})
    if not CommentAnalysis.objects.filter(organization=victim).exists():
        answer = Answer.objects.filter(organization=victim).select_related("response").order_by("pk").first()
        CommentAnalysis.objects.create(
            answer_id=answer.pk,
            organization=victim,
            response=answer.response,
            survey_id=answer.response.survey_id,
            submitted_on=answer.submitted_on,
            month=answer.submitted_on.replace(day=1),
            status=CommentAnalysis.Status.DONE,
            language="sv",
            masked_text="Victim comment about the invoice",
        )
    comment = CommentAnalysis.objects.filter(organization=victim).order_by("pk").first()
    if not ThemeProposal.objects.filter(organization=victim).exists():
        ThemeProposal.objects.create(
            organization=victim, language="sv", label="victim proposal", terms=["leverans"], example_ids=[comment.pk]
        )
    if not VoiceRun.objects.filter(organization=victim).exists():
        VoiceRun.objects.create(organization=victim, kind=VoiceRun.Kind.RETAG, taxonomy_version=1)


# Which victim model a URL's `pk` points at, by the first matching fragment of the URL name (order matters).
PK_MODEL_BY_NAME_FRAGMENT: list[tuple[str, str]] = [
    # program (pages and API): program:perception_detail, program-perception-gap, program:customer_update_detail...
    ("perception", "program.PerceptionSurvey"),
    ("customer_update", "program.CustomerUpdate"),
    # voice (pages and API): voice:theme_detail, voice-theme-detail, voice:proposal_accept, voice:run_progress...
    ("proposal", "voice.ThemeProposal"),
    ("theme", "voice.Theme"),
    ("voice_comment", "voice.CommentAnalysis"),
    ("voice_run", "voice.VoiceRun"),
    ("run_progress", "voice.VoiceRun"),
    ("saved_filter", "surveys.SavedFilter"),
    ("audit_event", "audit.AuditEvent"),
    ("member", "accounts.Membership"),
    ("team", "accounts.Team"),
    ("api_key", "accounts.ApiKey"),
    ("persona", "journeys.Persona"),
    ("journey", "journeys.Journey"),
    ("stage", "journeys.Stage"),
    ("touchpoint", "journeys.Touchpoint"),
    ("customer", "customers.Customer"),
    ("import", "imports.ImportJob"),
    ("job", "imports.ImportJob"),
    ("response", "surveys.Response"),
    ("survey", "surveys.Survey"),
    ("question", "surveys.Survey"),
    ("link", "surveys.Survey"),
    ("invitation", "surveys.Survey"),
    ("kpi", "kpis.Kpi"),
    ("target", "kpis.Target"),
    ("benchmark", "kpis.Benchmark"),
    ("root", "actions.RootCause"),
    ("case", "actions.FeedbackCase"),
    ("rule", "actions.AlertRule"),
    ("holiday", "actions.Holiday"),
    ("improvement", "actions.ImprovementAction"),
    ("report", "reports.MonthlyReport"),
    ("endpoint", "webhooks.WebhookEndpoint"),
    ("delivery", "webhooks.WebhookDelivery"),
]
PARAM_MODELS: dict[str, str] = {
    "journey_pk": "journeys.Journey",
    "stage_pk": "journeys.Stage",
    "customer_pk": "customers.Customer",
    "kpi_pk": "kpis.Kpi",
    "link_pk": "surveys.SurveyLink",
}
# Parameters that are not object ids: fixed harmless values.
CONSTANT_PARAMS = {"format": "json", "preset": "nps", "direction": "up", "fmt": "svg", "kind": "customers"}


def victim_value(param: str, name: str, org: Organization) -> object:
    if param in CONSTANT_PARAMS:
        return CONSTANT_PARAMS[param]
    if param == "code":
        return apps.get_model("surveys.Question").objects.filter(organization=org).values_list("code", flat=True)[0]
    if param == "slug":  # an organization's own address (single sign-on)
        return org.slug
    if param == "external_id":
        return (
            apps.get_model("customers.Customer")
            .objects.filter(organization=org)
            .values_list("external_id", flat=True)[0]
        )
    if param == "pk":
        short = name.rsplit(":", 1)[-1].replace("-", "_")
        label = next((lbl for frag, lbl in PK_MODEL_BY_NAME_FRAGMENT if frag in short), None)
    else:
        label = PARAM_MODELS.get(param)
    if label is None:
        pytest.fail(f"tests/test_tenant_walker.py does not know how to fill <{param}> in {name}")
    pk = first_pk(label, org)
    assert pk is not None, f"the demo organisation has no {label} to fill <{param}> of {name}"
    return pk


def build_path(route: str, pattern: URLPattern, name: str, org: Organization) -> str:
    params = list(pattern.pattern.regex.groupindex)
    values = {p: victim_value(p, name, org) for p in params}
    if name:
        from django.urls import reverse

        return reverse(name, kwargs=values)
    raise AssertionError(f"unnamed URL pattern with parameters: {route}")


def walk_targets(org: Organization) -> list[tuple[str, str, bool]]:
    """(path, url name, has object parameter) for every URL pattern worth walking."""
    targets = []
    for route, name, pattern in iter_patterns():
        if route.startswith(SKIP_PREFIXES + PUBLIC_PREFIXES) or name in SKIP_NAMES:
            continue
        if "<format>" in route or "(?P<format>" in route:
            continue  # the same views as the suffix-less routes
        params = [p for p in pattern.pattern.regex.groupindex if p not in CONSTANT_PARAMS]
        path = build_path(route, pattern, name, org) if pattern.pattern.regex.groupindex else "/" + route
        path = path.replace("^", "").replace("$", "")
        targets.append((path, name, bool(params)))
    return targets


def check_response(problems: list[str], who: str, method: str, path: str, has_object: bool, response, markers) -> None:
    code = response.status_code
    if code >= 500:
        problems.append(f"{who} {method.upper()} {path}: {code}")
        return
    if has_object and code not in ALLOWED_FOR_ID_URLS:
        problems.append(f"{who} {method.upper()} {path}: {code} for another organization's object")
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
        body = response.content.decode(errors="replace")
    leaked = [m for m in markers if m in body]
    if leaked:
        problems.append(f"{who} {method.upper()} {path}: shows {leaked[:3]}")


def test_every_url_and_endpoint_gives_another_organization_nothing(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    world = seed_victim()
    victim = world.victim
    attacker = OrganizationFactory(name="Intruder Oy", slug="intruder")
    before = victim_rows_fingerprint(victim)
    targets = walk_targets(victim)
    assert len(targets) > 100, "the walker found suspiciously few URLs"

    problems: list[str] = []
    clients: list[tuple[str, Client]] = []
    for role in Role.values:
        member = MembershipFactory(organization=attacker, user=UserFactory(username=f"intruder-{role}"), role=role)
        c = Client(raise_request_exception=False)
        c.force_login(member.user)
        clients.append((role, c))
    key_owner = MembershipFactory(organization=attacker, user=UserFactory(username="intruder-keys"), role=Role.ADMIN)
    _key, raw = api_key_create(ctx=context_for_membership(key_owner, user=key_owner.user), name="walker")
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    clients.append(("api-key", api))

    for path, name, has_object in targets:
        has_object = has_object and name not in OWN_NAMESPACE_NAMES
        for who, c in clients:
            for method in METHODS:
                if who != "api-key" and not path.startswith("/api/") and method in ("put", "patch"):
                    continue
                if method == "get":
                    response = c.get(path)
                elif path.startswith("/api/"):
                    response = getattr(c, method)(path, data={}, content_type="application/json")
                else:
                    response = getattr(c, method)(path, data={})
                check_response(problems, who, method, path, has_object, response, world.markers)

    assert not problems, "\n".join(problems[:60])
    assert victim_rows_fingerprint(victim) == before, "the victim's data changed"
