"""Facebook: a photo on a comment reply (``attachment_url``); Messenger: the text, then one message per file."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import SendError, Visibility

from ..attachments import document, image, outbound
from ..standin import Reply, StandIn
from .test_facebook import CONNECTOR, PAGE, account


def test_a_comment_reply_carries_one_photo_by_url(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/v25.0/555_777/comments", Reply(200, fixture("facebook", "comment_200.json")))
    message = outbound("Voici le plan du terminal", image(), visibility=Visibility.PUBLIC,
                       reply_to_platform_id="555_777")
    CONNECTOR.send(account(api), message, http)
    assert api.only().json() == {"message": "Voici le plan du terminal", "attachment_url": image().url}


def test_a_comment_reply_may_be_only_a_photo_but_never_two(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/v25.0/555_777/comments", Reply(200, fixture("facebook", "comment_200.json")))
    CONNECTOR.send(account(api), outbound("", image(), visibility=Visibility.PUBLIC, reply_to_platform_id="555_777"),
                   http)
    assert api.only().json() == {"attachment_url": image().url}
    with pytest.raises(SendError, match="at most one photo"):
        CONNECTOR.send(account(api), outbound("x", image(1), image(2), visibility=Visibility.PUBLIC,
                                              reply_to_platform_id="555_777"), http)
    rules = CONNECTOR.limits.attachment_rules("public")
    assert rules is not None and rules.refusal("Facebook", [document()], has_text=True)


def test_messenger_sends_the_text_then_each_file(api: StandIn, http: httpx.Client) -> None:
    sent = fixture("facebook", "send_message_200.json")
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, sent), Reply(200, {**sent, "message_id": "m_2"}),
           Reply(200, {**sent, "message_id": "m_3"}))
    result = CONNECTOR.send(account(api), outbound("Votre billet", image(), document()), http)
    bodies = [r.json() for r in api.requests]
    assert bodies[0] == {"recipient": {"id": "cust-1"}, "messaging_type": "RESPONSE",
                         "message": {"text": "Votre billet"}}
    assert bodies[1] == {"recipient": {"id": "cust-1"}, "messaging_type": "RESPONSE", "message": {"attachment": {
        "type": "image", "payload": {"url": image().url, "is_reusable": False}}}}
    assert bodies[2]["message"]["attachment"]["type"] == "file"
    assert result.platform_message_id == "m_SentByCompris01"
    assert result.parts == {"text": "m_SentByCompris01", "attachment:0": "m_2", "attachment:1": "m_3"}


def test_a_retry_resumes_after_the_parts_already_sent(api: StandIn, http: httpx.Client) -> None:
    sent = fixture("facebook", "send_message_200.json")
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, sent), Reply(500, fixture("facebook", "error_500.json")),
           Reply(200, {**sent, "message_id": "m_2"}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), outbound("Votre billet", image()), http)
    assert caught.value.retryable and caught.value.progress == {"text": "m_SentByCompris01"}
    api.requests.clear()
    result = CONNECTOR.send(account(api), outbound("Votre billet", image(), progress=caught.value.progress), http)
    (again,) = api.requests  # the text is not sent twice
    assert "attachment" in again.json()["message"]
    assert result.parts == {"text": "m_SentByCompris01", "attachment:0": "m_2"}


def test_no_files_with_a_private_reply_to_a_comment(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError, match="one text message"):
        CONNECTOR.send(account(api), outbound("x", image(), extra={"private_reply_to_comment": "555_777"}), http)
    assert api.requests == []
