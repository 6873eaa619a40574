"""A contact's personal-data archive: every kind of data about them, file by file, and nothing about anyone else."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from compris import bus
from compris.config import Settings
from compris.events import ContactExported
from compris.kit.errors import NotFound
from compris.models import User
from compris.privacy import export
from compris.runtime import Runtime
from tests.conftest import World
from tests.privacy.helpers import HOSTILE, PDF, PNG, Rich, build, loads, unzip
from tests.web.test_pages import make_client


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def rich(client: TestClient, world: World) -> Rich:
    return build(client, world)


def _archive(world: World, contact_id: int) -> tuple[str, dict[str, bytes]]:
    with world.runtime.db.transaction() as session:
        archive = export.build_archive(session, workspace_id=world.workspace_id, contact_id=contact_id,
                                       data_dir=world.runtime.settings.data_dir, made_by="Admin acme")
        data = b"".join(archive.chunks())
    assert len(data) == archive.size
    return archive.filename, unzip(data)


def test_the_archive_holds_each_kind_of_data_about_the_contact(world: World, rich: Rich) -> None:
    filename, files = _archive(world, rich.contact_id)
    assert filename.startswith(f"compris-contact-{rich.contact_id}-") and filename.endswith(".zip")
    for name in export.FILES:
        if not name.endswith("/"):
            assert name in files, name

    contact = loads(files, "contact.json")
    assert contact["contact"]["id"] == rich.contact_id
    networks = {i["network"]: i for i in contact["identities"]}
    assert networks["sandbox"]["handle"] == "@sam"
    assert networks["whatsapp"]["handle"] == "+33 6 12 34 56 78" and networks["whatsapp"]["name"] == "Sam W."
    assert [c["id"] for c in contact["merged_contacts"]] == [rich.merged_contact_id]
    assert contact["merged_contacts"][0]["display_name"] == "Sam on WhatsApp"
    assert {t["visibility"] for t in contact["threads"]} == {"private", "public"}

    cases = loads(files, "cases.json")
    assert sorted(c["number"] for c in cases) == rich.case_numbers

    messages = loads(files, "messages.json")
    texts = {m["text"]: m for m in messages}
    assert texts["Voici la photo de mon sac"]["visibility"] == "private"
    assert texts["Voici la photo de mon sac"]["author"]["handle"] == "@sam"
    assert texts["My bag is lost @brand"]["visibility"] == "public"
    assert texts["Sam again, in a batch"]["case_number"] in rich.case_numbers
    # what they wrote in another customer's case is theirs too (without that case's number)
    assert texts["Sam chiming in under a post"]["case_number"] is None
    reply = texts["We found your bag, here is the receipt"]
    assert reply["direction"] == "outbound" and reply["author"] == {"kind": "agent", "name": "Agent acme"}
    photo = texts["Voici la photo de mon sac"]["attachments"][0]
    assert photo["state"] == "stored" and photo["upload_id"] == rich.inbound_upload_id
    # internal notes are kept apart, never among the messages
    assert not any("bag tag 0057-LYS" in m["text"] for m in messages)
    (note,) = loads(files, "notes.json")
    assert note["text"] == "Sam sounded upset; bag tag 0057-LYS" and note["visibility"] == "note"

    rows = list(csv.DictReader(io.StringIO(files["messages.csv"].decode("utf-8-sig"))))
    assert len(rows) == len(messages)
    assert {r["text"] for r in rows} == set(texts)
    assert any(r["attachments"] == "passwd" or HOSTILE in r["attachments"] for r in rows)

    (survey,) = loads(files, "surveys.json")
    assert survey["rating"] == 2 and survey["comment"] == "Too slow to answer"

    (escalation,) = loads(files, "escalations.json")
    assert escalation["partner"] == "Lyon baggage desk" and escalation["brief"] == "Please find bag 0057-LYS"
    answer = escalation["exchanges"][-1]
    assert answer["direction"] == "from_partner" and answer["text"] == "Bag found in Lyon, sending it tomorrow"
    assert answer["upload_ids"] == [rich.partner_upload_id]

    (run,) = loads(files, "business_actions.json")
    assert run["action"] == "refund" and run["input"] == {"record_locator": "ABC123"}
    assert run["result"] == {"refund_id": "R-991"} and run["requested_by"] == "Agent acme"

    kinds = {e["kind"] for e in loads(files, "timeline.json")}
    assert {"opened", "message_received", "note_added"} <= kinds

    audit = loads(files, "audit.json")
    # (beside these two, the audit log's own entries of the world's actions: the agent's note...)
    assert {(a["event"], a["summary"]) for a in audit} >= {("CaseAssigned", "Case assigned to Agent"),
                                                           ("ContactsMerged", "Contacts merged")}
    assert "203.0.113.7" not in files["audit.json"].decode() and "agent@acme.test" not in files["audit.json"].decode()

    listening = loads(files, "listening.json")
    assert listening["incidents"][0]["name"] == "Lyon baggage belt down"
    assert listening["clusters"][0]["label"] == "lost bags Lyon"

    (correction,) = loads(files, "triage_corrections.json")
    assert correction["label"] == "complaint" and correction["previous"] == "other"

    (mail,) = loads(files, "mails.json")
    assert mail["subject"] == "Case: bag 0057-LYS" and mail["to"] == ["bags@lyon.test"]


def test_files_are_the_stored_bytes_under_safe_names(world: World, rich: Rich) -> None:
    _, files = _archive(world, rich.contact_id)
    for name in files:
        assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name
        assert name.count("/") <= 1
    index = {f["upload_id"]: f for f in loads(files, "attachments/index.json")["files"]}
    assert set(index) == {rich.inbound_upload_id, rich.reply_upload_id, rich.partner_upload_id}
    photo = index[rich.inbound_upload_id]
    assert files[photo["path"]] == PNG and photo["intact"] is True
    receipt = index[rich.reply_upload_id]
    assert receipt["path"] == f"attachments/{rich.reply_upload_id}-passwd"
    assert receipt["name"] == HOSTILE  # the stored name, as data
    assert files[receipt["path"]] == PDF
    assert files[index[rich.partner_upload_id]["path"]] == PNG + b"partner"
    assert index[rich.partner_upload_id]["used_by"] and "escalation" in index[rich.partner_upload_id]["used_by"][0]


def test_raw_deliveries_as_received_and_a_shared_one_withheld(world: World, rich: Rich) -> None:
    _, files = _archive(world, rich.contact_id)
    deliveries = {d["id"]: d for d in loads(files, "raw_events/index.json")["deliveries"]}
    assert set(deliveries) == {*rich.own_raw_event_ids, rich.shared_raw_event_id}
    for raw_id in rich.own_raw_event_ids:
        body = files[deliveries[raw_id]["path"]]
        assert b'"author"' in body and b"sam" in body
    shared = deliveries[rich.shared_raw_event_id]
    assert shared["path"] is None and "another person" in shared["withheld"]
    assert not any(b'"zoe"' in content for name, content in files.items() if name.startswith("raw_events/"))


def test_nothing_of_another_contact(world: World, rich: Rich) -> None:
    _, files = _archive(world, rich.contact_id)
    for name, content in files.items():
        assert b"Zo\xc3\xa9" not in content and b"zoe" not in content.lower(), name
    assert rich.other_case_number not in [c["number"] for c in loads(files, "cases.json")]
    # and Zoé's own archive holds none of Sam's
    _, hers = _archive(world, rich.other_contact_id)
    # her case's messages (a comment Sam left in her public thread is part of it)
    assert sorted(m["text"] for m in loads(hers, "messages.json")) == ["Sam chiming in under a post",
                                                                      "Zoé's own secret complaint"]
    assert not any(b"0057-LYS" in content or b"ABC123" in content for content in hers.values())
    assert not any(name.startswith("attachments/") and not name.endswith("index.json") for name in hers)
    assert loads(hers, "surveys.json") == [] and loads(hers, "escalations.json") == []


def test_readme_in_english_and_french(world: World, rich: Rich) -> None:
    _, files = _archive(world, rich.contact_id)
    readme = files["README.txt"].decode("utf-8")
    assert "PERSONAL DATA EXPORT" in readme and "EXPORT DE DONNÉES PERSONNELLES" in readme
    assert "by Admin acme" in readme and "par Admin acme" in readme
    for name in ("contact.json", "messages.json", "notes.json", "raw_events/", "audit.json", "escalations.json"):
        assert readme.count(f"- {name}") >= 2, name
    assert "Fait le " in readme and "notes internes" in readme


def test_another_workspace_contact_is_not_found(world: World, world_factory: Any, rich: Rich) -> None:
    other = world_factory("globex")
    with other.runtime.db.transaction() as session, pytest.raises(NotFound):
        export.build_archive(session, workspace_id=other.workspace_id, contact_id=rich.contact_id,
                             data_dir=other.runtime.settings.data_dir)


def test_exporting_records_who_exported_whose_data(world: World, rich: Rich, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    original = bus.emit

    def spy(session: Any, publisher: Any, event: Any) -> None:
        seen.append(event)
        original(session, publisher, event)

    monkeypatch.setattr(bus, "emit", spy)
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        archive = export.export_contact(session, world.runtime.publisher, actor=admin, contact_id=rich.contact_id,
                                        data_dir=world.runtime.settings.data_dir)
        archive.close()
    (event,) = [e for e in seen if isinstance(e, ContactExported)]
    assert event.actor_user_id == world.admin.id and event.contact_id == rich.contact_id
    assert event.workspace_id == world.workspace_id and event.filename == archive.filename
    assert event.size == archive.size and event.counts["messages.json"] == 5


def test_a_big_contact_spills_to_disk(world: World, rich: Rich, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "SPOOL_BYTES", 1024)
    with world.runtime.db.transaction() as session:
        archive = export.build_archive(session, workspace_id=world.workspace_id, contact_id=rich.contact_id,
                                       data_dir=world.runtime.settings.data_dir)
    assert getattr(archive.file, "_rolled", True) is True  # on disk, not in memory
    assert (world.runtime.settings.data_dir / export.SPILL_DIR).is_dir()
    assert list((world.runtime.settings.data_dir / export.SPILL_DIR).iterdir()) == []  # no name on disk
    files = unzip(archive.read())
    archive.close()
    assert files["attachments/index.json"]


def test_safe_names() -> None:
    assert export.safe_file_name("../../etc/passwd") == "passwd"
    assert export.safe_file_name("..\\..\\boot.ini") == "boot.ini"
    assert export.safe_file_name(".htaccess") == "htaccess"
    assert export.safe_file_name("a\u202egnp.pdf") == "a_gnp.pdf"
    assert export.safe_file_name("") == "file" and export.safe_file_name("..") == "file"
    taken: set[str] = set()
    assert export.member_name("attachments", "a.png", taken) == "attachments/a.png"
    assert export.member_name("attachments", "A.png", taken) == "attachments/A (2).png"


def test_a_long_history_is_read_in_batches(world: World, rich: Rich, monkeypatch: pytest.MonkeyPatch) -> None:
    """More messages than a batch, answered by several agents (their names looked up while the rows stream)."""
    from sqlalchemy import insert, select

    from compris.accounts import actions as accounts
    from compris.kit.clock import now
    from compris.models import Case, Message, Workspace

    monkeypatch.setattr(export, "BATCH", 50)
    with world.runtime.db.transaction() as session:
        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        agents = [accounts.create_user(session, workspace=workspace, email=f"a{i}@acme.test", name=f"Agent {i}",
                                       password="correct horse battery", role="agent").id for i in range(3)]
        case_id = session.scalar(select(Case.id).where(Case.contact_id == rich.contact_id))
        session.execute(insert(Message), [
            {"workspace_id": world.workspace_id, "case_id": case_id, "direction": "outbound", "visibility": "private",
             "author_user_id": agents[i % 3], "text": f"reply {i}", "sent_at": now(), "attachments": [],
             "triage": {}, "platform_extra": {}} for i in range(260)])
    _, files = _archive(world, rich.contact_id)
    texts = [m["text"] for m in loads(files, "messages.json")]
    assert len(texts) == 265 and {f"reply {i}" for i in range(260)} <= set(texts)
    authors = {m["author"].get("name") for m in loads(files, "messages.json") if m["text"].startswith("reply ")}
    assert authors == {"Agent 0", "Agent 1", "Agent 2"}
    assert files["messages.csv"].decode("utf-8-sig").count("\n") == 266


def test_a_file_gone_from_the_disk_is_listed_as_missing(world: World, rich: Rich) -> None:
    from compris.models import Upload
    from compris.uploads import store

    with world.runtime.db.transaction() as session:
        upload = session.get(Upload, rich.partner_upload_id)
        assert upload is not None
        store.path_for(world.runtime.settings.data_dir, world.workspace_id, upload.sha256).unlink()
    _, files = _archive(world, rich.contact_id)
    index = {f["upload_id"]: f for f in loads(files, "attachments/index.json")["files"]}
    assert index[rich.partner_upload_id]["missing"] is True and index[rich.partner_upload_id]["path"] is None
    assert files[index[rich.inbound_upload_id]["path"]] == PNG  # the others are there


def test_a_spreadsheet_never_runs_a_message_as_a_formula(world: World, rich: Rich) -> None:
    from sqlalchemy import select

    from compris.kit.clock import now
    from compris.models import Case, Message

    formula = '=HYPERLINK("http://evil.test","click")'
    with world.runtime.db.transaction() as session:
        case = session.scalars(select(Case).where(Case.contact_id == rich.contact_id)).first()
        assert case is not None
        session.add(Message(workspace_id=world.workspace_id, case_id=case.id, direction="inbound",
                            visibility="private", text=formula, sent_at=now()))
    _, files = _archive(world, rich.contact_id)
    rows = list(csv.DictReader(io.StringIO(files["messages.csv"].decode("utf-8-sig"))))
    assert "'" + formula in {r["text"] for r in rows}
    assert formula in {m["text"] for m in loads(files, "messages.json")}  # the JSON keeps the exact text
