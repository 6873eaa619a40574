"""Survey answers on X: the DM endpoint takes text only, so the choices are written in the text; an answer
given with a legacy quick-reply option comes back as ``extra["choice"]``."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import SendError, Visibility
from compris.connectors.x import XConnector

from ..choices import RATINGS
from ..standin import Reply, StandIn
from .test_x import account, outbound

CONNECTOR = XConnector()


def test_choices_are_written_in_the_direct_message(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/dm_conversations/with/2200000000000000042/messages",
           Reply(201, fixture("x", "dm_send_201.json")))
    survey = dataclasses.replace(outbound(Visibility.PRIVATE), text="How did we do? Reply 1 to 5.", choices=RATINGS)
    CONNECTOR.send(account(api_base=api.base_url), survey, http)
    assert api.only().json() == {"text": "How did we do? Reply 1 to 5.\n\n" + "\n".join(
        f"- {'⭐' * n}: https://compris.example/s/tok?r={n}" for n in range(5, 0, -1))}


def test_a_survey_is_never_a_public_post(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), dataclasses.replace(outbound(), choices=RATINGS), http)
    assert not caught.value.retryable
    assert api.requests == []


def test_a_quick_reply_response_is_the_choice() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("x", "dm_quick_reply_response.json")).messages
    assert message.extra["choice"] == "csat:46:5" and message.text == "⭐⭐⭐⭐⭐"
    (plain,) = CONNECTOR.parse(account(), fixture_bytes("x", "dm_received.json")).messages
    assert "choice" not in plain.extra
