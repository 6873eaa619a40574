"""Telegram: files are uploaded (multipart) with sendPhoto / sendVideo / sendAudio / sendDocument, one message each;
the text is the first file's caption when it fits 1,024 characters."""

from __future__ import annotations

import json

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import Attachment, SendError

from ..attachments import PDF, PNG, document, image, outbound
from ..standin import Recorded, Reply, StandIn
from .test_telegram import CONNECTOR, TOKEN, account, path


def form(request: Recorded) -> dict[str, object]:
    """The multipart form's fields (text) and files (name, bytes)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    fields: dict[str, object] = {}
    for part in request.body.split(b"--" + boundary)[1:-1]:
        head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
        disposition = head.split(b"\r\n")[0].decode()
        name = disposition.split('name="')[1].split('"')[0]
        if 'filename="' in disposition:
            fields[name] = (disposition.split('filename="')[1].split('"')[0], value)
        else:
            fields[name] = value.decode()
    return fields


def _answers(api: StandIn) -> None:
    photo, doc = fixture("telegram", "send_photo_200.json"), fixture("telegram", "send_photo_200.json")
    doc["result"] = {**doc["result"], "message_id": 433}
    api.on("POST", path("sendPhoto"), Reply(200, photo))
    api.on("POST", path("sendDocument"), Reply(200, doc))
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))


def test_the_text_is_the_caption_of_the_first_file(api: StandIn, http: httpx.Client) -> None:
    _answers(api)
    result = CONNECTOR.send(account(api), outbound("Votre carte d'embarquement", image(data=True),
                                                   document(data=True), thread_key="5512345678",
                                                   reply_to_platform_id="5512345678:412"), http)
    first, second = api.requests
    assert first.path == path("sendPhoto") and second.path == path("sendDocument")
    assert form(first) == {"chat_id": "5512345678", "caption": "Votre carte d'embarquement",
                           "reply_parameters": json.dumps({"message_id": 412, "allow_sending_without_reply": True}),
                           "photo": ("photo1.png", PNG)}
    assert form(second) == {"chat_id": "5512345678", "document": ("ticket.pdf", PDF)}
    assert result.platform_message_id == "5512345678:432"
    assert result.parts == {"attachment:0": "5512345678:432", "attachment:1": "5512345678:433"}


def test_a_long_text_goes_first_as_a_message(api: StandIn, http: httpx.Client) -> None:
    _answers(api)
    CONNECTOR.send(account(api), outbound("x" * 1500, document(data=True), thread_key="5512345678",
                                          reply_to_platform_id="5512345678:412"), http)
    text, doc = api.requests
    assert text.path == path("sendMessage") and text.json()["text"] == "x" * 1500
    assert text.json()["reply_parameters"]["message_id"] == 412
    assert "caption" not in form(doc) and "reply_parameters" not in form(doc)


def test_a_retry_does_not_resend_a_delivered_file(api: StandIn, http: httpx.Client) -> None:
    _answers(api)
    CONNECTOR.send(account(api), outbound("Légende", image(data=True), document(data=True), thread_key="5512345678",
                                          progress={"attachment:0": "5512345678:432"}), http)
    (only,) = api.requests
    assert only.path == path("sendDocument")


def test_a_failed_file_keeps_what_went_out(api: StandIn, http: httpx.Client) -> None:
    _answers(api)
    api.on("POST", path("sendDocument"), Reply(429, fixture("telegram", "error_429.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), outbound("Légende", image(data=True), document(data=True),
                                              thread_key="5512345678"), http)
    assert caught.value.retryable and caught.value.retry_after == 35
    assert caught.value.progress == {"attachment:0": "5512345678:432"}


def test_kinds_and_rules(api: StandIn, http: httpx.Client) -> None:
    rules = CONNECTOR.limits.attachment_rules("private")
    assert rules is not None and rules == CONNECTOR.limits.attachment_rules("public") and not rules.public_url
    big = Attachment(kind="image", name="big.png", mime_type="image/png", size=11 * 1024 * 1024)
    assert "too large" in (rules.refusal("Telegram", [big], has_text=True) or "")
    svg = Attachment(kind="file", name="x.svg", mime_type="image/svg+xml", size=10)
    assert rules.refusal("Telegram", [svg], has_text=True)
    api.on("POST", path("sendVideo"), Reply(200, fixture("telegram", "send_photo_200.json")))
    api.on("POST", path("sendAudio"), Reply(200, fixture("telegram", "send_photo_200.json")))
    video = Attachment(kind="video", name="v.mp4", mime_type="video/mp4", size=3, data=b"abc")
    voice = Attachment(kind="audio", name="v.mp3", mime_type="audio/mpeg", size=3, data=b"abc")
    CONNECTOR.send(account(api), outbound("", video, voice, thread_key="5512345678"), http)
    assert [r.path for r in api.requests] == [path("sendVideo"), path("sendAudio")]
    assert [list(form(r)) for r in api.requests] == [["chat_id", "video"], ["chat_id", "audio"]]
    assert all(TOKEN in r.path for r in api.requests)


def test_a_file_without_its_bytes_is_refused(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), outbound("x", image(), thread_key="5512345678"), http)
    assert not caught.value.retryable and api.requests == []
