"""A message its author deleted on the platform loses its content the way an erasure removes it (text, attachments
and their stored files, the raw delivery, triage and listening copies); the case keeps the "deleted by the author"
marker, the figures stay."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.inbox import actions as inbox_actions
from compris.kit.clock import now
from compris.models import CaseEvent, ClusterItem, Message, RawEvent, TriageCorrection, Upload
from compris.privacy.actions.erasure import REDACTED_BODY
from compris.uploads import actions as upload_actions
from compris.uploads import store
from tests.conftest import World
from tests.privacy.test_erasure import FILE_MARK, _figures, _png, find_anywhere, find_in_files

SECRET_TEXT = "I regret writing this: my booking code is QX77PL and I live at 12 rue des Lilas"
OTHER_TEXT = "Second message that stays in the conversation"


def _deliver(client: TestClient, world: World, text: str) -> None:
    raw, headers = world.body(world.payload(text, author="lea-5512", kind="dm"))
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()


def test_a_message_deleted_by_its_author_loses_its_content(client: TestClient, world: World) -> None:
    _deliver(client, world, SECRET_TEXT)
    _deliver(client, world, OTHER_TEXT)
    data_dir: Path = world.runtime.settings.data_dir
    with world.runtime.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.text == SECRET_TEXT))
        assert message is not None and message.raw_event_id is not None
        upload = upload_actions.store_inbound_file(session, data_dir, message=message, data=_png(FILE_MARK),
                                                   name="lease.png", max_bytes=10_000_000)
        message.attachments = [{"kind": "image", "name": "lease.png", "state": "stored", "upload_id": upload.id}]
        session.add(TriageCorrection(workspace_id=world.workspace_id, message_id=message.id, field="intent",
                                     label="request", text=message.text))
        message_id, raw_id, upload_id = message.id, message.raw_event_id, upload.id
    before = _figures(world)
    assert find_in_files(store.root(data_dir), [FILE_MARK])

    with world.runtime.db.transaction() as session:
        message = session.get(Message, message_id)
        assert message is not None
        inbox_actions.mark_deleted(session, world.runtime.publisher, message, now())
    world.run_jobs()

    assert find_anywhere(world, ["QX77PL", "rue des Lilas", "lease.png"]) == []
    assert find_in_files(store.root(data_dir), [FILE_MARK]) == []
    with world.runtime.db.transaction() as session:
        message = session.get(Message, message_id)
        assert message is not None and message.text == "" and message.deleted_at is not None
        assert message.platform_message_id and not message.platform_message_id.startswith("erased:")
        assert message.triage.get("intent") and message.platform_extra["erased"] == "deleted_by_author"
        raw = session.get(RawEvent, raw_id)
        assert raw is not None and raw.body == REDACTED_BODY
        assert session.get(Upload, upload_id) is None
        item = session.scalar(select(ClusterItem).where(ClusterItem.message_id == message_id))
        assert item is None or (item.signature == {} and item.vector is None)
        kinds = list(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == message.case_id)))
        assert "message_deleted" in kinds
        assert session.scalar(select(Message.id).where(Message.text == OTHER_TEXT)) is not None
    after = _figures(world)  # the deletion recomputed the case: its sums may differ in the last decimal
    assert after.keys() == before.keys()
    assert all(after[m][0] == before[m][0] and abs(after[m][1] - before[m][1]) < 0.01 for m in before)


def test_the_case_page_shows_the_marker(client: TestClient, world: World) -> None:
    from tests.web.test_pages import Agent

    _deliver(client, world, SECRET_TEXT)
    with world.runtime.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.text == SECRET_TEXT))
        assert message is not None
        inbox_actions.mark_deleted(session, world.runtime.publisher, message, now())
        case_id = message.case_id
    from compris.models import Case

    with world.runtime.db.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        number = case.number
    client.follow_redirects = False
    agent = Agent(client, world.agent.email)
    page = agent.get(f"/cases/{number}").text
    assert "QX77PL" not in page and "Deleted by the customer" in page and "Content removed" in page


def test_our_reply_removed_by_the_network_keeps_its_content(client: TestClient, world: World) -> None:
    _deliver(client, world, SECRET_TEXT)
    with world.runtime.db.transaction() as session:
        inbound = session.scalar(select(Message).where(Message.text == SECRET_TEXT))
        assert inbound is not None
        reply = Message(workspace_id=world.workspace_id, case_id=inbound.case_id, thread_id=inbound.thread_id,
                        channel_account_id=world.account.id, direction="outbound", visibility="private",
                        platform_message_id="our-reply-1", text="We are on it", delivery_state="sent")
        session.add(reply)
        session.flush()
        inbox_actions.mark_deleted(session, world.runtime.publisher, reply, now())
        reply_id = reply.id
    with world.runtime.db.transaction() as session:
        reply = session.get(Message, reply_id)
        assert reply is not None and reply.deleted_at is not None and reply.text == "We are on it"
        inbound = session.scalar(select(Message).where(Message.text == SECRET_TEXT))
        assert inbound is not None and inbound.deleted_at is None
