"""The reply box's file input: files sent with the reply (multipart, CSRF, HTMX), kept with the draft when the
reply is refused, shown on the timeline, hidden with a reason where the network takes none."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.connectors.base import Limits
from compris.connectors.sandbox import SandboxConnector
from compris.models import Message, Upload, User
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


def test_a_double_submit_with_a_file_is_one_reply(settings: Settings, runtime: Runtime, world: World) -> None:
    """The browser (or an impatient agent) sends the same form twice: the same reply, not a conflict, and the
    file is not stored twice."""
    client = make_client(settings, runtime)
    customer_writes(client, world, "Could you send me the terminal map?")
    agent = Agent(client, world.agent.email)
    form = {"text": "Here it is", "visibility": "public", "idempotency_key": "k-double-1"}
    first = _post(agent, form, [("files", ("map.png", PNG, "image/png"))])
    again = _post(agent, form, [("files", ("map.png", PNG, "image/png"))])
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    with runtime.db.transaction() as s:
        replies = list(s.scalars(select(Message).where(Message.direction == "outbound")))
        uploads = list(s.scalars(select(Upload)))
        assert len(replies) == 1 and len(uploads) == 1
        assert replies[0].attachments[0]["upload_id"] == uploads[0].id
    # another file under the same key is still a different reply: refused, not merged
    other = _post(agent, form, [("files", ("other.png", PNG + b"\x00", "image/png"))])
    assert other.status_code == 409 or "already used" in other.text  # type: ignore[attr-defined]


def test_an_oversized_form_leaves_the_reply_box_as_it_is(settings: Settings, runtime: Runtime, world: World) -> None:
    """Refused while it is read (413): for HTMX, no swap (the draft stays) and the reason as an event (toast)."""
    from compris.web.body_limit import request_limit

    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    settings.max_upload_bytes = 1000
    big = PNG + b"\x00" * request_limit(settings)
    refused = _post(agent, {"text": "My careful draft", "visibility": "public"},
                    [("files", ("big.png", big, "image/png"))])
    assert refused.status_code == 413  # type: ignore[attr-defined]
    assert refused.headers["hx-reswap"] == "none"  # type: ignore[attr-defined]
    assert "too large" in json.loads(refused.headers["hx-trigger"])["compris:error"]  # type: ignore[attr-defined]
    with runtime.db.transaction() as s:
        assert s.scalar(select(Upload)) is None and s.scalar(select(Message).where(
            Message.direction == "outbound")) is None


def test_a_tampered_kept_file_is_refused_not_dropped(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    for bad in ("²", "12abc", "999"):
        refused = _post(agent, {"text": "Here is the map", "visibility": "public", "attachment_ids": bad}, [])
        assert refused.status_code == 422, bad  # type: ignore[attr-defined]
        assert "no such file" in refused.text and "Here is the map" in refused.text  # type: ignore[attr-defined]
    with runtime.db.transaction() as s:
        assert s.scalar(select(Message).where(Message.direction == "outbound")) is None


def test_attachment_refusals_in_french(settings: Settings, runtime: Runtime, world: World,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None
        user.language = "fr"
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    unknown = _post(agent, {"text": "Voici", "visibility": "public"},
                    [("files", ("chat.png", b"<html></html>", "image/png"))])
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert "ce type de fichier n&#39;est pas accepté (chat.png)" in unknown.text  # type: ignore[attr-defined]
    five = [("files", (f"p{i}.png", PNG + bytes([i]), "image/png")) for i in range(5)]
    many = _post(agent, {"text": "Voici", "visibility": "public"}, five)
    assert many.status_code == 422  # type: ignore[attr-defined]
    assert ("Sandbox network accepte au plus 4 pièces jointes sur cette réponse (5 fournies)"
            in many.text)  # type: ignore[attr-defined]
    monkeypatch.setattr(SandboxConnector, "limits", Limits(public_max_length=1000, private_max_length=4000))
    none = _post(agent, {"text": "Voici", "visibility": "public"}, [("files", ("map.png", PNG, "image/png"))])
    assert none.status_code == 422  # type: ignore[attr-defined]
    assert ("Sandbox network : ce réseau n&#39;accepte pas de pièces jointes envoyées par Compris"
            in none.text)  # type: ignore[attr-defined]


def test_every_attachment_message_has_a_french_translation() -> None:
    """The networks' reasons and every refusal the rules can give are in the French catalogue."""
    from babel.messages.pofile import read_po

    from compris.connectors import registry
    from compris.connectors.base import Attachment, AttachmentRules
    from compris.kit import media
    from compris.web import i18n

    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    wanted = {"internal notes have no attachments", "%(network)s: %(reason)s", "no such file",
              "no such file: %(id)s", "The request is too large: at most %(size)s in all.",
              "the file is empty%(label)s", "the file is too large%(label)s: %(size)s, at most %(max)s"}
    for connector in registry.connectors().values():
        limits = connector.limits
        wanted |= {limits.public_attachments_reason, limits.private_attachments_reason}
    rules = AttachmentRules(mime_types=frozenset({media.PNG}), max_count=1, max_bytes=10, max_total_bytes=5,
                            without_text=False)
    png = Attachment(kind="image", name="a.png", mime_type=media.PNG, size=1)
    cases = [([png, png], True), ([png], False), ([Attachment(kind="file", mime_type=media.PDF)], True),
             ([Attachment(kind="file")], True), ([Attachment(kind="image", mime_type=media.PNG, size=20)], True),
             ([Attachment(kind="image", mime_type=media.PNG, size=8)], True)]
    for files, has_text in cases:
        found = rules.refusal_message("Net", files, has_text=has_text)
        assert found is not None
        wanted.add(found[0])
    four = AttachmentRules(mime_types=frozenset({media.PNG}), max_count=4)
    wanted.add((four.refusal_message("Net", [png] * 5, has_text=True) or ("",))[0])
    from compris.kit.errors import Invalid
    from compris.uploads.actions import check_file

    with pytest.raises(Invalid) as refused:
        check_file(b"<html>", max_bytes=100)
    wanted.add(refused.value.msgid or "")
    missing = [m for m in wanted if not getattr(catalog.get(m), "string", None)]
    assert not missing, f"add these to locale/fr/LC_MESSAGES/messages.po: {missing}"
