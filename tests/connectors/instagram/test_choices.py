"""Survey answers on Instagram DMs: quick replies out, the tapped payload back as ``extra["choice"]``."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import SendError, Visibility
from compris.connectors.instagram import InstagramConnector

from ..choices import THREE
from ..standin import Reply, StandIn
from .test_instagram import IG, account, outbound

CONNECTOR = InstagramConnector()


def test_choices_are_sent_as_quick_replies_inside_24_hours(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{IG}/messages", Reply(200, fixture("instagram", "send_200.json")))
    last = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    message = dataclasses.replace(outbound(Visibility.PRIVATE, last_customer_message_at=last), choices=THREE)
    CONNECTOR.send(account(api), message, http)
    assert api.only().json() == {
        "recipient": {"id": "1100000000000042"}, "messaging_type": "RESPONSE",
        "message": {"text": "Désolés pour ce retard 🙏", "quick_replies": [
            {"content_type": "text", "title": c.label, "payload": c.payload} for c in THREE]}}


def test_after_24_hours_and_in_public_the_survey_is_refused(api: StandIn, http: httpx.Client) -> None:
    late = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    for message in (dataclasses.replace(outbound(Visibility.PRIVATE, last_customer_message_at=late), choices=THREE),
                    dataclasses.replace(outbound(Visibility.PUBLIC), choices=THREE)):
        with pytest.raises(SendError) as caught:
            CONNECTOR.send(account(api), message, http)
        assert not caught.value.retryable
    assert api.requests == []


def test_a_tapped_quick_reply_is_the_choice() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("instagram", "dm_quick_reply.json")).messages
    assert message.extra["choice"] == "csat:43:5" and message.text == "😍"
    assert message.visibility is Visibility.PRIVATE
