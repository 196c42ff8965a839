"""A CX manager imports a wide airline export in a real browser: upload, the mapping step with its preview, the
not-applicable code for 0, a whole-file check, then the import, whose counts the job page shows."""

from __future__ import annotations

import pytest

from customers.models import Customer
from imports.models import ImportJob
from surveys.models import Response
from tests.surveys.ingestion.test_wide_import import SERVICES, Airline, airline_export, to_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/import_mapping.png"  # noqa: S108 (looked at by a person)


@pytest.fixture
def page(settings, chromium):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_a_cx_manager_imports_a_wide_export_through_the_mapping_step(live_server, page, cast_a):
    airline = Airline(cast_a)
    frame = airline_export(rows=120, seed=9)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast_a.cx_manager.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    page.goto(f"{live_server.url}/surveys/responses/import/")
    page.select_option("select[name=version]", str(airline.version.pk))
    page.set_input_files(
        "input[name=file]", files=[{"name": "airline.csv", "mimeType": "text/csv", "buffer": to_csv(frame)}]
    )
    page.get_by_role("button", name="Next: map the columns").click()
    page.wait_for_url("**/columns/")

    # The preview shows the file's first rows; each column has its row with its values.
    assert page.locator("[data-testid=preview-table] tbody tr").count() == 10
    rows = page.locator("[data-testid=column-row]")
    assert rows.count() == len(SERVICES) + 2
    label_row = rows.nth(len(SERVICES) + 1)
    assert label_row.locator("select[name$='_tp']").is_visible()
    assert label_row.locator(f"input[name=col_{len(SERVICES) + 1}_yes]").input_value() == "satisfied"
    first_rating = rows.nth(1)
    assert first_rating.locator("input[name=col_1_yes]").is_hidden()  # not a yes/no question
    # The zeros are flagged as off the 1-5 scale until they are declared not applicable.
    check = first_rating.locator("[data-column-check]")
    assert "not on 1-5" in check.inner_text()
    for i in range(1, len(SERVICES) + 1):
        page.fill(f"input[name=col_{i}_na]", "0, n/a")
    assert "on 1-5 or not applicable" in check.inner_text()
    assert "text-success" in (check.get_attribute("class") or "")

    page.select_option("select[name=col_0]", "customer")
    page.select_option(f"select[name=col_{len(SERVICES) + 1}_tp]", "none")
    page.check("input[name=create_customers]")
    assert page.locator("[data-answer-fields]").first.is_hidden()  # the id column has no answer fields
    page.get_by_test_id("check-file").click()
    page.wait_for_load_state()
    assert "whole file (120 rows)" in page.locator("#columns-title + p").inner_text()
    assert page.locator("select[name=col_0]").input_value() == "customer"  # the choices stay as they were
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_test_id("start-import").click()
    page.wait_for_url("**/imports/*/")
    page.wait_for_selector("[data-testid=created-count]", timeout=30000)
    ratings = frame[SERVICES].where(frame[SERVICES] > 0)
    expected = int(ratings.notna().sum().sum()) + len(frame)
    assert page.get_by_test_id("created-count").inner_text().replace(",", "").replace("\u202f", "") == str(expected)
    assert page.get_by_test_id("error-count").inner_text() == "0"
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert Response.objects.count() == expected
    assert Customer.objects.filter(organization=cast_a.org).count() == frame["id"].nunique()
    assert errors == []


def test_a_scale_change_stops_at_the_preview_and_the_file_is_split_in_the_browser(live_server, page, cast_a):
    from tests.surveys.ingestion.test_import_scale_guard import Reviews, review_export

    reviews = Reviews(cast_a)
    content, rows = review_export(seed=21)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast_a.cx_manager.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    page.goto(f"{live_server.url}/surveys/responses/import/")
    page.select_option("select[name=version]", str(reviews.v2.pk))
    page.set_input_files("input[name=file]", files=[{"name": "reviews.csv", "mimeType": "text/csv", "buffer": content}])
    page.get_by_role("button", name="Next: map the columns").click()
    page.wait_for_url("**/columns/")
    page.select_option("select[name=col_0]", "response_id")
    page.get_by_test_id("start-import").click()
    stop = page.get_by_test_id("scale-stop")
    stop.wait_for()
    assert "The scale changes on 2024-07" in stop.inner_text()
    assert page.get_by_test_id("distribution-before").locator("thead th").last.inner_text() == "5"
    assert page.get_by_test_id("distribution-after").locator("thead th").last.inner_text() == "10"
    assert page.locator("select[name=before_version]").input_value() == str(reviews.v1.pk)
    page.screenshot(path="/tmp/import_scale_stop.png", full_page=True)  # noqa: S108 (looked at by a person)
    page.get_by_test_id("split-import").click()
    page.wait_for_url("**/imports/*/")
    page.wait_for_selector("[data-testid=created-count]", timeout=30000)
    jobs = list(ImportJob.objects.order_by("pk"))
    assert [j.status for j in jobs] == [ImportJob.Status.DONE, ImportJob.Status.DONE]
    assert sum(j.created_count for j in jobs) == len(rows)
    assert "Two imports started" in page.content()
