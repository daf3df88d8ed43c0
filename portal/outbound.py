"""Requests the portal sends to addresses people configure (webhooks): never into the portal's own network.

An administrator types a URL; without a check, ``http://127.0.0.1:6379/``, ``http://169.254.169.254/`` (a cloud's
metadata service) or ``http://10.0.0.5/admin`` would have the portal's workers call internal services for them
(server-side request forgery). ``destination_check`` resolves the host and refuses the URL when *any* address it
resolves to is loopback, private, link-local, shared, reserved, multicast or unspecified, IPv4 and IPv6 alike
(IPv4-mapped IPv6 addresses are judged as IPv4). It runs when the URL is saved and again at each delivery, and the
delivery connects to the very address that was checked (``pinned_post``), so a name that re-resolves to an
internal address between the check and the connection (DNS rebinding) gains nothing. Redirects are never followed.

``MESH_WEBHOOK_ALLOW_PRIVATE=1`` lifts the address check, for a receiver on the portal's own network (and tests).
"""

import http.client
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from portal.errors import DomainError

SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeDestination(DomainError):
    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]


def address_is_public(address: str) -> bool:
    """Whether a plain IP address (no zone) is one the portal may call out to."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in NAT64:  # 64:ff9b::a.b.c.d reaches a.b.c.d through a NAT64 gateway
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and (ip.sixtofour is not None or ip.teredo is not None))
    )


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeDestination(f"The host {host!r} cannot be resolved.") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeDestination(f"The host {host!r} cannot be resolved.")
    return tuple(addresses)


def destination_check(url: str, *, allow_private: bool | None = None) -> Destination:
    """Parse and resolve ``url``; refuse it (``UnsafeDestination`` on the field ``url``) unless it is http(s) and
    every address of its host is public (or ``MESH_WEBHOOK_ALLOW_PRIVATE`` is on)."""
    if allow_private is None:
        allow_private = settings.MESH_WEBHOOK_ALLOW_PRIVATE
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise UnsafeDestination("Enter a valid http:// or https:// URL.") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise UnsafeDestination("Enter a valid http:// or https:// URL.")
    if parts.username or parts.password:
        raise UnsafeDestination("Put no user name or password in the URL; the signature authenticates the portal.")
    port = port or SCHEMES[parts.scheme]
    addresses = _resolve(parts.hostname, port)
    if not allow_private:
        refused = [address for address in addresses if not address_is_public(address)]
        if refused:
            raise UnsafeDestination(
                f"The host {parts.hostname!r} resolves to {refused[0]}, an internal address (loopback, private, "
                "link-local, reserved or multicast); webhooks go to public addresses only."
            )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port, target, addresses)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def pinned_post(destination: Destination, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to the address ``destination_check`` approved (TLS still checks the certificate against the
    host name). The answer is returned as it is: a 3xx is not followed."""
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    connection_class = http.client.HTTPSConnection if destination.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, destination.port, timeout=timeout)
    address = destination.addresses[0]

    def connect_to_checked_address(host_port, timeout=None, source_address=None, **kwargs):
        return socket.create_connection((address, host_port[1]), timeout, source_address, **kwargs)

    connection._create_connection = connect_to_checked_address  # what HTTP(S)Connection.connect() opens through
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(1024))
    finally:
        connection.close()
