"""Survey answers on Messenger: quick replies out, the tapped payload back as ``extra["choice"]``."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import PRIVATE_REPLY_TO_COMMENT, Choice, OutboundMessage, SendError, Visibility
from compris.connectors.facebook import FacebookConnector

from ..choices import RATINGS
from ..standin import Reply, StandIn
from .test_facebook import PAGE, account, reply

CONNECTOR = FacebookConnector()


def survey(**extra: object) -> OutboundMessage:
    last = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    return dataclasses.replace(reply(Visibility.PRIVATE, last_customer_message_at=last, **extra),
                               text="Comment avez-vous trouvé notre aide ?", choices=RATINGS)


def test_choices_are_sent_as_quick_replies(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    CONNECTOR.send(account(api), survey(), http)
    assert api.only().json() == {
        "recipient": {"id": "7100000000000042"}, "messaging_type": "RESPONSE",
        "message": {"text": "Comment avez-vous trouvé notre aide ?", "quick_replies": [
            {"content_type": "text", "title": "⭐" * n, "payload": f"csat:42:{n}"} for n in range(5, 0, -1)]}}


def test_long_labels_are_shortened_to_20_characters(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    long = (Choice("Très satisfait de l'échange", "csat:1:5"), Choice("Pas satisfait du tout", "csat:1:1"))
    CONNECTOR.send(account(api), dataclasses.replace(survey(), choices=long), http)
    titles = [q["title"] for q in api.only().json()["message"]["quick_replies"]]
    assert titles == ["Très satisfait de l…", "Pas satisfait du to…"]
    assert all(len(t) <= 20 for t in titles)


def test_more_than_13_choices_are_written_in_the_text(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    many = tuple(Choice(str(n), f"csat:1:{n}") for n in range(14))
    CONNECTOR.send(account(api), dataclasses.replace(survey(), choices=many), http)
    message = api.only().json()["message"]
    assert "quick_replies" not in message and message["text"].endswith("- 12\n- 13")


def test_a_survey_after_24_hours_is_refused_not_tagged_human_agent(api: StandIn, http: httpx.Client) -> None:
    last = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), dataclasses.replace(survey(), extra={"last_customer_message_at": last}),
                       http)
    assert not caught.value.retryable and "24 hours" in caught.value.reason
    assert api.requests == []
    window = CONNECTOR.choices_window(datetime.now(UTC) - timedelta(hours=30), datetime.now(UTC))
    assert not window.open and "24 hours" in (window.reason or "")
    assert CONNECTOR.choices_window(datetime.now(UTC) - timedelta(hours=2), datetime.now(UTC)).open


def test_a_private_reply_to_a_comment_writes_the_choices_in_its_text(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    message = dataclasses.replace(survey(**{PRIVATE_REPLY_TO_COMMENT: "555_900"}),
                                  choices=RATINGS[:2])
    CONNECTOR.send(account(api), message, http)
    body = api.only().json()
    assert body["recipient"] == {"comment_id": "555_900"}
    assert body["message"] == {"text": "Comment avez-vous trouvé notre aide ?\n\n"
                                       "- ⭐⭐⭐⭐⭐: https://compris.example/s/tok?r=5\n"
                                       "- ⭐⭐⭐⭐: https://compris.example/s/tok?r=4"}


def test_choices_are_never_sent_publicly(api: StandIn, http: httpx.Client) -> None:
    public = dataclasses.replace(reply(), choices=RATINGS)
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), public, http)
    assert not caught.value.retryable and "privately" in caught.value.reason
    assert api.requests == []


def test_a_tapped_quick_reply_is_the_choice_and_its_title_the_text() -> None:
    tapped, typed = CONNECTOR.parse(account(), fixture_bytes("facebook", "messenger_quick_reply.json")).messages
    assert tapped.extra["choice"] == "csat:42:4" and tapped.text == "⭐⭐⭐⭐"
    assert "choice" not in typed.extra and typed.text == "très satisfait, merci !"


def test_an_echo_of_our_quick_replies_is_no_answer() -> None:
    data = fixture("facebook", "messenger_quick_reply.json")
    event = data["entry"][0]["messaging"][0]
    event["sender"], event["recipient"] = event["recipient"], event["sender"]
    event["message"]["is_echo"] = True
    own = CONNECTOR.parse(account(), json.dumps(data).encode()).messages[0]
    assert own.is_own and "choice" not in own.extra
