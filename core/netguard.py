"""Outgoing HTTP to URLs that users configure: public addresses only, checked after DNS resolution (no SSRF).

Used by the webhooks (webhooks.ssrf, webhooks.transport) and by single sign-on's calls to an organization's
identity provider (accounts.sso). Every address a host resolves to (A and AAAA) must be public: one private answer
refuses the whole host, so a name that mixes a public and an internal address cannot be used to reach the internal
one. The connection then goes to an address from that same check, never resolving the name again, so a second DNS
answer cannot change the target between check and connect (DNS rebinding).

`allow_private` (tests, on-premise installs that call their own network) skips the address check but not the
resolution, the pinning or the rest. The callers decide it from their own settings; this module reads none.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util.connection import create_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not covered by `is_global` in every Python version, or worth saying explicitly.
_BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, including the cloud metadata address 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/128",
        "::1/128",
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
        "fd00:ec2::254/128",  # the AWS metadata service over IPv6 (inside fc00::/7, listed for the record)
    )
]


class UnsafeTarget(ValueError):
    """The URL may not be called (a message fit for the user)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header and the TLS server name)
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # every resolved address, all checked


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_public(address: IPAddress) -> bool:
    """Reachable on the public internet: not loopback, private, link-local, multicast, reserved or CGNAT."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None and not address_is_public(embedded):
            return False
    if any(address in network for network in _BLOCKED_NETWORKS if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), in the resolver's order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(_("The host name could not be resolved (%(error)s).") % {"error": exc}) from None
    found: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UnsafeTarget(_("The host name could not be resolved."))
    return found


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve `host` and refuse it unless every address is public (or private ones are allowed)."""
    addresses = resolve(host, port)
    if not allow_private:
        for raw in addresses:
            if not address_is_public(ipaddress.ip_address(raw.split("%", 1)[0])):
                raise UnsafeTarget(
                    _("%(host)s resolves to %(address)s, which is not a public internet address.")
                    % {"host": host, "address": raw}
                )
    return addresses


def check_url(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve and check an http(s) URL; the Target carries the checked addresses to connect to.

    The caller checks the scheme it accepts (https only, or http too) first."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeTarget(_("The URL must start with https://."))
    if parts.username or parts.password:
        raise UnsafeTarget(_("The URL may not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise UnsafeTarget(_("The URL has no host."))
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise UnsafeTarget(_("The URL's port is not valid.")) from None
    addresses = checked_addresses(host, port, allow_private=allow_private)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=parts.scheme.lower(), host=host, port=port, path=path, addresses=tuple(addresses))


# --- requests with the check at every connection -------------------------------------------------------------
# For callers that use requests (or a library built on it): each new connection resolves the host once, checks every
# answer and connects to a checked address, so redirects and later connections are checked as well. The TLS server
# name and the certificate check still use the host name (urllib3 does that after _new_conn).


class _GuardedMixin:
    allow_private = False

    def _new_conn(self):
        try:
            addresses = checked_addresses(self._dns_host, self.port, allow_private=self.allow_private)  # type: ignore[attr-defined]
        except UnsafeTarget as exc:
            raise NewConnectionError(self, str(exc)) from None  # type: ignore[arg-type]
        error: OSError | None = None
        for address in addresses:
            try:
                sock = create_connection(
                    (address, self.port),  # type: ignore[attr-defined]
                    self.timeout,  # type: ignore[attr-defined]
                    source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options,  # type: ignore[attr-defined]
                )
            except OSError as exc:
                error = exc
                continue
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")  # type: ignore[arg-type]


def _guarded_pool_classes(allow_private: bool) -> dict[str, type]:
    http_conn = type("GuardedHTTPConnection", (_GuardedMixin, HTTPConnection), {"allow_private": allow_private})
    https_conn = type("GuardedHTTPSConnection", (_GuardedMixin, HTTPSConnection), {"allow_private": allow_private})
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, *, allow_private: bool):
        self._allow_private = allow_private
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        self.poolmanager = PoolManager(num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _guarded_pool_classes(self._allow_private)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise requests.exceptions.InvalidURL("a proxy would bypass the address check")


def guarded_session(*, allow_private: bool) -> requests.Session:
    """A requests session whose every connection goes only to checked addresses; proxies from the environment
    are ignored (a proxy would connect on our behalf to an address we never checked)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter(allow_private=allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
