"""An admin creates a webhook endpoint in Chromium, copies its secret, sends a test event and sees it delivered."""

import pytest
from django.urls import reverse

from tests.conftest import _make_cast, signed_in_page
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_an_endpoint_and_sees_a_test_delivery_in_the_log(live_server, chromium, receiver):
    cast = _make_cast("Hook Telecom")
    session = signed_in_page(chromium, live_server, cast.admin.user)
    page, errors = session.page, session.errors

    page.goto(live_server.url + reverse("webhooks:endpoint_list"))
    assert page.get_by_text("No endpoints yet.").is_visible()
    page.click("[data-testid=new-endpoint]")
    page.fill("#id_url", receiver.url)
    page.fill("#id_description", "Order system")
    page.check("input[name=events][value='case.opened']")
    page.check("input[name=events][value='case.closed']")
    page.click("[data-testid=endpoint-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_text("Endpoint created. Copy its signing secret now.").is_visible()
    secret = page.locator("[data-testid=secret]").inner_text().strip()
    endpoint = WebhookEndpoint.objects.get(organization=cast.org)
    assert secret == endpoint.secret and endpoint.events == ["case.opened", "case.closed"]
    receiver.secrets.append(secret)  # the receiving system stores the secret it was shown
    assert page.get_by_text("No deliveries.").is_visible()

    page.click("[data-testid=send-test]")
    page.wait_for_load_state()
    row = page.locator("[data-testid=delivery-row]")
    assert row.count() == 1
    assert "webhook.test" in row.inner_text()
    assert row.locator("[data-testid=delivery-status]").inner_text() == "Delivered"
    # The secret is shown once: after the reload it is masked.
    assert page.locator("[data-testid=secret]").count() == 0

    [hit] = receiver.events()
    assert hit.signature_ok and hit.json["type"] == "webhook.test"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    page.click(f"a[href='{reverse('webhooks:delivery_detail', args=[delivery.pk])}']")
    page.wait_for_load_state()
    assert str(delivery.event_id) in page.locator("[data-testid=delivery-body]").inner_text()
    page.context.close()
    assert errors == []
