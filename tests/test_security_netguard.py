"""core.netguard: outgoing calls to user-configured URLs reach public addresses only, checked after DNS resolution.

The webhooks' own checks are in tests/webhooks/test_ssrf.py; single sign-on's in tests/accounts/test_sso.py. Here:
the requests session that SSO uses, against a real HTTP server on a local port.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from core import netguard


@pytest.fixture
def server():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append({"path": self.path, "host": self.headers.get("Host")})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.seen = seen  # type: ignore[attr-defined]
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_guarded_session_never_connects_to_a_loopback_address(server, host):
    port = server.server_address[1]
    with pytest.raises(requests.ConnectionError, match="not a public internet address"):
        netguard.guarded_session(allow_private=False).get(f"http://{host}:{port}/x", timeout=5)
    assert server.seen == []


def test_a_name_is_resolved_once_and_the_connection_goes_to_the_checked_address(server, monkeypatch):
    """DNS rebinding: a second lookup answering another address is never made; the Host header keeps the name."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def fake(host, port, *args, **kwargs):
        if host == "idp.example.test":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "169.254.169.254"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    port = server.server_address[1]
    response = netguard.guarded_session(allow_private=True).get(f"http://idp.example.test:{port}/x", timeout=5)
    assert response.text == "ok"
    assert lookups == ["idp.example.test"]
    assert server.seen == [{"path": "/x", "host": f"idp.example.test:{port}"}]


def test_a_name_with_one_private_answer_is_refused_before_any_connection(server, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "mixed.example.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(netguard.UnsafeTarget, match=r"169\.254\.169\.254"):
        netguard.check_url("https://mixed.example.test/.well-known/openid-configuration", allow_private=False)
    with pytest.raises(requests.ConnectionError, match=r"169\.254\.169\.254"):
        netguard.guarded_session(allow_private=False).get("https://mixed.example.test/", timeout=5)


def test_proxies_from_the_environment_are_not_used(server, monkeypatch):
    # A proxy would connect on our behalf to an address we never checked.
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    port = server.server_address[1]
    assert netguard.guarded_session(allow_private=True).get(f"http://127.0.0.1:{port}/p", timeout=5).text == "ok"
