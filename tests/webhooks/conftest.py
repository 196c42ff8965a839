"""A real HTTP receiver (http.server in a thread) that checks every signature, and webhook fixtures.

The receiver verifies signatures with its own code (the algorithm documented in webhooks/README.md), not with
webhooks.events.verify, so a mistake in the sender's signing cannot hide behind the same mistake here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.scoping import OrgContext, context_for_membership
from webhooks import services
from webhooks.models import EventType, WebhookEndpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers with the queued replies (status, headers) in order, then 200."""

    server: ThreadingHTTPServer
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    replies: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/cx"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def reply(self, *replies: int | tuple[int, dict[str, str]]) -> None:
        with self.lock:
            self.replies.extend(r if isinstance(r, tuple) else (r, {}) for r in replies)

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        parts = [p.split("=", 1) for p in headers.get("X-CX-Signature", "").split(",")]
        stamps = [v for k, v in parts if k == "t"]
        if len(stamps) != 1 or stamps[0] != headers.get("X-CX-Timestamp"):
            return False
        if abs(time.time() - int(stamps[0])) > 300:
            return False
        signed = stamps[0].encode() + b"." + body
        offered = [v for k, v in parts if k == "v1"]
        for secret in self.secrets:
            expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
            if any(hmac.compare_digest(expected, v) for v in offered):
                return True
        return False

    def events(self, event_type: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if event_type is None or r.headers.get("X-CX-Event") == event_type]


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            receiver = holder["r"]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k: v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.received.append(
                    Received(self.path, headers, body, signature_ok=receiver.verify(headers, body))
                )
                status, extra = receiver.replies.pop(0) if receiver.replies else (200, {})
            reply = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server=server)
    holder["r"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@pytest.fixture
def receiver():
    r = start_receiver()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    # The receiver listens on 127.0.0.1 over http; the SSRF tests switch private targets off again.
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3


def admin_ctx(cast) -> OrgContext:
    return context_for_membership(cast.admin, user=cast.admin.user)


def make_endpoint(cast, receiver: Receiver, *, events=None, personal: bool = False, **kw) -> WebhookEndpoint:
    endpoint = services.endpoint_create(
        ctx=admin_ctx(cast),
        url=kw.pop("url", None) or receiver.url,
        events=events or list(EventType.values),
        include_personal_data=personal,
        description=kw.pop("description", "Test receiver"),
    )
    receiver.secrets.append(endpoint.secret)
    return endpoint
