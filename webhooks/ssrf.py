"""Which webhook targets are allowed: public addresses only, checked after DNS resolution.

A URL is checked when an endpoint is saved and again before every send. Every address the host resolves to (A and
AAAA) must be public: one private answer refuses the whole host, so a name that mixes a public and an internal
address cannot be used to reach the internal one. The sender then connects to an address from this same check
(webhooks.transport), never resolving the name again, so the answer cannot change between check and connect (DNS
rebinding). Redirects are never followed.

`WEBHOOKS_ALLOW_PRIVATE_TARGETS` (tests, on-premise installs posting to their own network) skips the address
check but not the resolution, the pinning or the rest.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

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
        address = sockaddr[0]
        if address not in found:
            found.append(address)
    if not found:
        raise UnsafeTarget(_("The host name could not be resolved."))
    return found


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    allowed = {"https", "http"} if settings.WEBHOOKS_ALLOW_HTTP else {"https"}
    if scheme not in allowed:
        raise UnsafeTarget(_("The URL must start with https://."))


def check_url(url: str) -> Target:
    """Parse, resolve and check a webhook URL; the Target carries the checked addresses to connect to."""
    check_scheme(url)
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise UnsafeTarget(_("The URL may not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise UnsafeTarget(_("The URL has no host."))
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise UnsafeTarget(_("The URL's port is not valid.")) from None
    addresses = resolve(host, port)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for raw in addresses:
            if not address_is_public(ipaddress.ip_address(raw.split("%", 1)[0])):
                raise UnsafeTarget(
                    _("%(host)s resolves to %(address)s, which is not a public internet address.")
                    % {"host": host, "address": raw}
                )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=parts.scheme.lower(), host=host, port=port, path=path, addresses=tuple(addresses))
