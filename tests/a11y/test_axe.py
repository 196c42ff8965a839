"""Accessibility: axe-core (served from static/vendor/axe-core, never from the internet) reports no serious or critical
violation on the pages people use every day: the public survey page, the case inbox, a case page, the overview and
the gap dashboard (and the error page). One demo seed and one browser session for the staff pages."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organization
from actions.models import FeedbackCase
from surveys.models import SurveyLink
from tests.conftest import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (charts drawn, htmx loaded)."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]][:10],
            "why": [
                " ".join(check["message"] for check in node["any"] + node["all"] + node["none"]) for node in v["nodes"]
            ][:10],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for page_name, violations in found.items():
        for v in violations:
            lines.append(f"{page_name}: {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {target}: {why}" for target, why in zip(v["targets"], v["why"], strict=True))
    return "\n".join(lines)


@pytest.fixture
def demo(db):
    call_command("seed_demo", customers=120, months=3, stdout=StringIO())
    return Organization.objects.get(name="Nordlys Bredband AB")


def test_the_axe_core_file_is_the_vendored_release():
    head = AXE.read_text(encoding="utf-8")[:400]
    assert "axe v4." in head
    assert (AXE.parent / "LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License, version 2.0")


def test_the_daily_pages_have_no_serious_or_critical_violations(live_server, chromium, demo):
    case = FeedbackCase.objects.for_org(demo).order_by("pk").first()
    link = SurveyLink.objects.filter(organization=demo, is_active=True).order_by("pk").first()
    assert case is not None and link is not None
    pages = {
        "overview": reverse("kpis:overview"),
        "case inbox": reverse("actions:inbox"),
        "case page": reverse("actions:case_detail", args=[case.pk]),
        "voice overview": reverse("voice:overview"),
        "voice comments": reverse("voice:comment_list") + "?q=faktura",
        "error page (404)": "/no-such-page/",
    }
    session = signed_in_page(
        chromium, live_server, get_user_model().objects.get(username="cx"), password="demo-password-1", bypass_csp=True
    )
    found = {}
    for name, url in pages.items():
        response = session.page.goto(live_server.url + url)
        assert response.status == (404 if "404" in name else 200), name
        found[name] = axe_violations(session.page)
    session.page.context.close()

    public = chromium.new_context(bypass_csp=True)
    page = public.new_page()
    response = page.goto(live_server.url + reverse("public:link", args=[link.token]))
    assert response.status == 200
    found["public survey page"] = axe_violations(page)
    public.close()

    blocking = {name: violations for name, violations in found.items() if violations}
    print(describe(blocking))
    assert blocking == {}, describe(blocking)
    assert session.errors == []


def test_the_gap_dashboard_has_no_serious_or_critical_violations(live_server, chromium, cast_a):
    from tests.factories import JourneyFactory, StageFactory, TouchpointFactory

    journey = JourneyFactory(organization=cast_a.org, name="Moving house")
    stage = StageFactory(journey=journey, name="Order")
    TouchpointFactory(stage=stage, name="Order online", is_moment_of_truth=True)
    TouchpointFactory(stage=stage, name="Installation visit")
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, bypass_csp=True)
    response = session.page.goto(live_server.url + reverse("kpis:journey_dashboard") + f"?journey={journey.pk}")
    assert response.status == 200
    assert session.page.locator("[data-testid=touchpoint-card]").count() == 2
    found = {"gap dashboard": axe_violations(session.page)}
    session.page.context.close()
    blocking = {name: violations for name, violations in found.items() if violations}
    assert blocking == {}, describe(blocking)
    assert session.errors == []
