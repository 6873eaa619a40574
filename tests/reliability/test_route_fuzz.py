"""A fuzzer over every route of the app, generated from its own route table: no input gives a 5xx (issue 21).

For every route (``APIRoute``, found by walking ``app.routes`` and the routers included in it) and every method,
requests are built from what the route declares: its path parameters (integers where it converts them), its
query parameters and its body (a JSON model, form fields, files), filled with hostile values — huge and negative
integers, NUL characters, lone surrogates, invalid UTF-8, deeply nested JSON, values of the wrong type, long
strings — and sent signed in as an admin (session cookie, CSRF header, API token) and anonymously. Each answer
must be below 500, and no exception may escape the app.

Bounded for CI (seconds per database): a few deterministic hostile requests per route and method, then
``COMPRIS_FUZZ_EXAMPLES`` (default 2) generated ones with a fixed seed, for the admin; the stranger gets the
deterministic ones. Set ``COMPRIS_FUZZ_EXAMPLES=200`` for a longer, randomised run (with shrinking).
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from compris.config import Settings
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.web.input_guard import _dependants, _is_int
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent

pytestmark = pytest.mark.reliability

EXAMPLES = int(os.environ.get("COMPRIS_FUZZ_EXAMPLES", "2"))
RANDOM = "COMPRIS_FUZZ_EXAMPLES" in os.environ
#: routes that never answer by themselves (an endless event stream), or that end the admin's session
SKIPPED = {("GET", "/live"), ("POST", "/logout")}

HOSTILE_INTS = [2**31, -(2**31) - 1, 2**63, 10**30, -1, 0, 2**31 - 1]
HOSTILE_TEXTS = ["a\x00b", "\ud800", "x" * 5000, "\x00", "", "../../etc/passwd", "%00", "<script>alert(1)</script>",
                 "1e999", "null", "\ufeff", "é" * 400]

ints = st.one_of(st.sampled_from(HOSTILE_INTS), st.integers(min_value=-(2**80), max_value=2**80))
texts = st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(max_size=40), st.text(max_size=40).map(lambda t: t * 200))
scalars = st.one_of(ints, texts, st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(texts, inner, max_size=4)), max_leaves=12)


@dataclass(frozen=True)
class Param:
    name: str
    is_int: bool


@dataclass(frozen=True)
class Target:
    method: str
    path: str  # as the router matches it: /cases/{number}, /admin/x/{id:int}
    path_params: tuple[Param, ...]
    query: tuple[Param, ...]
    json_fields: tuple[Param, ...] | None  # None: no JSON body
    form_fields: tuple[Param, ...] | None  # None: no form body
    files: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _model_fields(annotation: Any) -> tuple[Param, ...]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return tuple(Param(f.alias or name, _is_int(f.annotation)) for name, f in annotation.model_fields.items())
    return ()


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.16x keeps them nested)
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "routes") and hasattr(route, "path"):  # a mounted router
            yield from _walk(route.routes, prefix + route.path)


def targets(app: Any) -> list[Target]:
    """Every route and method of the app, with what it declares."""
    found: list[Target] = []
    for path, route in _walk(app.routes):
        converters = dict(re.findall(r"{(\w+)(?::(\w+))?}", path))
        path_ints = {f.alias for d in _dependants(route.dependant) for f in d.path_params
                     if _is_int(f.field_info.annotation)}
        params = tuple(Param(n, c == "int" or n in path_ints) for n, c in converters.items())
        query = tuple(Param(f.alias, _is_int(f.field_info.annotation))
                      for d in _dependants(route.dependant) for f in d.query_params)
        body = [f for d in _dependants(route.dependant) for f in d.body_params]
        kinds = {type(f.field_info).__name__ for f in body}
        files = tuple(f.alias for f in body if type(f.field_info).__name__ == "File")
        form = tuple(Param(f.alias, _is_int(f.field_info.annotation)) for f in body
                     if type(f.field_info).__name__ == "Form")
        json_fields: tuple[Param, ...] | None = None
        if body and not kinds & {"Form", "File"}:
            json_fields = (_model_fields(body[0].field_info.annotation) if len(body) == 1
                           else tuple(Param(f.alias, _is_int(f.field_info.annotation)) for f in body))
        for method in sorted(route.methods - {"HEAD"}):
            if (method, path) not in SKIPPED:
                found.append(Target(method, path, params, query, json_fields,
                                    form if (form or files) else None, files))
    return found


# --- building a request --------------------------------------------------------------------------------------


def _enc(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _url(target: Target, values: dict[str, object], query: list[tuple[str, object]]) -> str:
    def fill(match: re.Match[str]) -> str:
        return _enc(values[match.group(1)])

    url = re.sub(r"{(\w+)(?::\w+)?}", fill, target.path)
    if query:
        url += "?" + "&".join(f"{_enc(k)}={_enc(v)}" for k, v in query)
    return url


def _json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: NUL and lone surrogates travel as \u escapes


@dataclass
class Request:
    method: str
    url: str
    content: bytes | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    content_type: str | None = None


def deterministic(target: Target) -> list[Request]:
    """The classic hostile request of a route: every integer at 2³¹, every text with a NUL; then its body as
    deep JSON, as invalid UTF-8 and as the wrong type."""
    values: dict[str, object] = {p.name: 2**31 if p.is_int else "a\x00b" for p in target.path_params}
    query = [(p.name, 2**63 if p.is_int else "\x00\ud800") for p in target.query]
    requests = [Request(target.method, _url(target, values, query))]
    # the bodies go to an address that exists (the world's first rows), so that they reach the handler
    url = _url(target, {p.name: 1 if p.is_int else "x" for p in target.path_params}, [])
    if target.json_fields is not None:
        body = {p.name: 2**40 if p.is_int else "\ud800\x00" + "x" * 3000 for p in target.json_fields}
        requests += [Request(target.method, url, _json_bytes(body), content_type="application/json"),
                     Request(target.method, url, b"[" * 100_000 + b"]" * 100_000, content_type="application/json")]
    if target.form_fields is not None:
        form = {p.name: str(2**40) if p.is_int else "a\x00b" + "x" * 5000 for p in target.form_fields}
        requests += [Request(target.method, url, data=form),
                     Request(target.method, url, b"a=%ff%fe&b=\xff", content_type="application/x-www-form-urlencoded")]
        if target.files:
            requests.append(Request(target.method, url, data=form,
                                    files={n: ("x\x00.png", b"\x00" * 10, "image/png") for n in target.files}))
    return requests


@st.composite
def generated(draw: st.DrawFn, target: Target) -> Request:
    values = {p.name: draw(st.one_of(st.integers(1, 3), ints, texts) if p.is_int else texts)
              for p in target.path_params}
    query = [(p.name, draw(st.one_of(ints, texts, json_values))) for p in target.query if draw(st.booleans())]
    query += draw(st.lists(st.tuples(texts, texts), max_size=2))
    url = _url(target, values, query)
    if target.json_fields is not None:
        choice = draw(st.sampled_from(["fields", "document", "deep", "bytes"]))
        if choice == "fields":
            body: object = {p.name: draw(json_values) for p in target.json_fields if draw(st.booleans())}
            return Request(target.method, url, _json_bytes(body), content_type="application/json")
        if choice == "document":
            return Request(target.method, url, _json_bytes(draw(json_values)), content_type="application/json")
        if choice == "deep":
            depth = draw(st.sampled_from([10, 100, 999, 1001, 50_000]))
            return Request(target.method, url, b'{"a": ' + b"[" * depth + b"]" * depth + b"}",
                           content_type="application/json")
        return Request(target.method, url, draw(st.binary(max_size=200)),
                       content_type=draw(st.sampled_from(["application/json", "text/plain", "multipart/form-data"])))
    if target.form_fields is not None:
        form = {p.name: str(draw(st.one_of(ints, texts) if p.is_int else texts)).encode("utf-8", "surrogatepass")
                for p in target.form_fields if draw(st.booleans())}
        raw = "&".join(f"{_enc(k)}={quote(v, safe='')}" for k, v in form.items()).encode()
        return Request(target.method, url, raw, content_type="application/x-www-form-urlencoded")
    return Request(target.method, url)


# --- the run -------------------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Routes that call a network (a connection test, a test e-mail) get a refused connection, at once."""

    def refuse_http(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network in the fuzzer", request=request)

    def refuse_socket(*args: Any, **kw: Any) -> socket.socket:
        raise OSError("no network in the fuzzer")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse_http)
    monkeypatch.setattr(socket, "create_connection", refuse_socket)


def _send(client: TestClient, request: Request, headers: dict[str, str]) -> httpx.Response:
    h = dict(headers)
    if request.content_type:
        h["content-type"] = request.content_type
    if request.files is not None:
        return client.request(request.method, request.url, data=request.data, files=request.files, headers=h)
    if request.data is not None:
        return client.request(request.method, request.url, data=request.data, headers=h)
    return client.request(request.method, request.url, content=request.content, headers=h)


STATUSES: Counter[int] = Counter()


def _check(client: TestClient, request: Request, headers: dict[str, str]) -> None:
    response = _send(client, request, headers)
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, f"{request.method} {request.url[:300]} → {response.status_code}: " \
                                       f"{response.text[:300]}"


def _generated(client: TestClient, target: Target, headers: dict[str, str], examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=not RANDOM,
              phases=[Phase.generate, Phase.shrink] if RANDOM else [Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        _check(client, data.draw(generated(target), label=str(target)), headers)

    fuzz()


def _fuzz(client: TestClient, headers: dict[str, str], api_headers: dict[str, str], examples: int = EXAMPLES) -> int:
    sent = 0
    for target in targets(client.app):
        h = api_headers if target.path.startswith("/api/") else headers
        for request in deterministic(target):
            _check(client, request, h)
            sent += 1

        if examples:
            _generated(client, target, h, examples)
        sent += examples
    return sent


def _client(settings: Settings, runtime: Runtime) -> TestClient:
    settings.max_upload_bytes = 64 * 1024  # keeps the body limit (and the bodies read) small
    return TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)


@pytest.mark.usefixtures("no_network")
def test_no_route_answers_5xx_to_an_admin(settings: Settings, runtime: Runtime, world: World) -> None:
    client = _client(settings, runtime)
    admin = Agent(client, world.admin.email)
    headers = {"x-csrf-token": admin.csrf, "accept": "text/html"}
    STATUSES.clear()
    sent = _fuzz(client, headers, {**auth(token(world, world.admin)), "x-csrf-token": admin.csrf})
    assert sent > 400
    print("answers to the admin:", sorted(STATUSES.items()))
    # the requests reach the routes: most are refused as invalid or unknown, some succeed
    assert STATUSES[200] + STATUSES[201] + STATUSES[303] > 10 and STATUSES[422] + STATUSES[400] > 100


@pytest.mark.usefixtures("no_network")
def test_no_route_answers_5xx_to_a_stranger(settings: Settings, runtime: Runtime, world: World) -> None:
    client = _client(settings, runtime)
    # most routes refuse a stranger before reading anything: the generated requests go to the signed-in run
    assert _fuzz(client, {}, {}, examples=EXAMPLES if RANDOM else 0) > 200
