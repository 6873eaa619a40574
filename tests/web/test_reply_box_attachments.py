"""The reply box's file input: files sent with the reply (multipart, CSRF, HTMX), kept with the draft when the
reply is refused, shown on the timeline, hidden with a reason where the network takes none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.connectors.base import Limits
from compris.connectors.sandbox import SandboxConnector
from compris.models import Message, Upload
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _post(agent: Agent, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]],
          htmx: bool = True) -> object:
    headers = {"HX-Request": "true"} if htmx else {}
    return agent.client.post("/cases/1/reply", data={**data, "csrf_token": agent.csrf}, files=files, headers=headers)


def test_a_reply_with_a_file_from_the_reply_box(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Could you send me the terminal map?")
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1")
    assert 'enctype="multipart/form-data"' in page.text and 'id="reply-files"' in page.text
    response = _post(agent, {"text": "Here it is <b>now</b>", "visibility": "public"},
                     [("files", ("<plan>.png", PNG, "image/png"))])
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    with runtime.db.transaction() as s:
        reply = s.scalar(select(Message).where(Message.direction == "outbound"))
        upload = s.scalar(select(Upload))
        assert reply is not None and upload is not None
        assert reply.attachments[0]["upload_id"] == upload.id and upload.name == "_plan_.png"
    timeline = agent.get("/cases/1").text
    assert f'href="/uploads/{upload.id}"' in timeline and "<b>now</b>" not in timeline
    served = agent.get(f"/uploads/{upload.id}")
    assert served.status_code == 200 and served.content == PNG and served.headers["x-content-type-options"] == "nosniff"
    assert agent.post("/cases/1/reply", {"text": "x"}, csrf=False).status_code == 403  # CSRF as every POST


def test_a_refused_file_keeps_the_draft(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    refused = _post(agent, {"text": "My careful draft", "visibility": "public"},
                    [("files", ("cat.png", b"<html><script>alert(1)</script>", "image/png"))])
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "My careful draft" in refused.text and "not accepted" in refused.text  # type: ignore[attr-defined]
    settings.max_upload_bytes = 20
    too_big = _post(agent, {"text": "My careful draft", "visibility": "public"},
                    [("files", ("big.png", PNG, "image/png"))])
    assert too_big.status_code == 413 and "My careful draft" in too_big.text  # type: ignore[attr-defined]


def test_files_are_kept_when_the_guard_refuses(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    blocked = _post(agent, {"text": "Please reply with your booking reference.", "visibility": "public"},
                    [("files", ("map.png", PNG, "image/png"))])
    assert blocked.status_code == 422  # type: ignore[attr-defined]
    with runtime.db.transaction() as s:
        upload = s.scalar(select(Upload))
        assert upload is not None
    assert f'name="attachment_ids" value="{upload.id}"' in blocked.text  # type: ignore[attr-defined]
    sent = _post(agent, {"text": "", "visibility": "public", "attachment_ids": str(upload.id)}, [])
    assert sent.status_code == 200, sent.text  # type: ignore[attr-defined]  # only a file: allowed on the sandbox


def test_no_file_input_where_the_network_takes_none(settings: Settings, runtime: Runtime, world: World,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SandboxConnector, "limits", Limits(public_max_length=1000, private_max_length=4000))
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1").text
    assert "disabled aria-describedby" in page
    assert "No attachments here: this network does not accept attachments from Compris" in page
    refused = _post(agent, {"text": "Here", "visibility": "public"}, [("files", ("map.png", PNG, "image/png"))])
    assert refused.status_code == 422 and "does not accept attachments" in refused.text  # type: ignore[attr-defined]
