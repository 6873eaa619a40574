"""Erasing a contact: a rich history for one person (messages public and private with files, raw deliveries, a
survey comment, an escalation and the partner's answer, a business action, listening's cluster and alert, e-mails,
notes, a post they wrote), then the whole database (every table, every column, by reflection) and the uploads folder
are searched for anything of theirs: nothing is left; another contact is untouched; the reports' figures are the
same before and after, and after a rebuild."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from compris.analytics.rollups import process_dirty, rebuild_all, rollup_sums
from compris.events import ContactErased
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import (
    Alert,
    BusinessAction,
    BusinessActionRun,
    Case,
    CaseEvent,
    Cluster,
    ClusterItem,
    ClusterMember,
    Contact,
    Erasure,
    Escalation,
    Exchange,
    Identity,
    Job,
    Message,
    OutgoingMail,
    Partner,
    Post,
    Survey,
    TriageCorrection,
    Upload,
    WebhookDelivery,
    WebhookSubscription,
)
from compris.privacy.actions.erasure import ERASED_NAME, PLACEHOLDER, erase_contact
from compris.uploads import actions as upload_actions
from compris.uploads import store
from tests.conftest import World
from tests.web.api.helpers import FakeNetwork, auth, token

ZOE_ID = "zoe-48213377"
ZOE_HANDLE = "@zoe_dupont"
ZOE_NAME = "Zoë Dupont"
ZOE_EMAIL = "zoe.dupont@example.org"
ZOE_PHONE = "33612345678"
FILE_MARK = b"ZOE-PASSPORT-SCAN-7731"
#: everything of Zoë's that must be nowhere after the erasure
NEEDLES = ["Zoë", "Dupont", "zoe_dupont", ZOE_ID, ZOE_EMAIL, ZOE_PHONE, "+33 6 12 34 56 78", "suitcase",
           "AF1234", "furious", "ZD4X9Q", "slow but kind", "bag tag", "passport", "ZOE-PASSPORT"]
#: the other contact's words, which must stay
MARC_TEXT = "Where is my refund for order 7781"


def _deliver(client: TestClient, world: World, text: str, *, author: str, handle: str, name: str,
             kind: str = "dm") -> dict[str, Any]:
    payload = world.payload(text, author=author, kind=kind)
    payload["data"]["author"].update({"handle": handle, "name": name})
    raw, headers = world.body(payload)
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    world.run_jobs()
    return payload


def build_world(client: TestClient, world: World, network: FakeNetwork) -> dict[str, int]:
    """Zoë's history (and Marc's one message); returns the ids the tests look at."""
    _deliver(client, world, "My suitcase from flight AF1234 never arrived, I am furious", author=ZOE_ID,
             handle=ZOE_HANDLE, name=ZOE_NAME)
    _deliver(client, world, f"Still no suitcase! Call me at +33 6 12 34 56 78 or write to {ZOE_EMAIL}",
             author=ZOE_ID, handle=ZOE_HANDLE, name=ZOE_NAME, kind="post")
    _deliver(client, world, MARC_TEXT, author="marc-991", handle="@marc_other", name="Marc Other")
    headers = auth(token(world, world.agent))
    with world.runtime.db.transaction() as session:
        zoe = session.scalar(select(Identity).where(Identity.platform_user_id == ZOE_ID))
        assert zoe is not None
        contact_id = zoe.contact_id
        case = session.scalar(select(Case).where(Case.contact_id == contact_id))
        assert case is not None
        number, case_id = case.number, case.id
    reply = client.post(f"/api/v1/cases/{number}/replies", headers=headers,
                        json={"text": f"Hello {ZOE_NAME}, we are tracing your suitcase from AF1234."})
    assert reply.status_code == 201, reply.text
    note = client.post(f"/api/v1/cases/{number}/notes", headers=headers,
                       json={"text": "Zoë Dupont is a frequent flyer, bag tag ZD-991"})
    assert note.status_code == 201, note.text
    world.run_jobs()
    assert network.sent
    data_dir: Path = world.runtime.settings.data_dir
    with world.runtime.db.transaction() as session:
        inbound = list(session.scalars(select(Message).where(Message.case_id == case_id,
                                                             Message.direction == "inbound").order_by(Message.id)))
        first = inbound[0]
        # the photo she sent, stored like any customer file
        upload = upload_actions.store_inbound_file(session, data_dir, message=first,
                                                   data=_png(FILE_MARK), name="passport-zoe.png",
                                                   max_bytes=10_000_000)
        first.attachments = [{"kind": "image", "url": "https://cdn.example/zoe.png", "name": "passport-zoe.png",
                              "state": "stored", "upload_id": upload.id}]
        # a second identity (WhatsApp: the phone number) and an e-mail one, merged into her contact
        session.add(Identity(workspace_id=world.workspace_id, contact_id=contact_id, network="whatsapp",
                             platform_user_id=ZOE_PHONE, name="Zoë D."))
        session.add(Identity(workspace_id=world.workspace_id, contact_id=contact_id, network="email",
                             platform_user_id=ZOE_EMAIL, name=ZOE_NAME))
        session.add(Survey(workspace_id=world.workspace_id, case_id=case_id, contact_id=contact_id, state="answered",
                           sent_at=now() - timedelta(minutes=5), answered_at=now(), rating=4, score=75,
                           comment="The agent was slow but kind, thanks", network="sandbox",
                           channel_account_id=world.account.id))
        partner = Partner(workspace_id=world.workspace_id, name="Ground handling", emails=["gh@partner.example"])
        session.add(partner)
        session.flush()
        escalation = Escalation(workspace_id=world.workspace_id, case_id=case_id, partner_id=partner.id,
                                brief=f"Passenger {ZOE_NAME}, bag tag ZD-991, flight AF1234",
                                reply_token="tok-zoe-1")
        session.add(escalation)
        session.flush()
        session.add(Exchange(workspace_id=world.workspace_id, escalation_id=escalation.id, direction="from_partner",
                             kind="answer", text="We found the suitcase of Mme Dupont", via="portal"))
        session.add(OutgoingMail(workspace_id=world.workspace_id, to=["gh@partner.example"],
                                 subject="Escalation: passenger Zoë Dupont", text="Bag tag ZD-991, AF1234",
                                 message_id="<esc-1@brand>", purpose="escalation",
                                 ref={"escalation_id": escalation.id}))
        session.add(OutgoingMail(workspace_id=world.workspace_id, to=[ZOE_EMAIL], subject="About your suitcase",
                                 text="Dear Zoë", message_id="<mail-2@brand>", purpose="test"))
        action = BusinessAction(workspace_id=world.workspace_id, key="rebook", names={"en": "Rebook"},
                                endpoint_url="https://erp.example/rebook")
        session.add(action)
        session.flush()
        session.add(BusinessActionRun(workspace_id=world.workspace_id, case_id=case_id, action_id=action.id,
                                      input={"passenger": ZOE_NAME, "record_locator": "ZD4X9Q"},
                                      result={"summary": "Rebooked Zoë Dupont"}, idempotency_key="run-zoe-1",
                                      state="succeeded"))
        session.add(TriageCorrection(workspace_id=world.workspace_id, message_id=first.id, field="intent",
                                     label="complaint", text=first.text))
        cluster = Cluster(workspace_id=world.workspace_id, label=first.text[:120], size=1,
                          keywords=["suitcase", "flight"], signature={"suitcase": 1.0, "flight": 0.4})
        session.add(cluster)
        session.flush()
        item = session.scalar(select(ClusterItem).where(ClusterItem.message_id == first.id))
        if item is None:
            item = ClusterItem(workspace_id=world.workspace_id, message_id=first.id, case_id=case_id,
                               received_at=now())
            session.add(item)
        item.state = "member"
        item.signature = {"suitcase": 1.0, "furious": 0.7}
        item.vector = b"\x01\x02" * 8
        session.add(ClusterMember(workspace_id=world.workspace_id, cluster_id=cluster.id, message_id=first.id,
                                  case_id=case_id))
        session.add(Alert(workspace_id=world.workspace_id, kind="cluster", key=f"cluster:{cluster.id}",
                          title=first.text[:100], cluster_id=cluster.id,
                          data={"samples": [{"text": first.text, "author": ZOE_HANDLE}]}))
        session.add(Post(workspace_id=world.workspace_id, channel_account_id=world.account.id,
                         platform_post_id="post-by-zoe", text="My trip with a suitcase full of memories",
                         author_id=ZOE_ID, author_name=ZOE_NAME, permalink="https://sandbox.example/zoe_dupont/1"))
        session.add(Job(workspace_id=world.workspace_id, kind="test.noop", status="done",
                        payload={"handle": ZOE_HANDLE}))
        subscription = WebhookSubscription(workspace_id=world.workspace_id, url="https://hooks.example/in",
                                           event_types=["message.received"], secret="s")
        session.add(subscription)
        session.flush()
        session.add(WebhookDelivery(workspace_id=world.workspace_id, subscription_id=subscription.id,
                                    event_id="0b8f6a4e-0000-4000-8000-000000000001", event_type="message.received",
                                    payload={"data": {"case_id": case_id, "author": {"handle": ZOE_HANDLE}}}))
        session.add(Alert(workspace_id=world.workspace_id, kind="reach", key=f"reach:case:{case_id}",
                          title=f"High-reach complaint by {ZOE_HANDLE}", case_id=case_id,
                          data={"followers": 12000, "quote": first.text[:60]}))
        session.add(CaseEvent(workspace_id=world.workspace_id, case_id=case_id, kind="closed",
                              data={"from_status": "open", "reason": "Zoë Dupont asked to close"}))
        upload_id = upload.id
        sha = upload.sha256
    return {"contact_id": contact_id, "case_id": case_id, "number": number, "upload_id": upload_id,
            "sha_prefix": int(sha[:6], 16)}


def _png(mark: bytes) -> bytes:
    """A tiny valid PNG (the uploads check the type from the bytes) carrying ``mark`` in a text chunk."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + mark) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        text = data.decode("utf-8", "ignore")
        try:
            return text + json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        try:
            return value + json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return str(value)


def find_anywhere(world: World, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a needle occurs, over every column of every table (reflected)."""
    engine = world.runtime.db.engine
    meta = MetaData()
    meta.reflect(bind=engine)
    hits: list[tuple[str, str, str]] = []
    lowered = [n.lower() for n in needles]
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = _as_text(value).lower()
                    hits.extend((table.name, column, n) for n in lowered if n in text)
    return hits


def find_in_files(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits.extend(f"{path.name}:{n!r}" for n in needles if n in data)
    return hits


def _figures(world: World) -> dict[str, tuple[int, float]]:
    with world.runtime.db.transaction() as session:
        while process_dirty(session):
            pass
    with world.runtime.db.transaction() as session:
        return rollup_sums(session, world.workspace_id)


def _erase(world: World, contact_id: int, **kw: Any) -> Erasure:
    with world.runtime.db.transaction() as session:
        erasure = erase_contact(session, Publisher.outside_server(session), workspace_id=world.workspace_id,
                                contact_id=contact_id, source=kw.pop("source", "admin"),
                                requested_by=kw.pop("requested_by", None), reason=kw.pop("reason", "asked by mail"),
                                **kw)
        session.flush()
        session.expunge(erasure)
    return erasure


def test_erasure_leaves_nothing_of_the_person(client: TestClient, world: World, network: FakeNetwork) -> None:
    ids = build_world(client, world, network)
    uploads_root = store.root(world.runtime.settings.data_dir)
    assert find_anywhere(world, NEEDLES), "the world must hold the person's data before"
    assert find_in_files(uploads_root, [FILE_MARK])
    _figures(world)
    # from a rebuild (a fresh computation adds the durations in its own order: the last decimal of a sum may
    # differ from the incremental rollup's, erasure or not)
    rebuild_all(world.runtime.db, world.workspace_id)
    before = _figures(world)
    assert before

    erasure = _erase(world, ids["contact_id"], reason=f"{ZOE_NAME} asked by e-mail")
    world.run_jobs()  # privacy.discard_files

    # the hourly volume counters by keyword count everyone's words ("suitcase"): no personal data, they stay
    assert [h for h in find_anywhere(world, NEEDLES) if h[:2] != ("listening_counts", "scope")] == []
    assert {h[2] for h in find_anywhere(world, NEEDLES)} <= {"suitcase", "furious"}
    assert find_in_files(uploads_root, [FILE_MARK]) == []
    # the record: what, not who
    assert erasure.status == "done" and erasure.source == "admin" and erasure.contact_id == ids["contact_id"]
    assert erasure.counts["messages"] == 4 and erasure.counts["identities"] == 3
    assert erasure.counts["uploads"] == 1 and erasure.counts["raw_events"] >= 2
    assert "Zoë" not in erasure.reason and "e-mail" in erasure.reason
    with world.runtime.db.transaction() as session:
        contact = session.get(Contact, ids["contact_id"])
        assert contact is not None and contact.display_name == ERASED_NAME
        identities = session.scalars(select(Identity).where(Identity.contact_id == ids["contact_id"])).all()
        assert all(i.platform_user_id.startswith(PLACEHOLDER) and i.handle is None for i in identities)
        # the facts stay: the case, its messages with their times and labels, the survey's rating
        case = session.get(Case, ids["case_id"])
        assert case is not None and case.subject == "" and case.triage.get("intent")
        messages = session.scalars(select(Message).where(Message.case_id == ids["case_id"])).all()
        assert len(messages) == 4 and all(m.text == "" for m in messages)
        survey = session.scalar(select(Survey).where(Survey.case_id == ids["case_id"]))
        assert survey is not None and survey.rating == 4 and survey.comment is None
        assert session.get(Upload, ids["upload_id"]) is None
        # Marc is untouched
        marc = session.scalar(select(Message).where(Message.text == MARC_TEXT))
        assert marc is not None
        marc_identity = session.scalar(select(Identity).where(Identity.platform_user_id == "marc-991"))
        assert marc_identity is not None and marc_identity.handle == "@marc_other"
        assert session.scalar(select(Case.preview).where(Case.id == marc.case_id)) == MARC_TEXT
    # the figures are the same, and a rebuild from the raw data finds them again
    assert _figures(world) == before
    rebuild_all(world.runtime.db, world.workspace_id)
    assert _figures(world) == before


def test_a_new_message_after_the_erasure_is_a_new_contact(client: TestClient, world: World,
                                                          network: FakeNetwork) -> None:
    ids = build_world(client, world, network)
    _erase(world, ids["contact_id"])
    _deliver(client, world, "Hello again", author=ZOE_ID, handle=ZOE_HANDLE, name=ZOE_NAME)
    with world.runtime.db.transaction() as session:
        identity = session.scalar(select(Identity).where(Identity.platform_user_id == ZOE_ID))
        assert identity is not None and identity.contact_id != ids["contact_id"]
        message = session.scalar(select(Message).where(Message.text == "Hello again"))
        assert message is not None and message.case_id != ids["case_id"]
        thread_cases = set(session.scalars(select(Message.case_id).where(Message.thread_id == message.thread_id)))
        assert thread_cases == {message.case_id}


def test_erasing_twice_is_fine_and_emits_the_event(client: TestClient, world: World, network: FakeNetwork,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ids = build_world(client, world, network)
    seen: list[ContactErased] = []
    from compris import bus

    original = bus.emit

    def spy(session: Any, publisher: Any, event: Any) -> None:
        if isinstance(event, ContactErased):
            seen.append(event)
        original(session, publisher, event)

    monkeypatch.setattr(bus, "emit", spy)
    first = _erase(world, ids["contact_id"], requested_by=None)
    second = _erase(world, ids["contact_id"])
    assert first.confirmation_code != second.confirmation_code
    assert second.status == "done" and not any(second.counts.get(k) for k in ("messages", "identities", "uploads"))
    assert [e.erasure_id for e in seen] == [first.id, second.id]
    assert seen[0].counts == first.counts and seen[0].contact_id == ids["contact_id"]


def test_another_workspace_cannot_erase(client: TestClient, world: World, network: FakeNetwork,
                                        world_factory: Any) -> None:
    from compris.kit.errors import NotFound

    ids = build_world(client, world, network)
    other = world_factory("globex")
    with pytest.raises(NotFound), other.runtime.db.transaction() as session:
        erase_contact(session, Publisher.outside_server(session), workspace_id=other.workspace_id,
                      contact_id=ids["contact_id"], source="admin", requested_by=None, reason="")
    with world.runtime.db.transaction() as session:
        contact = session.get(Contact, ids["contact_id"])
        assert contact is not None and contact.display_name == ZOE_NAME


def test_a_merged_contact_is_erased_with_the_one_it_lives_in(world: World) -> None:
    with world.runtime.db.transaction() as session:
        survivor = Contact(workspace_id=world.workspace_id, display_name="Sam Survivor")
        session.add(survivor)
        session.flush()
        merged = Contact(workspace_id=world.workspace_id, display_name="Samuel Old Account",
                         merged_into_id=survivor.id)
        session.add(merged)
        session.add(Identity(workspace_id=world.workspace_id, contact_id=survivor.id, network="sandbox",
                             platform_user_id="sam-old-91", handle="@sam_old"))
        session.flush()
        merged_id, survivor_id = merged.id, survivor.id
    erasure = _erase(world, merged_id)
    assert erasure.contact_id == survivor_id and erasure.counts["contacts"] == 2
    assert find_anywhere(world, ["Sam Survivor", "Samuel Old", "sam-old-91", "sam_old"]) == []


def test_files_go_right_after_the_commit_and_a_shared_file_stays(client: TestClient, world: World,
                                                                 network: FakeNetwork) -> None:
    ids = build_world(client, world, network)
    data_dir: Path = world.runtime.settings.data_dir
    with world.runtime.db.transaction() as session:
        marc = session.scalar(select(Message).where(Message.text == MARC_TEXT))
        assert marc is not None
        # Marc sent the very same bytes: one file on disk, two upload rows
        upload_actions.store_inbound_file(session, data_dir, message=marc, data=_png(b"SHARED-BYTES"),
                                          name="same.png", max_bytes=10_000_000)
        zoe_first = session.scalar(select(Message).where(Message.case_id == ids["case_id"],
                                                         Message.direction == "inbound").order_by(Message.id))
        assert zoe_first is not None
        upload_actions.store_inbound_file(session, data_dir, message=zoe_first, data=_png(b"SHARED-BYTES"),
                                          name="mine.png", max_bytes=10_000_000)
    _erase(world, ids["contact_id"], data_dir=data_dir)  # no job run: the after-commit step deleted them
    root = store.root(data_dir)
    assert find_in_files(root, [FILE_MARK]) == []
    assert find_in_files(root, [b"SHARED-BYTES"])  # Marc's row still names them
    world.run_jobs()  # the job finds nothing more to delete
    assert find_in_files(root, [b"SHARED-BYTES"])
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(Job.status).where(Job.kind == "privacy.discard_files")) == "done"
