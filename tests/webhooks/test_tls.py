"""HTTPS to a pinned address: the TLS server name and the certificate check use the URL's host name, not the IP."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.webhooks.conftest import admin_ctx
from webhooks import events, sender, services
from webhooks.models import EventType, WebhookDelivery

pytestmark = pytest.mark.django_db
HOST = "hooks.example.test"


def self_signed(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path, monkeypatch, settings):
    """An HTTPS receiver on 127.0.0.1 with a certificate for HOST; HOST resolves to 127.0.0.1."""
    cert, key = self_signed(tmp_path, HOST)
    settings.WEBHOOKS_CA_BUNDLE = str(cert)
    seen = {"sni": [], "paths": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["paths"].append((self.path, self.headers["Host"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    try:
        yield server.server_address[1], seen, tmp_path
    finally:
        server.shutdown()
        server.server_close()


def send_one(cast, url: str) -> WebhookDelivery:
    endpoint = services.endpoint_create(ctx=admin_ctx(cast), url=url, events=[EventType.CASE_OPENED])
    delivery = WebhookDelivery.objects.create(
        organization=cast.org,
        endpoint=endpoint,
        event_type=EventType.CASE_OPENED,
        event_id=events.event_id(EventType.CASE_OPENED, "tls"),
        payload={},
    )
    sender.deliveries_send_due()
    delivery.refresh_from_db()
    return delivery


def test_https_uses_the_host_name_for_sni_and_the_certificate(cast_a, tls_server, settings):
    port, seen, _tmp = tls_server
    settings.WEBHOOKS_ALLOW_HTTP = False
    delivery = send_one(cast_a, f"https://{HOST}:{port}/in")
    assert (delivery.status, delivery.last_status_code) == ("delivered", 204), delivery.last_error
    assert seen["sni"] == [HOST]
    assert seen["paths"] == [("/in", f"{HOST}:{port}")]


def test_a_certificate_for_another_name_fails_the_attempt(cast_a, tls_server, settings):
    port, seen, tmp_path = tls_server
    other, _key = self_signed(tmp_path, "other.example.test")
    settings.WEBHOOKS_CA_BUNDLE = str(other)  # the server's certificate is no longer trusted
    delivery = send_one(cast_a, f"https://{HOST}:{port}/in")
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "certificate" in delivery.last_error.lower()
    assert seen["paths"] == []
