"""Inbound attachments: each connector fetches a customer's file with the platform's auth where it needs it, never
sends a credential elsewhere, caps the size while it reads, and says why a file cannot be had."""

from __future__ import annotations

import logging

import httpx
import pytest

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import Attachment, Connector, FetchError, InboundFile, download
from compris.connectors.bluesky import BlueskyConnector
from compris.connectors.email import mime
from compris.connectors.facebook import FacebookConnector
from compris.connectors.mastodon import MastodonConnector
from compris.connectors.vk import VKConnector

from .email.test_email import CONNECTOR as EMAIL
from .email.test_email import account as email_account
from .standin import Reply, StandIn
from .telegram.test_telegram import CONNECTOR as TELEGRAM
from .telegram.test_telegram import TOKEN
from .telegram.test_telegram import account as telegram_account
from .whatsapp.test_whatsapp import CONNECTOR as WHATSAPP
from .whatsapp.test_whatsapp import account as whatsapp_account
from .x.test_x import CONNECTOR as X
from .x.test_x import account as x_account

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg" * 100
MAX = 1_000_000


def image(url: str | None, **kw: object) -> InboundFile:
    return InboundFile(index=0, attachment=Attachment(kind="image", url=url), **kw)  # type: ignore[arg-type]


# --- the default: a public address, fetched without credentials --------------------------------------------------


@pytest.mark.parametrize("connector", [FacebookConnector(), MastodonConnector(), BlueskyConnector(), VKConnector()],
                         ids=lambda c: c.network)
def test_public_cdn_files_are_fetched_without_credentials(connector: Connector, api: StandIn,
                                                          http: httpx.Client) -> None:
    api.on("GET", "/cdn/p.jpg", Reply(200, body=JPEG))
    from compris.connectors.base import AccountContext

    account = AccountContext(account_id=1, workspace_id=1, network=connector.network, external_id="me",
                             secrets={"access_token": "secret-token", "page_access_token": "secret-token"})
    file = image(f"{api.base_url}/cdn/p.jpg")
    assert connector.fetchable(file)
    fetched = connector.fetch_attachment(account, file, http, max_bytes=MAX)
    assert fetched.data == JPEG and fetched.name == "p.jpg"
    assert "authorization" not in api.only().headers


def test_links_locations_and_vk_pages_are_not_files() -> None:
    assert not FacebookConnector().fetchable(InboundFile(0, Attachment(kind="location", url="https://maps.example")))
    assert not FacebookConnector().fetchable(InboundFile(0, Attachment(kind="link", url="https://a.example/x")))
    assert not FacebookConnector().fetchable(InboundFile(0, Attachment(kind="image", url="javascript:alert(1)")))
    assert not VKConnector().fetchable(InboundFile(0, Attachment(kind="video", url="https://vk.com/video-1_2")))
    assert VKConnector().fetchable(InboundFile(0, Attachment(kind="image", url="https://sun9-1.userapi.com/a.jpg")))
    assert not BlueskyConnector().fetchable(InboundFile(0, Attachment(kind="video", url=None)))


def test_the_size_is_capped_while_reading(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/declared", Reply(200, body=JPEG, headers={"Content-Length": str(len(JPEG))}))
    with pytest.raises(FetchError) as declared:
        download(http, f"{api.base_url}/declared", max_bytes=100, network="Test")
    assert declared.value.code == "too_large" and not declared.value.retryable


@pytest.mark.parametrize(("status", "code", "retryable"), [
    (404, "not_found", False), (410, "not_found", False), (401, "refused", False), (403, "refused", False),
    (400, "refused", False), (429, "unavailable", True), (500, "unavailable", True), (503, "unavailable", True)])
def test_what_each_status_means(api: StandIn, http: httpx.Client, status: int, code: str, retryable: bool) -> None:
    api.on("GET", "/f", Reply(status, {"error": "x"}, headers={"Retry-After": "7"}))
    with pytest.raises(FetchError) as caught:
        download(http, f"{api.base_url}/f", max_bytes=MAX, network="Test")
    assert caught.value.code == code and caught.value.retryable is retryable
    assert api.base_url not in caught.value.reason
    if retryable:
        assert caught.value.retry_after == 7


def test_a_timeout_is_retried(api: StandIn) -> None:
    api.on("GET", "/slow", Reply(200, body=JPEG, delay=0.5))
    with httpx.Client() as client:
        original = client.stream

        def short(*args: object, **kw: object) -> object:
            kw["timeout"] = 0.1
            return original(*args, **kw)  # type: ignore[arg-type]

        client.stream = short  # type: ignore[method-assign]
        with pytest.raises(FetchError) as caught:
            download(client, f"{api.base_url}/slow", max_bytes=MAX, network="Test")
    assert caught.value.retryable


def test_reserved_names_are_never_fetched(http: httpx.Client) -> None:
    for url in ("https://cdn.example/x.png", "http://sandbox.invalid/a", "http://localhost/x", "https://a.test/b"):
        with pytest.raises(FetchError) as caught:
            download(http, url, max_bytes=MAX, network="Test")
        assert caught.value.code == "unavailable"


# --- WhatsApp: media id → GET /{media-id} with the token → url → GET with the token --------------------------------


def test_whatsapp_fetches_the_media_in_two_steps_with_the_token(api: StandIn, http: httpx.Client) -> None:
    body = fixture_bytes("whatsapp", "messages_batch.json")
    _text, parsed, _doc = WHATSAPP.parse(whatsapp_account(), body).messages
    media_id = parsed.extra["media"][0]["id"]
    api.on("GET", f"/v25.0/{media_id}", Reply(200, {"url": f"{api.base_url}/lookaside/whatsapp_business/?mid=1",
                                                     "mime_type": "image/jpeg", "file_size": len(JPEG),
                                                     "id": media_id, "messaging_product": "whatsapp"}))
    api.on("GET", "/lookaside/whatsapp_business/", Reply(200, body=JPEG))
    file = InboundFile(index=0, attachment=parsed.attachments[0], extra=parsed.extra)
    assert WHATSAPP.fetchable(file)
    fetched = WHATSAPP.fetch_attachment(whatsapp_account(api), file, http, max_bytes=MAX)
    assert fetched.data == JPEG and fetched.mime_type == "image/jpeg"
    lookup, download_ = api.requests
    assert lookup.headers["authorization"] == "Bearer wa-token" and "appsecret_proof" in lookup.query
    assert download_.path == "/lookaside/whatsapp_business/" and download_.headers["authorization"] == "Bearer wa-token"


def test_whatsapp_too_large_and_expired_media(api: StandIn, http: httpx.Client) -> None:
    extra = {"media": [{"id": "111"}, {"id": "222"}]}
    api.on("GET", "/v25.0/111", Reply(200, {"url": f"{api.base_url}/x", "file_size": MAX + 1}))
    api.on("GET", "/v25.0/222", Reply(404, {"error": {"message": "Unsupported get request", "code": 100}}))
    with pytest.raises(FetchError) as big:
        WHATSAPP.fetch_attachment(whatsapp_account(api), InboundFile(0, Attachment(kind="image"), extra), http,
                                  max_bytes=MAX)
    assert big.value.code == "too_large" and len(api.requests) == 1  # never downloaded
    with pytest.raises(FetchError) as gone:
        WHATSAPP.fetch_attachment(whatsapp_account(api), InboundFile(1, Attachment(kind="image"), extra), http,
                                  max_bytes=MAX)
    assert gone.value.code == "not_found" and not gone.value.retryable
    assert not WHATSAPP.fetchable(InboundFile(0, Attachment(kind="image"), {}))


# --- Telegram: file_id → getFile → /file/bot<token>/<path>; the token never in a reason or a log line ---------------


def test_telegram_fetches_through_get_file(api: StandIn, http: httpx.Client,
                                           caplog: pytest.LogCaptureFixture) -> None:
    parsed = TELEGRAM.parse(telegram_account(), fixture_bytes("telegram", "message_photo.json")).messages[0]
    file = InboundFile(index=0, attachment=parsed.attachments[0], extra=parsed.extra)
    assert TELEGRAM.fetchable(file)
    api.on("POST", f"/bot{TOKEN}/getFile", Reply(200, fixture("telegram", "get_file_200.json")))
    api.on("GET", f"/file/bot{TOKEN}/photos/file_12.jpg", Reply(200, body=JPEG))
    with caplog.at_level(logging.INFO, logger="httpx"):
        fetched = TELEGRAM.fetch_attachment(telegram_account(api), file, http, max_bytes=MAX)
    assert fetched.data == JPEG and fetched.name == "file_12.jpg"
    get_file, got = api.requests
    assert get_file.json() == {"file_id": parsed.extra["files"][0]["file_id"]}
    assert got.method == "GET"
    assert TOKEN not in caplog.text


def test_telegram_errors_never_show_the_token(api: StandIn, http: httpx.Client) -> None:
    extra = {"files": [{"file_id": "F1"}]}
    api.on("POST", f"/bot{TOKEN}/getFile", Reply(200, fixture("telegram", "get_file_200.json")))
    api.on("GET", f"/file/bot{TOKEN}/photos/file_12.jpg", Reply(404, {"ok": False}))
    with pytest.raises(FetchError) as gone:
        TELEGRAM.fetch_attachment(telegram_account(api), InboundFile(0, Attachment(kind="image"), extra), http,
                                  max_bytes=MAX)
    assert gone.value.code == "not_found" and TOKEN not in str(gone.value)
    api.on("POST", f"/bot{TOKEN}/getFile", Reply(400, fixture("telegram", "error_400_file_too_big.json")))
    with pytest.raises(FetchError) as big:
        TELEGRAM.fetch_attachment(telegram_account(api), InboundFile(0, Attachment(kind="image"), extra), http,
                                  max_bytes=MAX)
    assert big.value.code == "too_large" and TOKEN not in str(big.value)
    api.on("POST", f"/bot{TOKEN}/getFile", Reply(502, fixture("telegram", "error_502.json")))
    with pytest.raises(FetchError) as later:
        TELEGRAM.fetch_attachment(telegram_account(api), InboundFile(0, Attachment(kind="image"), extra), http,
                                  max_bytes=MAX)
    assert later.value.retryable


# --- X: DM media need the brand's user token; the token goes nowhere else --------------------------------------------


def test_x_sends_the_user_token_only_to_its_own_hosts(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/1.1/dm/123/456/abc.jpg", Reply(200, body=JPEG))
    fetched = X.fetch_attachment(x_account(api_base=api.base_url), image(f"{api.base_url}/1.1/dm/123/456/abc.jpg"),
                                 http, max_bytes=MAX)
    assert fetched.data == JPEG and api.only().headers["authorization"] == "Bearer user-token"
    api.clear()
    api.on("GET", "/media/pbs.jpg", Reply(200, body=JPEG))
    X.fetch_attachment(x_account(api_base="https://api.x.com"), image(f"{api.base_url}/media/pbs.jpg"), http,
                       max_bytes=MAX)
    assert "authorization" not in api.only().headers


# --- e-mail: the parts are in the message itself ---------------------------------------------------------------------


def test_email_files_come_from_the_mime_parts(http: httpx.Client) -> None:
    raw = fixture_bytes("email", "reply_with_attachment.eml")
    parsed = EMAIL.parse(email_account(), raw).messages[0]
    pdf, png = parsed.attachments
    for index, described in enumerate(parsed.attachments):
        file = InboundFile(index=index, attachment=described, raw=raw)
        assert EMAIL.fetchable(file)
        fetched = EMAIL.fetch_attachment(email_account(), file, http, max_bytes=MAX)
        assert fetched.data == described.data and fetched.name == described.name
    assert mime.attachment_part(raw, 2) is None
    with pytest.raises(FetchError) as gone:
        EMAIL.fetch_attachment(email_account(), InboundFile(0, pdf, raw=None), http, max_bytes=MAX)
    assert gone.value.code == "unavailable"
    with pytest.raises(FetchError) as big:
        EMAIL.fetch_attachment(email_account(), InboundFile(1, png, raw=raw), http, max_bytes=3)
    assert big.value.code == "too_large"
