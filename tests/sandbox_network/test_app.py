"""The sandbox network on its own: brand API, fault injection, signed deliveries and retries, the page."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from compris.connectors.base import AccountContext, Visibility, WebhookRequest
from compris.connectors.sandbox import SandboxConnector
from compris.sandbox_network import Brand, SandboxNetwork
from compris.sandbox_network.app import create_network_app

TOKEN = "tok-brand-one-123"
SECRET = "whsec-brand-one-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Hook:
    """A stand-in webhook receiver: records requests and answers the statuses it is told to."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status, json={"ok": status < 300})


@pytest.fixture
def hook() -> Hook:
    return Hook()


@pytest.fixture
def network(tmp_path: Path, hook: Hook) -> Iterator[SandboxNetwork]:
    net = SandboxNetwork(tmp_path / "net.db", public_url="http://sandbox.test",
                         http=httpx.Client(transport=httpx.MockTransport(hook)), retry_base=0.02, max_attempts=4)
    net.register_brand(Brand("brand-1", "Brand One", "http://compris.test/webhooks/1", SECRET, TOKEN, "x"))
    yield net
    net.close()


@pytest.fixture
def client(network: SandboxNetwork) -> TestClient:
    return TestClient(create_network_app(network))


def simulate(client: TestClient, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"brand": "brand-1", "author": {"id": "cust-1", "handle": "@cust", "name": "Cust One",
                                                            "followers": 12}, "kind": "post", "text": "Hello"}
    body.update(fields)
    response = client.post("/api/simulate", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def brand_messages(client: TestClient, thread_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/threads/{thread_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    return [m for m in response.json()["messages"] if m["from"] == "brand"]


# --- brand API ------------------------------------------------------------------------------------------


def test_the_brand_api_needs_the_brands_token(client: TestClient) -> None:
    assert client.get("/api/me").status_code == 401
    wrong = client.get("/api/me", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid token"}
    assert client.post("/api/threads/x/replies", json={"text": "hi"}).status_code == 401
    me = client.get("/api/me", headers=AUTH)
    assert me.status_code == 200
    assert me.json() == {"name": "Brand One", "external_id": "brand-1"}


def test_a_repeated_idempotency_key_gives_the_same_reply_once(client: TestClient) -> None:
    # given a customer's post
    post = simulate(client, text="My bag is lost")
    headers = {**AUTH, "Idempotency-Key": "outbox-1"}
    # when the brand sends the same reply twice (a retry after a timeout)
    first = client.post(f"/api/threads/{post['thread_id']}/replies", json={"text": "Sorry!", "reply_to": post["id"]},
                        headers=headers)
    second = client.post(f"/api/threads/{post['thread_id']}/replies", json={"text": "Sorry!", "reply_to": post["id"]},
                         headers=headers)
    # then one reply exists, and both calls answered the same
    assert first.status_code == 201
    assert second.status_code == 201
    assert first.json() == second.json()
    assert first.json()["thread_id"] == post["thread_id"]
    assert second.headers.get("idempotent-replayed") == "true"
    replies = brand_messages(client, post["thread_id"])
    assert [r["id"] for r in replies] == [first.json()["id"]]
    assert replies[0]["reply_to"] == post["id"]
    # and the same key for another request is refused
    other = client.post(f"/api/threads/{post['thread_id']}/replies", json={"text": "Other"}, headers=headers)
    assert other.status_code == 422
    assert "error" in other.json()


def test_a_private_reply_goes_to_the_customers_dm_thread(client: TestClient) -> None:
    dm = simulate(client, kind="dm", text="Booking ABC123, please help")
    assert dm["thread_id"] == "dm-cust-1"  # SandboxConnector.private_thread_key
    answer = client.post("/api/dm/cust-1/messages", json={"text": "On it", "reply_to": dm["id"]},
                         headers={**AUTH, "Idempotency-Key": "k-dm"})
    assert answer.status_code == 201
    assert answer.json()["thread_id"] == "dm-cust-1"
    thread = client.get("/api/threads/dm-cust-1", headers=AUTH).json()
    assert [(m["from"], m["text"]) for m in thread["messages"]] == [("customer", "Booking ABC123, please help"),
                                                                     ("brand", "On it")]
    assert thread["kind"] == "dm"
    assert client.post("/api/dm/nobody/messages", json={"text": "hi"}, headers=AUTH).status_code == 404


def test_brand_api_errors_are_json(client: TestClient) -> None:
    post = simulate(client)
    url = f"/api/threads/{post['thread_id']}/replies"
    assert client.post("/api/threads/nope/replies", json={"text": "hi"}, headers=AUTH).json() == {
        "error": "no such thread"}
    assert client.post(url, json={"text": "   "}, headers=AUTH).status_code == 400
    too_long = client.post(url, json={"text": "x" * 1001}, headers=AUTH)
    assert too_long.status_code == 400
    assert "1000" in too_long.json()["error"]
    assert client.post(url, json={"text": 5}, headers=AUTH).status_code == 400
    assert client.get("/api/threads/nope", headers=AUTH).status_code == 404
    assert client.post("/api/threads/dm-cust-1/replies", json={"text": "hi"}, headers=AUTH).status_code == 404


def test_injected_faults_fail_the_next_calls_and_store_nothing(client: TestClient) -> None:
    post = simulate(client)
    url = f"/api/threads/{post['thread_id']}/replies"
    assert client.post("/api/_faults", json={"fail_next": 2, "status": 503, "retry_after": 1}).status_code == 200
    for _ in range(2):
        failed = client.post(url, json={"text": "Hello"}, headers={**AUTH, "Idempotency-Key": "k1"})
        assert failed.status_code == 503
        assert failed.headers["retry-after"] == "1"
        assert "error" in failed.json()
    assert brand_messages(client, post["thread_id"]) == []
    ok = client.post(url, json={"text": "Hello"}, headers={**AUTH, "Idempotency-Key": "k1"})
    assert ok.status_code == 201
    assert len(brand_messages(client, post["thread_id"])) == 1
    assert client.get("/api/_faults").json()["fail_next"] == 0
    # an unauthenticated call does not use up a fault
    client.post("/api/_faults", json={"fail_next": 1, "status": 500})
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=AUTH).status_code == 500
    assert client.get("/api/me", headers=AUTH).status_code == 200


# --- deliveries -------------------------------------------------------------------------------------------


def _context() -> AccountContext:
    return AccountContext(account_id=1, workspace_id=1, network="sandbox", external_id="brand-1",
                          secrets={"webhook_secret": SECRET, "api_token": TOKEN})


def _as_webhook(request: httpx.Request) -> WebhookRequest:
    return WebhookRequest(method=request.method, headers={k.lower(): v for k, v in request.headers.items()},
                          query={}, body=request.content)


def test_a_delivery_is_signed_and_parses_as_the_connector_expects(client: TestClient, hook: Hook) -> None:
    posted = simulate(client, text="Lost luggage on AC 2231", promoted=True, reshares=120, wait=True,
                      author={"id": "cust-9", "handle": "@nine", "name": "Nine", "followers": 48000, "verified": True},
                      attachments=[{"kind": "image", "url": "https://example.com/a.png", "name": "a.png",
                                    "mime_type": "image/png"}])
    assert posted["status"] == 200
    assert posted["state"] == "delivered"
    [request] = hook.requests
    assert str(request.url) == "http://compris.test/webhooks/1"
    connector = SandboxConnector()
    webhook = _as_webhook(request)
    connector.verify(_context(), webhook)  # raises when the signature is wrong
    assert connector.event_id(_context(), webhook) == posted["event_id"]
    [message] = connector.parse(_context(), request.content).messages
    assert message.platform_message_id == posted["id"]
    assert message.thread_key == posted["thread_id"]
    assert message.visibility is Visibility.PUBLIC
    assert message.author.followers == 48000 and message.author.verified
    assert message.promoted and message.reshares == 120
    assert message.attachments[0].mime_type == "image/png"
    assert message.created_at.tzinfo is not None
    assert message.permalink and message.permalink.startswith("http://sandbox.test/")


def test_comments_carry_their_posts_thread(client: TestClient, hook: Hook) -> None:
    post = simulate(client, text="Where is my parcel?", wait=True)
    comment = simulate(client, kind="comment", thread_id=post["thread_id"], text="Same here", wait=True,
                       author={"id": "cust-2", "name": "Two"})
    assert comment["thread_id"] == post["thread_id"]
    [message] = SandboxConnector().parse(_context(), hook.requests[-1].content).messages
    assert message.thread_key == post["thread_id"]
    assert message.reply_to_platform_id == post["id"]
    assert message.thread_title == "Where is my parcel?"
    missing = client.post("/api/simulate", json={"brand": "brand-1", "author": {"id": "x"}, "kind": "comment",
                                                 "text": "hi", "thread_id": "nope"})
    assert missing.status_code == 404


def test_a_failed_delivery_is_retried_with_the_same_event(client: TestClient, network: SandboxNetwork,
                                                          hook: Hook) -> None:
    hook.statuses = [503, 500]
    posted = simulate(client, text="Retry me")
    wait_for(lambda: network.store.delivery(1) is not None and network.store.delivery(1).state == "delivered")  # type: ignore[union-attr]
    assert len(hook.requests) == 3
    assert len({r.content for r in hook.requests}) == 1  # the same event each time
    for request in hook.requests:
        SandboxConnector().verify(_context(), _as_webhook(request))
    state = client.get("/api/deliveries/1").json()
    assert state["attempts"] == 3 and state["last_status"] == 200 and state["message_id"] == posted["id"]


def test_a_delivery_that_keeps_failing_is_marked_failed_and_can_be_redelivered(
        client: TestClient, network: SandboxNetwork, hook: Hook) -> None:
    hook.statuses = [500] * 4
    simulate(client, text="Never arrives")
    wait_for(lambda: client.get("/api/deliveries/1").json()["state"] == "failed")
    assert len(hook.requests) == 4
    page = client.get("/?brand=brand-1").text
    assert "delivery failed after 4 attempts" in page
    assert network.redeliver(1)
    wait_for(lambda: client.get("/api/deliveries/1").json()["state"] == "delivered")


def test_a_synchronous_delivery_answers_the_webhooks_status(client: TestClient, hook: Hook) -> None:
    hook.statuses = [401]
    posted = simulate(client, wait=True)
    assert posted["status"] == 401
    assert posted["state"] == "retrying"


# --- registration, page, live traffic -----------------------------------------------------------------------


def test_brands_are_registered_through_the_api_without_showing_secrets(client: TestClient) -> None:
    created = client.post("/api/brands", json={"external_id": "b2", "name": "Two", "webhook_url": "http://c/webhooks/2",
                                               "webhook_secret": "s" * 20, "api_token": "t" * 20})
    assert created.status_code == 201
    listed = client.get("/api/brands").json()
    assert {b["external_id"] for b in listed} == {"brand-1", "b2"}
    assert "ssssssss" not in str(listed) and "tttttttt" not in str(listed)
    assert client.get("/api/me", headers={"Authorization": "Bearer " + "t" * 20}).json()["name"] == "Two"
    bad = client.post("/api/brands", json={"external_id": "b3", "name": "Three", "webhook_secret": "s" * 20,
                                           "api_token": "u" * 20})
    assert bad.status_code == 400


def test_the_page_escapes_customer_text_and_refreshes_from_a_static_script(client: TestClient) -> None:
    simulate(client, text="<script>alert(1)</script> & co", author={"id": "evil", "name": "<b>Eve</b>"})
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "<script>" not in html and "<b>Eve" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/sandbox.js" defer>']
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/sandbox.js").status_code == 200
    version = re.search(r'data-version="(\d+)"', html)
    assert version is not None
    assert client.get(f"/feed?brand=brand-1&since={version.group(1)}").status_code == 204
    simulate(client, text="something new")
    fresh = client.get(f"/feed?brand=brand-1&since={version.group(1)}")
    assert fresh.status_code == 200 and "something new" in fresh.text


def test_posting_as_a_customer_from_the_page(client: TestClient, network: SandboxNetwork, hook: Hook) -> None:
    html = client.get("/").text
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    assert token is not None
    response = client.post("/post", data={"form_token": token.group(1), "brand": "brand-1", "persona_id": "new",
                                          "name": "Zoé Testa", "handle": "zoe_t", "followers": "300",
                                          "verified": "1", "kind": "dm", "text": "Bonjour !", "promoted": "1"},
                           follow_redirects=False)
    assert response.status_code == 303
    wait_for(lambda: len(hook.requests) == 1)
    [message] = SandboxConnector().parse(_context(), hook.requests[0].content).messages
    assert message.visibility is Visibility.PRIVATE
    assert message.author.handle == "@zoe_t" and message.author.verified and message.author.followers == 300
    assert message.thread_key == f"dm-{message.author.platform_user_id}"
    forged = client.post("/post", data={"form_token": "forged", "brand": "brand-1", "persona_id": "new",
                                        "name": "X", "kind": "post", "text": "hi"})
    assert forged.status_code == 403


def test_live_traffic_posts_random_story_messages(network: SandboxNetwork, hook: Hook) -> None:
    posted = network.live.tick("brand-1")
    assert posted is not None
    wait_for(lambda: len(hook.requests) == 1)
    network.live.start("brand-1", 2)
    assert network.live.interval("brand-1") == 2
    network.live.stop("brand-1")
    assert network.live.interval("brand-1") is None


def test_the_version_moves_only_when_something_changed(network: SandboxNetwork) -> None:
    # given a store with a message
    version = network.store.version()
    # when a transaction writes nothing (the deliverer looking for due deliveries, none due)
    network.store.claim_due(datetime.now(UTC))
    with network.store.transaction():
        pass
    # then the page has no reason to reload
    assert network.store.version() == version
    # and a real change moves it
    network.store.upsert_brand(Brand("brand-2", "Brand Two", "http://compris.test/webhooks/2", "s" * 16, "t" * 16, "x"))
    assert network.store.version() > version
