"""Addresses Compris may fetch a URL it was *given* from: the Internet only (no server-side request forgery).

A customer's attachment comes with an address the network's payload carries (a Mastodon server of anyone's, a
CDN): Compris fetches it from its own servers, so a forged address such as ``http://169.254.169.254/`` (a cloud's
metadata service), ``http://10.0.0.5/admin`` or ``http://127.0.0.1:5432`` must never be fetched and shown to an
agent. A request marked :data:`UNTRUSTED` (in its ``extensions``) is checked by the client's hooks
(:func:`event_hooks`):

- before it is sent, and before every redirect hop (httpx keeps a request's extensions on its redirects): every
  address its host name resolves to must be a global one (not private, loopback, link-local, shared, reserved,
  multicast or unspecified);
- when the answer comes, before its body is read: the address the connection actually reached (a name that
  resolved differently the second time, "DNS rebinding", is caught here).

Loopback addresses are allowed when local endpoints are (``COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS`` or the demo: the
sandbox network and the tests' stand-ins run on 127.0.0.1); private networks never are.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

#: the request extension that marks an address Compris was given (not one an admin configured)
UNTRUSTED = "compris_untrusted_address"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class AddressRefused(httpx.RequestError):
    """The address is not on the Internet (a private, loopback, link-local or reserved one): not fetched."""


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an address literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_allowed(address: Address, *, allow_loopback: bool) -> bool:
    """Whether ``address`` may be fetched from: a global unicast address (an IPv4-mapped IPv6 address is judged
    as the IPv4 address it maps), or a loopback one when ``allow_loopback``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
    except ValueError:
        return None


def check_url(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> None:
    """Raise :class:`AddressRefused` unless every address ``url``'s host resolves to may be fetched from."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused("the address has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = resolver(host, port)
    except OSError:
        raise AddressRefused("the address's host name does not resolve") from None
    addresses = [_address(a) for a in found]
    if not addresses or any(a is None or not is_allowed(a, allow_loopback=allow_loopback) for a in addresses):
        raise AddressRefused("the address is not on the Internet (a private, local or reserved one)")


def check_peer(response: httpx.Response, *, allow_loopback: bool) -> None:
    """Raise :class:`AddressRefused` when the connection behind ``response`` reached an address not allowed."""
    stream = response.extensions.get("network_stream")
    if stream is None:  # a transport without sockets (tests' MockTransport): nothing was reached
        return
    peer = stream.get_extra_info("server_addr")
    if not peer:
        return
    address = _address(str(peer[0]))
    if address is None or not is_allowed(address, allow_loopback=allow_loopback):
        response.close()
        raise AddressRefused("the address is not on the Internet (a private, local or reserved one)")


def event_hooks(allow_loopback: Callable[[], bool], *,
                resolver: Resolver = resolve) -> dict[str, list[Callable[..., Any]]]:
    """httpx ``event_hooks`` that check the requests marked :data:`UNTRUSTED` (and their redirects) before they
    are sent and their connection's address when the answer comes; other requests pass. ``allow_loopback`` is
    read at each request (a setting that may change)."""

    def on_request(request: httpx.Request) -> None:
        if request.extensions.get(UNTRUSTED):
            check_url(str(request.url), allow_loopback=allow_loopback(), resolver=resolver)

    def on_response(response: httpx.Response) -> None:
        if response.request.extensions.get(UNTRUSTED):
            check_peer(response, allow_loopback=allow_loopback())

    return {"request": [on_request], "response": [on_response]}
