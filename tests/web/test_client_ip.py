"""The client's address (web/deps.client_ip): X-Forwarded-For is read only when the peer is a trusted proxy
(COMPRIS_TRUSTED_PROXIES), and then its rightmost hop that is not a trusted proxy."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from compris.config import ConfigError, Settings, parse_networks
from compris.runtime import Runtime
from compris.web.deps import client_ip
from tests.conftest import World
from tests.web.test_pages import login, make_client


def _request(peer: str, trusted: str, *forwarded: str) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(settings=SimpleNamespace(
        trusted_proxies=trusted))))
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 5000),
                    "app": app, "query_string": b""})


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_ip(_request("203.0.113.9", "", "1.2.3.4")) == "203.0.113.9"
    assert client_ip(_request("127.0.0.1", "", "1.2.3.4")) == "127.0.0.1"  # a local peer is not trusted either


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip(_request("203.0.113.9", "10.0.0.0/8", "10.0.0.5, 1.2.3.4")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop() -> None:
    # the client forged "6.6.6.6"; the proxy appended the address it saw
    assert client_ip(_request("10.0.0.2", "10.0.0.0/8", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    # two proxies (both trusted): the hop before them
    assert client_ip(_request("10.0.0.2", "10.0.0.0/8, 192.0.2.1", "6.6.6.6, 198.51.100.7, 192.0.2.1")) \
        == "198.51.100.7"
    # several headers are one list
    assert client_ip(_request("10.0.0.2", "10.0.0.2", "6.6.6.6", "198.51.100.8")) == "198.51.100.8"
    # IPv6, and a trusted peer without the header
    assert client_ip(_request("::1", "::1", "2001:db8::5")) == "2001:db8::5"
    assert client_ip(_request("10.0.0.2", "10.0.0.0/8")) == "10.0.0.2"
    # garbage where an address should be: the last trusted hop, never the garbage
    assert client_ip(_request("10.0.0.2", "10.0.0.0/8", "evil, 10.0.0.3")) == "10.0.0.3"
    assert client_ip(_request("10.0.0.2", "10.0.0.0/8", "nonsense")) == "10.0.0.2"


def test_the_setting_is_checked_at_startup() -> None:
    assert [str(n) for n in parse_networks(" 10.0.0.0/8, 192.0.2.1 ,,::1")] == ["10.0.0.0/8", "192.0.2.1/32",
                                                                               "::1/128"]
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.internal")


def test_the_login_limit_per_address_ignores_a_spoofed_header(settings: Settings, runtime: Runtime,
                                                              world: World) -> None:
    client = make_client(settings, runtime)
    for i in range(settings.login_max_failures):
        response = login_with(client, f"guess{i}@acme.test", f"198.51.100.{i}")
        assert response.status_code == 401
    assert login_with(client, "guess-next@acme.test", "198.51.100.99").status_code == 429


def login_with(client: TestClient, email: str, forwarded: str) -> Any:
    client.headers["X-Forwarded-For"] = forwarded  # a different forged address each time
    return login(client, email, "wrong password!")
