"""An administrator finds a person on the privacy page, downloads their export and erases them (Chromium)."""

from __future__ import annotations

import json
import zipfile

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from customers.models import Customer
from tests.privacy.conftest import EMAIL, EXTERNAL_ID, IDENTIFIERS, NAME, person_world, scan_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_finds_exports_and_erases_a_person(
    live_server, chromium, cast_a, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    world = person_world(cast_a, django_capture_on_commit_callbacks)
    customer_pk = world.customer.pk
    client = Client()
    client.force_login(cast_a.admin.user)
    context = chromium.new_context(accept_downloads=True)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server.url + reverse("privacy:home"))
    page.fill("#id_q", EMAIL)
    page.click("[data-testid=find-form] button[type=submit]")
    page.wait_for_load_state()
    matches = page.locator("[data-testid=matches]")
    assert NAME in matches.inner_text()
    matches.get_by_role("link", name="Open").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=subject-name]").inner_text() == NAME
    assert page.locator("[data-testid=held]").inner_text().split("\n")[0].endswith("1")  # one response

    with page.expect_download() as download_info:
        page.click("[data-testid=export]")
    download = download_info.value
    assert download.suggested_filename.startswith(f"personal-data-customer-{customer_pk}-")
    with zipfile.ZipFile(download.path()) as archive:
        data = json.loads(archive.read("data.json"))["data"]
        assert "responses.csv" in archive.namelist()
    assert data["customer"][0]["email"] == EMAIL

    page.click("[data-testid=erase-link]")
    page.wait_for_load_state()
    page.fill("#id_confirm", "wrong")
    page.click("[data-testid=erase-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_text("That is not this customer's external id.").is_visible()
    assert Customer.objects.filter(pk=customer_pk).exists()
    page.fill("#id_confirm", EXTERNAL_ID)
    page.click("[data-testid=erase-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_text(f"customer #{customer_pk} was erased").is_visible()
    assert "none left" in page.locator("[data-testid=erasures]").inner_text()
    context.close()

    assert not Customer.objects.filter(pk=customer_pk).exists()
    assert scan_database(IDENTIFIERS) == {}
    assert errors == []
