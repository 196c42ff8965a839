"""SSRF: only public addresses (after DNS), on save and on every send; pinned connection; no redirects followed."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from tests.webhooks.conftest import admin_ctx, make_endpoint, start_receiver
from webhooks import events, sender, services
from webhooks.models import EventType, WebhookDelivery
from webhooks.ssrf import address_is_public

pytestmark = pytest.mark.django_db

PRIVATE_URLS = [
    "http://localhost/hook",  # a name that resolves to 127.0.0.1
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.5/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://[::ffff:169.254.169.254]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as one number
    "http://0x7f.1/hook",  # 127.0.0.1 in hex shorthand
    "http://224.0.0.1/hook",
]


@pytest.fixture
def strict(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_an_endpoint_on_a_non_public_address_is_refused(cast_a, strict, url):
    with pytest.raises(ValidationError) as exc:
        services.endpoint_create(ctx=admin_ctx(cast_a), url=url, events=[EventType.CASE_OPENED])
    assert "not a public internet address" in str(exc.value) or "could not be resolved" in str(exc.value)
    assert not cast_a.org.webhook_endpoints.exists()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("0.0.0.0", False),  # noqa: S104 (an address under test, not a bind)
        ("255.255.255.255", False),
        ("239.255.255.250", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd00:ec2::254", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
    ],
)
def test_address_classification(address, public):
    assert address_is_public(ipaddress.ip_address(address)) is public


def test_a_name_with_one_private_answer_among_public_ones_is_refused(cast_a, strict, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "mixed.example.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443)),
            ]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(ValidationError, match=r"127\.0\.0\.1"):
        services.endpoint_create(ctx=admin_ctx(cast_a), url="https://mixed.example.test/", events=["case.opened"])


def test_plain_http_is_refused_unless_allowed(cast_a, settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(ValidationError, match="https"):
        services.endpoint_create(ctx=admin_ctx(cast_a), url="http://example.com/hook", events=["case.opened"])


def test_user_and_password_in_the_url_are_refused(cast_a):
    with pytest.raises(ValidationError, match="user name or password"):
        services.endpoint_create(ctx=admin_ctx(cast_a), url="http://u:p@127.0.0.1/hook", events=["case.opened"])


def queued(endpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        organization_id=endpoint.organization_id,
        endpoint=endpoint,
        event_type=EventType.CASE_OPENED,
        event_id=events.event_id(EventType.CASE_OPENED, "ssrf"),
        payload={"case_id": 1},
    )


def test_every_send_checks_the_address_again(cast_a, receiver, settings):
    # Saved while private targets were allowed (an on-premise install), sent after they no longer are.
    endpoint = make_endpoint(cast_a, receiver)
    delivery = queued(endpoint)
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    sender.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code is None
    assert "127.0.0.1, which is not a public internet address" in delivery.last_error
    assert receiver.events() == []  # no connection was made


def test_the_connection_goes_to_the_checked_address_not_a_second_dns_answer(cast_a, receiver, monkeypatch):
    """DNS rebinding: the name is resolved once per attempt, by the check; the socket connects to that address."""
    real = socket.getaddrinfo
    lookups = []

    def fake(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            lookups.append(host)
            # The first answer is the one that was checked; any later lookup would be sent elsewhere.
            address = "127.0.0.1" if len(lookups) == 1 else "10.255.255.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    endpoint = make_endpoint(cast_a, receiver, url=f"http://hooks.example.test:{receiver.port}/hooks/cx")
    lookups.clear()
    delivery = queued(endpoint)
    sender.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == "delivered", delivery.last_error
    assert lookups == ["hooks.example.test"]
    [hit] = receiver.events()
    assert hit.headers["Host"] == f"hooks.example.test:{receiver.port}"  # the name, though the socket used the IP
    assert hit.signature_ok


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", None])
def test_a_redirect_is_never_followed(cast_a, receiver, location):
    inner = start_receiver()  # where a followed redirect would land (allowed in these tests, so it would work)
    try:
        target = location or f"http://127.0.0.1:{inner.port}/stolen"
        endpoint = make_endpoint(cast_a, receiver)
        receiver.reply((302, {"Location": target}))
        delivery = queued(endpoint)
        sender.deliveries_send_due()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.last_status_code) == ("pending", 302)
        assert delivery.last_error == f"Redirect to {target} not followed (webhooks never follow redirects)."
        assert len(receiver.events()) == 1 and inner.events() == []
    finally:
        inner.server.shutdown()
        inner.server.server_close()


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(cast_a, monkeypatch):
    from webhooks import transport

    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 1.0)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        endpoint = services.endpoint_create(
            ctx=admin_ctx(cast_a), url=f"http://127.0.0.1:{silent.getsockname()[1]}/", events=["case.opened"]
        )
        delivery = queued(endpoint)
        sender.deliveries_send_due()
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.last_status_code is None
        assert "timed out" in delivery.last_error.lower()
        assert delivery.duration_ms < 5000
    finally:
        silent.close()


def test_a_huge_response_is_read_only_up_to_the_cap(cast_a, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Flood(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(2000):  # 16 MB if anyone read it all
                    self.wfile.write(b"x" * 8192)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flood)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = services.endpoint_create(
            ctx=admin_ctx(cast_a), url=f"http://127.0.0.1:{server.server_address[1]}/", events=["case.opened"]
        )
        delivery = queued(endpoint)
        sender.deliveries_send_due()
        delivery.refresh_from_db()
        assert delivery.status == "delivered"
        assert len(delivery.response_excerpt) == 2000
    finally:
        server.shutdown()
        server.server_close()
