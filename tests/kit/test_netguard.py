"""netguard: an address Compris was given (a customer's attachment) is fetched from the Internet only — never from
the machine itself, a private network or a cloud's metadata service, not through a redirect nor a name that
resolves elsewhere the second time."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from compris.connectors.base import FetchError, download
from compris.kit import netguard
from tests.connectors.standin import Reply, StandIn

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10


@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("10.0.0.5", False), ("172.16.3.4", False), ("192.168.1.1", False), ("100.64.0.1", False),
    ("169.254.169.254", False), ("127.0.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("255.255.255.255", False), ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:93.184.216.34", True),
])
def test_only_global_addresses_are_allowed(address: str, allowed: bool) -> None:
    assert netguard.is_allowed(ipaddress.ip_address(address), allow_loopback=False) is allowed


def test_loopback_only_where_local_endpoints_are() -> None:
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert netguard.is_allowed(ipaddress.ip_address(address), allow_loopback=True)
    for address in ("10.0.0.5", "169.254.169.254", "fd00::1"):  # private networks never
        assert not netguard.is_allowed(ipaddress.ip_address(address), allow_loopback=True)


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    names = {"cdn.example.org": ["93.184.216.34"], "mixed.example.org": ["93.184.216.34", "10.0.0.5"],
             "inside.example.org": ["192.168.0.10"]}

    def resolver(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError("no such name")
        return names[host]

    netguard.check_url("https://cdn.example.org/p.jpg", allow_loopback=False, resolver=resolver)
    for url in ("https://mixed.example.org/p.jpg", "http://inside.example.org/", "https://nowhere.example.org/",
                "http://[::1]:8080/", "http:///nohost"):
        with pytest.raises(netguard.AddressRefused):
            netguard.check_url(url, allow_loopback=False, resolver=resolver)


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


def guarded(allow_loopback: bool, resolver: netguard.Resolver = netguard.resolve) -> httpx.Client:
    return httpx.Client(event_hooks=netguard.event_hooks(lambda: allow_loopback, resolver=resolver))


def test_a_guarded_client_refuses_an_untrusted_local_address_before_any_request(api: StandIn) -> None:
    api.on("GET", "/p.png", Reply(200, body=PNG))
    with guarded(False) as client, pytest.raises(FetchError) as refused:
        download(client, f"{api.base_url}/p.png", max_bytes=10_000, network="Mastodon")
    assert refused.value.code == "unavailable" and not refused.value.retryable
    assert "not on the Internet" in str(refused.value) and api.requests == []
    with guarded(True) as client:  # local endpoints allowed (tests, the demo)
        assert download(client, f"{api.base_url}/p.png", max_bytes=10_000, network="Mastodon").data == PNG


def test_requests_not_marked_untrusted_pass(api: StandIn) -> None:
    """A platform's API at an address an admin configured (a stand-in, a self-hosted Mastodon) is not judged."""
    api.on("GET", "/api/v1/instance", Reply(200, {"ok": True}))
    with guarded(False) as client:
        assert client.get(f"{api.base_url}/api/v1/instance").json() == {"ok": True}


def test_every_redirect_hop_is_checked(api: StandIn) -> None:
    api.on("GET", "/p.png", Reply(302, headers={"location": "http://169.254.169.254/latest/meta-data/"}))
    with guarded(True) as client, pytest.raises(FetchError) as refused:
        download(client, f"{api.base_url}/p.png", max_bytes=10_000, network="Bluesky")
    assert refused.value.code == "unavailable" and "not on the Internet" in str(refused.value)
    assert len(api.requests) == 1  # the redirect was never followed


def test_a_name_that_resolves_elsewhere_when_connecting_is_caught(api: StandIn) -> None:
    """DNS rebinding: the check before the request saw a global address, the connection reached the machine
    itself; the answer's body is never read."""
    api.on("GET", "/p.png", Reply(200, body=PNG))
    with guarded(False, resolver=lambda host, port: ["93.184.216.34"]) as client, \
            pytest.raises(FetchError) as refused:
        download(client, f"{api.base_url}/p.png", max_bytes=10_000, network="VK")
    assert refused.value.code == "unavailable"
