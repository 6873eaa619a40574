"""Issue 18, defect 10 (English copy): "Connect a E-mail". The channel pages name the account with the article its
network's name takes: "Connect an e-mail account", "Connect a WhatsApp account", "Connect an X account"."""

from __future__ import annotations

import html

from compris.config import Settings
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, make_client


def test_connect_links_and_titles_take_the_right_article(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)

    listing = html.unescape(admin.get("/admin/channels").text)

    assert "Connect an e-mail account" in listing
    assert "Connect a WhatsApp account" in listing and "Connect an X account" in listing
    assert "Connect a E" not in listing and "Connect a I" not in listing
    page = html.unescape(admin.get("/admin/channels/connect/email").text)
    assert "<h1>Connect an e-mail account</h1>" in page
    assert "<h1>Connect an Instagram account</h1>" in html.unescape(admin.get("/admin/channels/connect/instagram").text)


def test_a_guard_warning_does_not_repeat_its_advice() -> None:
    """The finding's action line under the message gives the advice ("Handle it here, or escalate the case to the
    right team yourself.", "Ask a supervisor to approve this promise first."): the message no longer says it too."""
    from compris.replies.guard.messages import message

    for lang in ("en", "fr"):
        elsewhere = message("send_elsewhere", lang)
        promise = message("unauthorised_promise", lang, what="a refund", permission="refund")
        assert "escalate" not in elsewhere and "transmettez" not in elsewhere
        assert "approval" not in promise and "validation" not in promise
        assert elsewhere.count(".") == 1 and promise.count(".") == 1
