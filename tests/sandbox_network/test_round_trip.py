"""The whole round trip over real HTTP: sandbox network → webhook → case → agent reply → network.

Compris (with the network mounted) runs in a real uvicorn server on a free local port, because the network
POSTs its webhooks over HTTP and the connector sends the replies over HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.channels.actions import create_account
from compris.config import Settings
from compris.inbox import actions
from compris.models import Case, ChannelAccount, DeliveryState, Message, Outbox, Upload, User
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.worker.queue import run_pending


@dataclass
class Live:
    base: str
    runtime: Runtime
    agent: User
    account: ChannelAccount
    http: httpx.Client

    @property
    def network(self) -> str:
        return f"{self.base}/sandbox-network"

    def simulate(self, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"brand": "air-1", "author": {"id": "cust-7", "handle": "@seven", "name": "Seven",
                                                             "followers": 1200}, "kind": "post", "text": "Hello"}
        body.update(fields)
        response = self.http.post(f"{self.network}/api/simulate", json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def thread(self, thread_id: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.network}/api/threads/{thread_id}",
                                 headers={"Authorization": "Bearer tok-air-1-abcdef"})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def run_jobs(self) -> int:
        return run_pending(self.runtime.services)

    def reply(self, case_id: int, text: str, visibility: str) -> int:
        with self.runtime.db.transaction() as session:
            case = session.get(Case, case_id)
            agent = session.get(User, self.agent.id)
            assert case is not None and agent is not None
            message = actions.add_reply(session, self.runtime.publisher, actor=agent, case=case, text=text,
                                        visibility=visibility)
            return message.id


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    live_settings = settings.model_copy(update={"sandbox": True, "base_url": base})
    runtime = Runtime.create(live_settings)
    with runtime.db.transaction() as session:
        workspace = accounts.create_workspace(session, slug="air", name="Air")
        agent = accounts.create_user(session, workspace=workspace, email="agent@air.test", name="Agent",
                                     password="correct horse battery")
        account = create_account(
            session, live_settings.secret_key, workspace_id=workspace.id, network="sandbox", name="Air on Sandbox",
            external_id="air-1", settings={"api_base": f"{base}/sandbox-network", "flavour": "x"},
            secrets={"webhook_secret": "whsec-air-1-abcdef", "api_token": "tok-air-1-abcdef"},
        )
    app = create_app(live_settings, runtime, workers=0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    http = httpx.Client(timeout=10)
    try:
        yield Live(base, runtime, agent, account, http)
    finally:
        http.close()
        server.should_exit = True
        thread.join(10)
        if runtime.listener is not None:
            # NotifyListener keeps its stop flag in ``_stop``, which shadows ``Thread._stop``: its ``join`` raises
            # TypeError once the thread has ended (reported to the lead). It is stopped; just forget it.
            runtime.listener.stop()
            runtime.listener = None
        runtime.stop()


def _case_of(live: Live, platform_message_id: str) -> Case:
    with live.runtime.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.platform_message_id == platform_message_id))
        assert message is not None, "the message was not ingested"
        case = session.get(Case, message.case_id)
        assert case is not None
        return case


def _outbox(live: Live, message_id: int) -> Outbox:
    with live.runtime.db.transaction() as session:
        outbox = session.scalar(select(Outbox).where(Outbox.message_id == message_id))
        assert outbox is not None
        return outbox


def test_a_public_post_becomes_a_case_and_the_reply_reaches_the_network(live: Live) -> None:
    # given a customer posts on the network (delivered now, over HTTP, to /webhooks/<id>)
    posted = live.simulate(text="My flight AC 2231 lost my bag", wait=True)
    assert posted["status"] == 200
    # when the jobs run, a case exists
    assert live.run_jobs() >= 1
    case = _case_of(live, posted["id"])
    # and an agent replies in public
    reply_id = live.reply(case.id, "We are so sorry — we are tracing your bag now.", "public")
    live.run_jobs()
    # then the network stored exactly one brand reply on that thread
    replies = [m for m in live.thread(posted["thread_id"]) if m["from"] == "brand"]
    assert [r["text"] for r in replies] == ["We are so sorry — we are tracing your bag now."]
    assert replies[0]["reply_to"] == posted["id"]
    outbox = _outbox(live, reply_id)
    assert outbox.state == DeliveryState.SENT and outbox.attempts == 1
    with live.runtime.db.transaction() as session:
        message = session.get(Message, reply_id)
        assert message is not None and message.platform_message_id == replies[0]["id"]
    # and running the jobs again sends nothing more
    live.run_jobs()
    assert len([m for m in live.thread(posted["thread_id"]) if m["from"] == "brand"]) == 1


def test_a_reply_that_meets_503s_is_retried_and_sent_once(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("compris.inbox.outbound.backoff", lambda *args, **kwargs: 0.0)
    posted = live.simulate(text="Where is my refund?", wait=True)
    live.run_jobs()
    case = _case_of(live, posted["id"])
    faults = live.http.post(f"{live.network}/api/_faults", json={"fail_next": 2, "status": 503})
    assert faults.status_code == 200
    reply_id = live.reply(case.id, "Sorry for the wait: your refund left today.", "public")
    live.run_jobs()  # the send job reschedules itself (backoff 0) until it succeeds
    replies = [m for m in live.thread(posted["thread_id"]) if m["from"] == "brand"]
    assert len(replies) == 1
    outbox = _outbox(live, reply_id)
    assert outbox.state == DeliveryState.SENT
    assert outbox.attempts == 3


def test_a_private_message_delivered_in_the_background_and_answered_privately(live: Live) -> None:
    posted = live.simulate(kind="dm", text="Booking K7QZ4P: can you rebook me?")
    assert posted["thread_id"] == "dm-cust-7"

    def delivered() -> bool:
        state = live.http.get(f"{live.network}/api/deliveries/1").json()
        return bool(state["state"] == "delivered")

    deadline = time.monotonic() + 10
    while not delivered():
        assert time.monotonic() < deadline, "the webhook was not delivered"
        time.sleep(0.05)
    live.run_jobs()
    case = _case_of(live, posted["id"])
    live.reply(case.id, "Done: you are on AC 0817 tomorrow.", "private")
    live.run_jobs()
    thread = live.thread("dm-cust-7")
    assert [(m["from"], m["text"]) for m in thread] == [
        ("customer", "Booking K7QZ4P: can you rebook me?"), ("brand", "Done: you are on AC 0817 tomorrow.")]


def test_the_network_page_is_served_inside_compris(live: Live) -> None:
    live.simulate(text="<i>hello</i> from the page test", wait=True)
    page = live.http.get(f"{live.network}/")
    assert page.status_code == 200
    assert "&lt;i&gt;hello&lt;/i&gt; from the page test" in page.text
    assert "Air on Sandbox" in page.text
    assert live.http.get(f"{live.network}/static/sandbox.css").status_code == 200
    redirect = live.http.get(live.network, follow_redirects=False)
    assert redirect.status_code in (307, 308) and redirect.headers["location"].endswith("/sandbox-network/")
    # a brand cannot be registered from outside: in Compris, brands are its sandbox channel accounts
    refused = live.http.post(f"{live.network}/api/brands", json={
        "external_id": "x", "name": "X", "webhook_url": "http://x/", "webhook_secret": "s" * 10, "api_token": "t" * 10})
    assert refused.status_code == 403


def test_a_reply_with_an_attachment_reaches_the_network_and_its_link_serves_the_file(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.uploads import actions as upload_actions

    monkeypatch.setattr("compris.inbox.outbound.backoff", lambda *args, **kwargs: 0.0)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(100))
    # given a customer's post and a file the agent uploaded
    posted = live.simulate(text="Which gate for AC 2231?", wait=True)
    live.run_jobs()
    case = _case_of(live, posted["id"])
    with live.runtime.db.transaction() as session:
        agent = session.get(User, live.agent.id)
        assert agent is not None
        upload = upload_actions.store_upload(session, live.runtime.settings.data_dir, actor=agent, data=png,
                                             name="gate map.png", max_bytes=10_000)
        upload_id = upload.id
    # when the agent replies with it, and the network fails once (the retry must not duplicate it)
    live.http.post(f"{live.network}/api/_faults", json={"fail_next": 1, "status": 503})
    with live.runtime.db.transaction() as session:
        case_row = session.get(Case, case.id)
        agent = session.get(User, live.agent.id)
        stored = session.get(Upload, upload_id)
        assert case_row is not None and agent is not None and stored is not None
        reply_id = actions.add_reply(session, live.runtime.publisher, actor=agent, case=case_row,
                                     text="Gate B12, here is the map.", visibility="public",
                                     attachments=[stored]).id
    live.run_jobs()
    live.run_jobs()
    # then the network holds one reply with the file's signed link, and the link serves the bytes
    (reply,) = [m for m in live.thread(posted["thread_id"]) if m["from"] == "brand"]
    (attachment,) = reply["attachments"]
    assert attachment["kind"] == "image" and attachment["name"] == "gate map.png"
    assert attachment["url"].startswith(f"{live.base}/media/")
    fetched = live.http.get(attachment["url"])
    assert fetched.status_code == 200 and fetched.content == png
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert _outbox(live, reply_id).state == DeliveryState.SENT


def test_a_review_with_its_stars_reaches_the_case_and_triage(live: Live) -> None:
    # given a customer leaves a two-star review that reads politely (on a review-site flavoured account)
    posted = live.simulate(text="The room was fine I suppose. Breakfast ended at 9.", rating=2, wait=True)
    assert posted["status"] == 200
    assert live.thread(posted["thread_id"])[0]["rating"] == 2
    live.run_jobs()
    case = _case_of(live, posted["id"])
    with live.runtime.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.platform_message_id == posted["id"]))
        assert message is not None
        # then the stars are kept on the message and decide triage: a complaint with negative sentiment
        assert message.rating == 2
        assert message.triage["rating"] == 2
        assert message.triage["intent"] == "complaint" and message.triage["sentiment"] == "negative"
        assert "rating: 2 stars" in message.triage["notes"]
    assert case.triage["rating"] == 2


def test_a_rating_goes_only_on_a_post_and_within_one_to_five(live: Live) -> None:
    for fields in ({"rating": 6}, {"rating": 0}, {"rating": "x"}):
        response = live.http.post(f"{live.network}/api/simulate", json={
            "brand": "air-1", "author": {"id": "c"}, "kind": "post", "text": "hi", **fields})
        assert response.status_code == 422
    response = live.http.post(f"{live.network}/api/simulate", json={
        "brand": "air-1", "author": {"id": "c"}, "kind": "dm", "text": "hi", "rating": 4})
    assert response.status_code == 400 and "rating" in response.text
