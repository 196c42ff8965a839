"""An admin narrows the audit log in the browser: the free text and the action filter update the list (htmx)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.services import audit_record
from tests.conftest import _make_cast, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_filters_the_audit_log_by_text_and_action(live_server, chromium):
    cast = _make_cast("Audit Telecom")
    other = _make_cast("Other Telecom")
    for label in ("Anna Andersson", "Bertil Berg"):
        audit_record(action="customer.view", organization=cast.org, user=cast.frontline.user, target_label=label)
    audit_record(action="alert_rule.change", organization=cast.org, user=cast.admin.user, target_label="Detractors")
    audit_record(action="customer.view", organization=other.org, target_label="Anna of the other org")

    session = signed_in_page(chromium, live_server, cast.admin.user)
    page, errors = session.page, session.errors

    page.goto(live_server.url + reverse("audit:event_list"))
    rows = page.locator("[data-testid=audit-row]")
    assert rows.count() == 3
    with page.expect_response(lambda r: "q=Anna" in r.url):
        page.fill("#id_q", "Anna")
    expect(rows).to_have_count(1)
    assert "Anna Andersson" in rows.first.inner_text()
    assert "q=Anna" in page.url  # the filter is in the address: a link to it shows the same list

    page.fill("#id_q", "")
    page.fill("#id_action", "alert_rule.")
    page.click("[data-testid=apply]")
    expect(page.locator("[data-testid=audit-row][data-action='alert_rule.change']")).to_have_count(1)
    expect(rows).to_have_count(1)
    assert "Detractors" in rows.first.inner_text()
    export_href = page.get_attribute("[data-testid=audit-export-csv]", "href")
    assert "action=alert_rule." in export_href
    assert "Anna of the other org" not in page.content()
    page.context.close()
    assert errors == []
