"""Attachments in the reply box, in a real browser: a PNG chosen with the file input goes out with the reply and
reaches the sandbox network exactly once (through a failed first attempt); where the network takes no file
(an Instagram comment), the file input is disabled and says why.

Run: ``.venv/bin/pytest -m browser tests/e2e`` (Debian's Chromium; see ``test_browser.py``).
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from compris.channels.actions import create_account
from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox import actions
from compris.models import Case, DeliveryState, Message, Outbox, Upload
from tests.conftest import SECRET
from tests.e2e.test_browser import SHOTS, Server, _eventually, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, shared with test_browser.py


def _png() -> bytes:
    """A real 1×1 PNG (red), small enough for any network."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


PNG = _png()


def test_a_reply_with_a_png_reaches_the_network_once(server: Server, browser: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    expect = playwright_sync.expect
    monkeypatch.setattr("compris.inbox.outbound.backoff", lambda *args, **kwargs: 0.0)  # retry at once
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, server.world.agent.email)
    posted = server.simulate("Which gate does AF123 leave from? The board shows nothing.", author="nora-ito")
    row = page.locator("#rows .case-row", has_text="Which gate does AF123")
    expect(row).to_be_visible(timeout=20_000)
    number = row.get_attribute("data-number")
    page.goto(f"{server.base}/cases/{number}")

    # the public reply on the sandbox takes files: the input is enabled, with the network's limits
    files = page.locator("#reply-files")
    expect(files).to_be_enabled()
    expect(page.locator("#reply-attach-hint")).to_contain_text("up to 4 files")
    files.set_input_files([{"name": "gate <map>.png", "mimeType": "image/png", "buffer": PNG}])
    expect(page.locator("#reply-chosen .attachment-chip")).to_contain_text("gate <map>.png")
    page.locator("#reply-text").fill("Hello Nora, AF123 leaves from gate B12: here is the map.")

    # the network refuses the first attempt (503): the job retries, and the reply goes out exactly once
    faults = httpx.post(f"{server.base}/sandbox-network/api/_faults", json={"fail_next": 1, "status": 503},
                        timeout=10)
    assert faults.status_code == 200, faults.text
    page.locator("#reply-form button.primary[type=submit]").click()
    reply = page.locator("#timeline .msg-outbound", has_text="AF123 leaves from gate B12")
    expect(reply).to_be_visible(timeout=10_000)
    link = reply.locator(".attachments a[href^='/uploads/']")
    expect(link).to_have_text("gate _map_.png")  # the cleaned name, as text
    expect(page.locator("#reply-text")).to_have_value("")
    expect(page.locator("#reply-chosen .attachment-chip")).to_have_count(0)
    expect(reply.locator(".delivery-sent")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(SHOTS / "compris-reply-attachment-1280.png"), full_page=True)

    # issue 18: an image shows as a thumbnail; a click opens it full size in a dialog, Escape closes it
    preview = reply.locator("a.attachment-preview")
    expect(preview.locator("img.attachment-thumb")).to_be_visible()
    preview.click()
    box = page.locator("dialog#attachment-lightbox")
    expect(box).to_be_visible()
    expect(box.locator("img")).to_have_attribute("src", re.compile(r"^/uploads/\d+$"))
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(page).to_have_url(f"{server.base}/cases/{number}")  # the click opened no other page

    # the timeline's link serves the file to the signed-in agent, as the type recognised from its bytes
    href = link.get_attribute("href")
    served = context.request.get(f"{server.base}{href}")
    assert served.status == 200 and served.body() == PNG
    assert served.headers["content-type"] == "image/png" and served.headers["x-content-type-options"] == "nosniff"

    def brand_messages() -> list[dict[str, Any]]:
        return [m for m in server.thread(posted["thread_id"])["messages"] if m.get("from") == "brand"]

    _eventually(lambda: bool(brand_messages()), message="the reply did not reach the sandbox network")
    (sent,) = brand_messages()  # exactly one message, despite the failed first attempt
    assert sent["text"] == "Hello Nora, AF123 leaves from gate B12: here is the map."
    (attachment,) = sent["attachments"]
    assert attachment["kind"] == "image" and attachment["name"] == "gate _map_.png"
    assert attachment["mime_type"] == "image/png"
    assert attachment["url"].startswith(f"{server.base}/media/")
    fetched = httpx.get(attachment["url"], timeout=10)  # the network's signed link works without a login
    assert fetched.status_code == 200 and fetched.content == PNG

    with server.runtime.db.transaction() as session:
        message = session.scalars(select(Message).where(Message.direction == "outbound")).one()
        outbox = session.scalars(select(Outbox).where(Outbox.message_id == message.id)).one()
        upload = session.scalars(select(Upload)).one()
        assert outbox.state == DeliveryState.SENT and outbox.attempts == 2
        assert message.platform_message_id == sent["id"]
        assert [a["upload_id"] for a in message.attachments] == [upload.id]
        assert href == f"/uploads/{upload.id}" and upload.size == len(PNG)
    assert not errors, errors
    context.close()


def test_the_file_input_is_disabled_with_its_reason_on_an_instagram_comment(server: Server, browser: Any) -> None:
    expect = playwright_sync.expect
    runtime = server.runtime
    with runtime.db.transaction() as session:  # an Instagram account with a customer's public comment
        account = create_account(session, SECRET, workspace_id=server.world.workspace_id, network="instagram",
                                 name="Acme on Instagram", external_id="ig-acme", settings={},
                                 secrets={"app_secret": "a", "verify_token": "v", "access_token": "t"})
        inbound = actions.record_inbound(session, runtime.publisher, account, InboundMessage(
            platform_message_id="c-77", thread_key="media-5", visibility=Visibility.PUBLIC,
            author=Author(platform_user_id="ig-user-9", handle="@lena.b", name="Lena B"),
            text="Lovely hotel! Can I see the spa opening hours?", created_at=datetime.now(UTC),
            reply_to_platform_id="media-5", extra={"comment_id": "c-77"}))
        assert inbound is not None
        case = session.get(Case, inbound.case_id)
        assert case is not None
        number = case.number
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.agent.email)
    page.goto(f"{server.base}/cases/{number}")
    expect(page.locator("#timeline")).to_contain_text("spa opening hours")

    # a public reply to an Instagram comment: text only, and the reply box says so
    expect(page.locator('#reply-form input[name="visibility"][value="public"]')).to_be_checked()
    files = page.locator("#reply-files")
    expect(files).to_be_disabled()
    expect(page.locator('label[for="reply-files"]')).to_have_class("attach-label disabled")
    hint = page.locator("#reply-attach-hint")
    expect(hint).to_have_text("No attachments here: Instagram comment replies are text only: "
                              "send files by direct message")
    assert files.get_attribute("aria-describedby") == "reply-attach-hint"
    page.screenshot(path=str(SHOTS / "compris-reply-no-attachments-1280.png"), full_page=True)

    # a private message on Instagram takes files: choosing it enables the input, with the limits
    page.locator('#reply-form input[name="visibility"][value="private"]').check()
    expect(files).to_be_enabled()
    expect(hint).to_contain_text("up to 4 files")
    page.locator('#reply-form input[name="visibility"][value="public"]').check()
    expect(files).to_be_disabled()
    expect(hint).to_contain_text("Instagram comment replies are text only")
    assert not errors, errors
    context.close()
