"""One HTTP POST to a checked webhook target: pinned address, bounded time, no redirects, capped response.

urllib3 connects to an address from the SSRF check (webhooks.ssrf) while the request carries the URL's host name
in its Host header and, over HTTPS, as the TLS server name and the name the certificate is verified against. So the
host is resolved once, by the check, and a second DNS answer can never redirect the connection.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from webhooks.ssrf import Target

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
# The response body is read up to this many bytes (the rest is dropped) and stored up to EXCERPT_CHARS.
READ_LIMIT = 64 * 1024
EXCERPT_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body_excerpt: str
    duration_ms: int
    error: str = ""
    location: str = ""  # a redirect's Location, reported, never followed

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


def _host_header(target: Target) -> str:
    host = target.host
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: Target, address: str, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    common = {"port": target.port, "timeout": timeout, "retries": False, "maxsize": 1, "block": False}
    if target.scheme == "https":
        try:
            ipaddress.ip_address(target.host)
            server_name = None  # an address in the URL: no SNI, the certificate must name the address
        except ValueError:
            server_name = target.host
        return urllib3.HTTPSConnectionPool(
            address,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOKS_CA_BUNDLE or certifi.where(),
            server_hostname=server_name,
            assert_hostname=target.host,
            **common,
        )
    return urllib3.HTTPConnectionPool(address, **common)


def post(target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to the target's first checked address; never raises for network errors (they are the outcome)."""
    started = time.monotonic()
    deadline = started + TOTAL_TIMEOUT
    address = target.addresses[0]
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=TOTAL_TIMEOUT, total=TOTAL_TIMEOUT)
    pool = _pool(target, address, timeout)
    all_headers = {**headers, "Host": _host_header(target), "Content-Length": str(len(body))}

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=all_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        pool.close()
        return Outcome(status=None, body_excerpt="", duration_ms=elapsed(), error=_describe(exc))
    chunks: list[bytes] = []
    read = 0
    error = ""
    try:
        while read < READ_LIMIT:
            if time.monotonic() > deadline:
                error = _("The response took longer than %(seconds)s s.") % {"seconds": f"{TOTAL_TIMEOUT:g}"}
                break
            chunk = response.read(min(8192, READ_LIMIT - read), decode_content=False)
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
    except urllib3.exceptions.HTTPError as exc:
        error = _describe(exc)
    finally:
        response.release_conn()
        pool.close()
    excerpt = b"".join(chunks).decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    location = response.headers.get("Location", "") if 300 <= response.status < 400 else ""
    return Outcome(status=response.status, body_excerpt=excerpt, duration_ms=elapsed(), error=error, location=location)


def _describe(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    # urllib3 puts the pool's repr (with the pinned address) in front; keep the useful part.
    return f"{type(exc).__name__}: {text}"[:500]
