"""A CX manager imports a customer export in a real browser: upload, preview and warning, confirm, job done."""

from decimal import Decimal

import pytest

from customers.models import Customer
from imports.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/import_mapping.png"  # noqa: S108 (looked at by a person)
EXPORT = "CustomerID;Namn;E-post;Loyalty tier\nK-1;Åsa Öberg;asa@example.se;Gold\nK-2;;bo@example.se;Silver\n"


@pytest.fixture
def page(settings, chromium):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_customer_import_with_the_mapping_step_in_the_browser(live_server, page, cast_a):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast_a.cx_manager.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    page.goto(f"{live_server.url}/imports/new/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files(
        "input[type=file]", files=[{"name": "kunder.csv", "mimeType": "text/csv", "buffer": EXPORT.encode()}]
    )
    page.click("[data-import-submit]")
    page.wait_for_url("**/mapping/")

    table = page.locator("[data-testid=mapping-table]")
    assert table.get_by_text("Åsa Öberg").is_visible() and table.get_by_text("bo@example.se").is_visible()
    warning = page.locator("[data-testid=unmatched-warning]")
    assert warning.is_visible() and "Loyalty tier" in warning.inner_text()
    selects = table.locator("select")
    assert [selects.nth(i).input_value() for i in range(4)] == ["external_id", "name", "email", ""]
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert not Customer.objects.exists()  # nothing before the mapping is confirmed

    page.get_by_role("button", name="Start the import").click()
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    page.wait_for_selector("[data-testid=job-status]:text('Done')", timeout=15000)
    assert page.locator("[data-testid=created-count]").inner_text() == "2"
    assert "Loyalty tier" in page.locator("[data-testid=job-warnings]").inner_text()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert sorted(Customer.objects.values_list("external_id", "name")) == [("K-1", "Åsa Öberg"), ("K-2", "")]
    assert errors == []


def test_a_monthly_charge_file_becomes_revenue_of_the_month_chosen_in_the_browser(live_server, page, cast_a):
    from value.models import CustomerRevenue

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast_a.cx_manager.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    page.goto(f"{live_server.url}/imports/new/?kind=revenue")
    content = "customerID,MonthlyCharges,Churn\n7590-VHVEG,29.85,No\n5575-GNVDE,56.95,Yes\n"
    page.set_input_files(
        "input[type=file]", files=[{"name": "telco.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.click("[data-import-submit]")
    page.wait_for_url("**/mapping/")
    assert "taken as SEK" in page.locator("[data-testid=mapping-note]").inner_text()
    page.get_by_role("button", name="Start the import").click()
    assert "give the month of every row" in page.locator("[data-testid=mapping-error]").first.inner_text()
    page.fill("input[name=option_month]", "2026-11")
    page.get_by_label("Create customers that do not exist yet").check()
    page.screenshot(path="/tmp/import_mapping_revenue.png", full_page=True)  # noqa: S108 (looked at by a person)
    page.get_by_role("button", name="Start the import").click()
    page.wait_for_selector("[data-testid=job-status]:text('Done')", timeout=15000)
    assert page.locator("[data-testid=created-count]").inner_text() == "2"
    assert sorted(CustomerRevenue.objects.values_list("customer__external_id", "amount")) == [
        ("5575-GNVDE", Decimal("56.95")),
        ("7590-VHVEG", Decimal("29.85")),
    ]
