"""Answers to pick on the sandbox network: the brand offers them on a private message, the customer taps one on
the page (or through the simulation API), the delivery carries its payload, which the connector reads as
``extra["choice"]`` — and the full loop through Compris."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.connectors.base import AccountContext, Author, Choice, OutboundMessage, SendError, Visibility
from compris.connectors.sandbox import SandboxConnector
from compris.inbox.actions.outbox import queue_outbound
from compris.models import Case, Message
from compris.sandbox_network import SandboxNetwork, Store
from compris.sandbox_network.store import SCHEMA

from .test_app import AUTH, SECRET, TOKEN, Hook, client, hook, network, simulate, wait_for  # noqa: F401 - fixtures
from .test_round_trip import Live, _case_of, live  # noqa: F401 - fixture

CONNECTOR = SandboxConnector()
RATINGS = [Choice("⭐" * n, f"csat:7:{n}") for n in range(5, 0, -1)]


def context(base: str = "http://testserver") -> AccountContext:
    return AccountContext(account_id=1, workspace_id=1, network="sandbox", external_id="brand-1",
                          settings={"api_base": base}, secrets={"webhook_secret": SECRET, "api_token": TOKEN})


def survey(**fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {"idempotency_key": "survey-1", "text": "How did we do?", "visibility": Visibility.PRIVATE,
                              "thread_key": "dm-cust-1", "reply_to_platform_id": None,
                              "recipient": Author(platform_user_id="cust-1"), "choices": tuple(RATINGS)}
    values.update(fields)
    return OutboundMessage(**values)


def test_the_connector_offers_choices_and_the_network_keeps_them(client: TestClient) -> None:  # noqa: F811
    simulate(client, kind="dm", text="thanks, all sorted")
    result = CONNECTOR.send(context(), survey(), client)
    [brand] = [m for m in client.get("/api/threads/dm-cust-1", headers=AUTH).json()["messages"]
               if m["from"] == "brand"]
    assert brand["id"] == result.platform_message_id
    assert brand["choices"] == [{"label": c.label, "payload": c.payload} for c in RATINGS]
    again = CONNECTOR.send(context(), survey(), client)  # the same idempotency key: the same message
    assert again.platform_message_id == result.platform_message_id


def test_the_customer_taps_an_answer_on_the_page(client: TestClient, network: SandboxNetwork,  # noqa: F811
                                                 hook: Hook) -> None:  # noqa: F811
    simulate(client, kind="dm", text="thanks")
    labels = [Choice("<b>Great</b>", "csat:7:5"), Choice("Bad & slow", "csat:7:2")]
    CONNECTOR.send(context(), survey(choices=tuple(labels)), client)
    html = client.get("/?brand=brand-1").text
    assert "&lt;b&gt;Great&lt;/b&gt;" in html and "<b>Great</b>" not in html and "Bad &amp; slow" in html
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    message_id = re.search(r'name="message_id" value="([^"]+)"', html)
    assert token is not None and message_id is not None
    response = client.post("/choose", data={"form_token": token.group(1), "brand": "brand-1",
                                            "message_id": message_id.group(1), "index": "1"},
                           follow_redirects=False)
    assert response.status_code == 303
    wait_for(lambda: len(hook.requests) == 2)  # the first DM, then the tapped answer
    [answer] = CONNECTOR.parse(context(), hook.requests[1].content).messages
    assert answer.extra == {"choice": "csat:7:2"} and answer.text == "Bad & slow"
    assert answer.reply_to_platform_id == message_id.group(1) and answer.visibility is Visibility.PRIVATE
    assert "tapped an answer" in client.get("/?brand=brand-1").text
    forged = client.post("/choose", data={"form_token": "forged", "brand": "brand-1",
                                          "message_id": message_id.group(1), "index": "0"})
    assert forged.status_code == 403


def test_the_simulation_api_taps_answers_and_refuses_what_is_not_offered(client: TestClient,  # noqa: F811
                                                                         hook: Hook) -> None:  # noqa: F811
    simulate(client, kind="dm", text="done")
    sent = CONNECTOR.send(context(), survey(), client)
    tapped = client.post("/api/simulate/choice", json={"brand": "brand-1", "message_id": sent.platform_message_id,
                                                       "index": 0, "wait": True})
    assert tapped.status_code == 200 and tapped.json()["state"] == "delivered"
    [answer] = CONNECTOR.parse(context(), hook.requests[-1].content).messages
    assert answer.extra["choice"] == "csat:7:5" and answer.text == "⭐⭐⭐⭐⭐"
    for bad in ({"message_id": sent.platform_message_id, "index": 7}, {"message_id": "nope", "index": 0}):
        refused = client.post("/api/simulate/choice", json={"brand": "brand-1", **bad})
        assert refused.status_code == 404 and "error" in refused.json()


def test_the_network_refuses_choices_in_public_and_bad_choices(client: TestClient) -> None:  # noqa: F811
    post = simulate(client)
    public = client.post(f"/api/threads/{post['thread_id']}/replies", headers=AUTH,
                         json={"text": "rate us", "choices": [{"label": "5", "payload": "p"}]})
    assert public.status_code == 400 and "private" in public.json()["error"]
    simulate(client, kind="dm", text="hi")
    same_label = [{"label": "5", "payload": "a"}, {"label": "5", "payload": "b"}]
    twice = client.post("/api/dm/cust-1/messages", headers=AUTH, json={"text": "rate", "choices": same_label})
    assert twice.status_code == 400
    many = client.post("/api/dm/cust-1/messages", headers=AUTH,
                       json={"text": "rate", "choices": [{"label": str(n), "payload": str(n)} for n in range(11)]})
    assert many.status_code == 422


def test_the_connector_never_sends_choices_publicly(client: TestClient) -> None:  # noqa: F811
    try:
        CONNECTOR.send(context(), survey(visibility=Visibility.PUBLIC, thread_key="p-1"), client)
    except SendError as exc:
        assert not exc.retryable
    else:
        raise AssertionError("a public survey was sent")


def test_more_choices_than_buttons_are_written_in_the_text(client: TestClient) -> None:  # noqa: F811
    simulate(client, kind="dm", text="hi")
    many = tuple(Choice(str(n), f"nps:{n}") for n in range(11))
    CONNECTOR.send(context(), survey(choices=many), client)
    [brand] = [m for m in client.get("/api/threads/dm-cust-1", headers=AUTH).json()["messages"]
               if m["from"] == "brand"]
    assert brand["choices"] == [] and brand["text"].endswith("- 9\n- 10")


def test_the_tapped_answer_reaches_the_case_with_its_choice(live: Live) -> None:  # noqa: F811
    posted = live.simulate(kind="dm", text="Rebooked, thanks!", wait=True)
    live.run_jobs()
    case = _case_of(live, posted["id"])
    with live.runtime.db.transaction() as session:
        found = session.get(Case, case.id)
        assert found is not None
        queue_outbound(session, live.runtime.publisher, case=found, text="How satisfied are you?",
                       visibility="private", origin="survey", choices=RATINGS)
    live.run_jobs()
    [offer] = [m for m in live.thread("dm-cust-7") if m["from"] == "brand"]
    assert [c["payload"] for c in offer["choices"]] == [c.payload for c in RATINGS]
    tapped = live.http.post(f"{live.network}/api/simulate/choice",
                            json={"brand": "air-1", "message_id": offer["id"], "index": 1, "wait": True})
    assert tapped.status_code == 200 and tapped.json()["status"] == 200
    deadline = time.monotonic() + 10
    answer = None
    while answer is None:
        live.run_jobs()
        with live.runtime.db.transaction() as session:
            answer = session.scalar(select(Message).where(Message.platform_message_id == tapped.json()["id"]))
            if answer is not None:
                assert answer.text == "⭐⭐⭐⭐" and (answer.platform_extra or {})["choice"] == "csat:7:4"
        assert time.monotonic() < deadline, "the answer did not reach Compris"


def test_a_network_file_from_before_choices_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    start = SCHEMA.index("    response TEXT,\n")
    end = SCHEMA.index(");", start)
    old.executescript(SCHEMA[:start] + "    response TEXT\n" + SCHEMA[end:])  # the messages table before choices
    assert not {"choices", "choice", "rating"} & {r[1] for r in old.execute("PRAGMA table_info(messages)")}
    old.close()
    store = Store(path)
    try:
        assert {"choices", "choice", "rating"} <= {str(r["name"]) for r in store._read("PRAGMA table_info(messages)")}
    finally:
        store.close()
