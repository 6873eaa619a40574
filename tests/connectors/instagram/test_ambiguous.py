"""Instagram after an ambiguous send: Compris looks among the comment's replies and the conversation."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from compris.connectors.base import Attachment, ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .test_instagram import CONNECTOR, IG, account, outbound

QUEUED = "2026-03-02T10:00:00+00:00"
TEXT = "Désolés pour ce retard 🙏"


def test_a_502_is_ambiguous(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/v25.0/17900000000000001/replies", Reply(502, {"error": {"message": "Bad gateway", "code": 1}}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), outbound(Visibility.PUBLIC, top_level_comment_id="17900000000000001"), http)
    assert caught.value.ambiguous


def test_a_reply_is_found_under_the_top_level_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/v25.0/17900000000000001/replies", Reply(200, {"data": [
        {"id": "r1", "text": TEXT, "from": {"id": "1100000000000042", "username": "elodie"},
         "timestamp": "2026-03-02T10:00:01+0000"},
        {"id": "r2", "text": TEXT, "from": {"id": IG, "username": "aircompris"},
         "timestamp": "2026-03-02T10:00:02+0000"},
    ]}))
    message = outbound(Visibility.PUBLIC, top_level_comment_id="17900000000000001", queued_at=QUEUED)
    found = CONNECTOR.find_sent(account(api), message, http)
    assert found is not None and found.platform_message_id == "r2"
    assert "from" in api.only().query["fields"]


def test_a_reply_not_there_is_not_found(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/v25.0/17900000000000002/replies", Reply(200, {"data": []}))
    assert CONNECTOR.find_sent(account(api), outbound(Visibility.PUBLIC, queued_at=QUEUED), http) is None


def test_a_dm_is_found_through_the_conversations_api(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v25.0/{IG}/conversations", Reply(200, {"data": [{"id": "aWdfZ"}]}))
    api.on("GET", "/v25.0/aWdfZ/messages", Reply(200, {"data": [
        {"id": "mid.2", "message": TEXT, "from": {"id": IG}, "created_time": "2026-03-02T10:00:02+0000"}]}))
    found = CONNECTOR.find_sent(account(api), outbound(Visibility.PRIVATE, queued_at=QUEUED), http)
    assert found is not None and found.platform_message_id == "mid.2"
    assert api.requests[0].query["platform"] == "instagram"


def test_a_dm_with_files_cannot_be_recognised(http: httpx.Client) -> None:
    message = dataclasses.replace(outbound(Visibility.PRIVATE),
                                  attachments=(Attachment(kind="image", url="https://x/a.png"),))
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), message, http)
