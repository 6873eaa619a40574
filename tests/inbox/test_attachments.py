"""A customer's files: fetched after the message is committed, size-limited, type-sniffed, stored like reply uploads,
retried on transient errors, shown in the case view (preview or "not stored") and in the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

import compris.inbox.listeners  # noqa: F401  (registers the listener until the package's entry points are rebuilt)
from compris.config import Settings
from compris.inbox import attachments
from compris.kit.clock import now
from compris.models import Job, JobStatus, Message, Upload
from compris.runtime import Runtime
from compris.uploads import store
from compris.worker.queue import enqueue
from tests.conftest import World
from tests.connectors.standin import Reply, StandIn
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, make_client

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"pixels" * 20
PDF = b"%PDF-1.7\n" + b"x" * 50


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture(autouse=True)
def local_standin(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in network's files are on 127.0.0.1: allowed as local endpoints are (tests, the demo)."""
    monkeypatch.setattr(settings, "allow_local_http_endpoints", True)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


def send(client: TestClient, world: World, *files: dict[str, Any], text: str = "Voici la photo") -> Message:
    """A customer's DM with ``files`` through the real webhook, then every due job; returns the stored message."""
    raw, headers = world.body(world.payload(text, kind="dm", attachments=list(files)))
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()
    return latest(world)


def latest(world: World) -> Message:
    with world.runtime.db.transaction() as session:
        message = session.scalar(select(Message).order_by(Message.id.desc()).limit(1))
        assert message is not None
        session.expunge(message)
        return message


def uploads(world: World) -> list[Upload]:
    with world.runtime.db.transaction() as session:
        rows = list(session.scalars(select(Upload).order_by(Upload.id)))
        for row in rows:
            session.expunge(row)
        return rows


def fetch_jobs(world: World) -> list[Job]:
    with world.runtime.db.transaction() as session:
        rows = list(session.scalars(select(Job).where(Job.kind == attachments.FETCH_ATTACHMENTS).order_by(Job.id)))
        for row in rows:
            session.expunge(row)
        return rows


def make_due(world: World) -> None:
    with world.runtime.db.transaction() as session:
        session.execute(update(Job).where(Job.kind == attachments.FETCH_ATTACHMENTS,
                                          Job.status == JobStatus.QUEUED).values(run_at=now() - timedelta(seconds=1)))


def test_an_image_is_fetched_after_the_commit_and_stored_like_a_reply_upload(
        client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/media/photo.png", Reply(200, body=PNG))
    message = send(client, world, {"kind": "image", "url": f"{api.base_url}/media/photo.png", "name": "photo.png"})
    (item,) = message.attachments
    (upload,) = uploads(world)
    assert item["state"] == "stored" and item["upload_id"] == upload.id
    assert item["mime_type"] == "image/png" and item["size"] == len(PNG) and item["name"] == "photo.png"
    assert item["url"] == f"{api.base_url}/media/photo.png"  # the network's address is kept too
    # kept like a reply's file: the message carries it (retention), nobody uploaded it, its bytes on disk
    assert upload.message_id == message.id and upload.uploaded_by_id is None and upload.held_by is None
    assert store.read(world.runtime.settings.data_dir, world.workspace_id, upload.sha256) == PNG
    # fetched without credentials, on the poll lane, as one job
    (request,) = api.requests
    assert "authorization" not in request.headers
    (job,) = fetch_jobs(world)
    assert job.status == JobStatus.DONE
    assert attachments.LANE == "poll"


def test_a_file_on_an_address_off_the_internet_is_never_fetched(
        client: TestClient, world: World, api: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """A payload's address on the machine itself (or a private network, a cloud's metadata service): refused
    before any request, shown as not stored (no server-side request forgery)."""
    monkeypatch.setattr(world.runtime.settings, "allow_local_http_endpoints", False)
    api.on("GET", "/secret", Reply(200, body=PNG))
    message = send(client, world, {"kind": "image", "url": f"{api.base_url}/secret"},
                   {"kind": "image", "url": "http://169.254.169.254/latest/meta-data/"})
    local, metadata = message.attachments
    for item in (local, metadata):
        assert item["state"] == "not_stored" and item["reason"] == "unavailable"
        assert "not on the Internet" in item["detail"]
    assert api.requests == [] and uploads(world) == []


def test_the_job_is_idempotent(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/a.png", Reply(200, body=PNG))
    message = send(client, world, {"kind": "image", "url": f"{api.base_url}/a.png"})
    with world.runtime.db.transaction() as session:
        enqueue(session, world.runtime.publisher, workspace_id=world.workspace_id,
                kind=attachments.FETCH_ATTACHMENTS, payload={"message_id": message.id})
    world.run_jobs()
    assert len(api.requests) == 1 and len(uploads(world)) == 1
    assert latest(world).attachments == message.attachments


def test_a_file_over_the_limit_is_not_stored(client: TestClient, world: World, api: StandIn,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(world.runtime.settings, "max_inbound_file_bytes", 100)
    api.on("GET", "/big.pdf", Reply(200, body=PDF * 10))
    message = send(client, world, {"kind": "file", "url": f"{api.base_url}/big.pdf", "name": "big.pdf"})
    (item,) = message.attachments
    assert item["state"] == "not_stored" and item["reason"] == "too_large" and "upload_id" not in item
    assert uploads(world) == []


def test_a_type_compris_does_not_keep_is_not_stored(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/page.html", Reply(200, body=b"<html><script>alert(1)</script></html>"))
    message = send(client, world, {"kind": "file", "url": f"{api.base_url}/page.html", "name": "x.png"})
    (item,) = message.attachments
    assert item["state"] == "not_stored" and item["reason"] == "refused_type"
    assert uploads(world) == []


def test_a_file_the_network_no_longer_has_is_not_stored(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/gone.jpg", Reply(404, {"error": "expired"}))
    api.on("GET", "/forbidden.jpg", Reply(403, {"error": "no"}))
    message = send(client, world, {"kind": "image", "url": f"{api.base_url}/gone.jpg"},
                   {"kind": "image", "url": f"{api.base_url}/forbidden.jpg"})
    gone, forbidden = message.attachments
    assert gone["state"] == "not_stored" and gone["reason"] == "not_found" and "404" in gone["detail"]
    assert forbidden["state"] == "not_stored" and forbidden["reason"] == "refused"
    assert fetch_jobs(world)[0].status == JobStatus.DONE


def test_a_server_error_is_retried_with_backoff(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/flaky.png", Reply(503, {"error": "busy"}, headers={"Retry-After": "120"}), Reply(200, body=PNG))
    message = send(client, world, {"kind": "image", "url": f"{api.base_url}/flaky.png"})
    (item,) = message.attachments
    assert item["state"] == "pending" and item["tries"] == 1
    (job,) = fetch_jobs(world)
    assert job.status == JobStatus.QUEUED and job.run_at >= now() + timedelta(seconds=100)  # the platform's wait
    make_due(world)
    world.run_jobs()
    (item,) = latest(world).attachments
    assert item["state"] == "stored" and "tries" not in item
    assert len(api.requests) == 2 and len(uploads(world)) == 1


def test_a_file_that_keeps_failing_is_given_up(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/down.png", Reply(500, {"error": "down"}))
    send(client, world, {"kind": "image", "url": f"{api.base_url}/down.png"})
    for _ in range(attachments.MAX_TRIES):
        make_due(world)
        world.run_jobs()
    (item,) = latest(world).attachments
    assert item["state"] == "not_stored" and item["reason"] == "failed"
    assert len(api.requests) == attachments.MAX_TRIES


def test_what_is_not_a_file_is_left_alone(client: TestClient, world: World) -> None:
    message = send(client, world, {"kind": "location", "url": "https://www.openstreetmap.org/?mlat=1&mlon=2"},
                   {"kind": "file", "url": "javascript:alert(1)", "name": "evil"})
    assert all("state" not in a for a in message.attachments)
    assert fetch_jobs(world) == []


def test_the_case_view_shows_the_preview_and_the_not_stored_state(
        client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/p.png", Reply(200, body=PNG))
    api.on("GET", "/doc.pdf", Reply(200, body=PDF))
    api.on("GET", "/gone.png", Reply(410, {"error": "gone"}))
    send(client, world, {"kind": "image", "url": f"{api.base_url}/p.png", "name": "<i>photo.png"},
         {"kind": "file", "url": f"{api.base_url}/doc.pdf", "name": "facture.pdf"},
         {"kind": "image", "url": f"{api.base_url}/gone.png", "name": "old.png"})
    image, pdf = uploads(world)
    page = Agent(client, world.agent.email).get("/cases/1").text
    assert f'<img class="attachment-thumb" src="/uploads/{image.id}"' in page  # an inline thumbnail
    assert f'<a class="attachment-preview" href="/uploads/{image.id}"' in page  # click to open
    assert "<i>photo" not in page and "_i_photo.png" in page  # the stored name is cleaned, and escaped
    assert f'href="/uploads/{pdf.id}" download' in page and "facture.pdf" in page and "application/pdf" in page
    assert "Not stored: the network no longer has it (deleted, or its link expired)" in page
    opened = client.get(f"/uploads/{image.id}")
    assert opened.status_code == 200 and opened.content == PNG and opened.headers["content-type"] == "image/png"


def test_the_case_view_shows_a_pending_file(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/slow.png", Reply(502, {"error": "later"}))
    send(client, world, {"kind": "image", "url": f"{api.base_url}/slow.png", "name": "slow.png"})
    page = Agent(client, world.agent.email).get("/cases/1").text
    assert "Fetching the file…" in page


def test_the_api_shows_each_attachments_state_and_link(client: TestClient, world: World, api: StandIn) -> None:
    api.on("GET", "/p.png", Reply(200, body=PNG))
    api.on("GET", "/huge.png", Reply(200, body=PNG, headers={"Content-Length": str(10**12)}))
    send(client, world, {"kind": "image", "url": f"{api.base_url}/p.png"},
         {"kind": "location", "url": "https://www.openstreetmap.org/?mlat=1&mlon=2"})
    (upload,) = uploads(world)
    detail = client.get("/api/v1/cases/1", headers=auth(token(world, world.agent))).json()
    found = [m for m in (i.get("message") for i in detail["timeline"]) if m and m["attachments"]]
    stored, location = found[0]["attachments"]
    assert stored["state"] == "stored" and stored["upload_id"] == upload.id and stored["reason"] is None
    assert stored["content_url"] == f"/api/v1/uploads/{upload.id}/content"
    assert location["state"] is None and location["content_url"] is None
    content = client.get(stored["content_url"], headers=auth(token(world, world.agent, "t2")))
    assert content.status_code == 200 and content.content == PNG


def test_the_french_case_view_says_not_stored(client: TestClient, world: World, api: StandIn) -> None:
    from babel.messages.pofile import read_po

    from compris.web import i18n

    catalogue = read_po((i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb"))
    for msgid in ("Not stored: %(reason)s", "Fetching the file…", "the file is too large", "Download"):
        assert catalogue[msgid] is not None and catalogue[msgid].string, msgid


def test_the_stored_count_is_one_row_per_file(world: World, client: TestClient, api: StandIn) -> None:
    api.on("GET", "/same.png", Reply(200, body=PNG))
    send(client, world, {"kind": "image", "url": f"{api.base_url}/same.png", "name": "same.png"})
    send(client, world, {"kind": "image", "url": f"{api.base_url}/same.png", "name": "same.png"}, text="encore")
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == 1  # the same bytes, one row


def test_an_emails_files_are_stored_from_its_mime_parts(settings: Settings, runtime: Runtime, world: World,
                                                       client: TestClient) -> None:
    from compris.channels.actions import create_account
    from compris.connectors import fixture_bytes
    from compris.inbox.ingest import store_raw_event
    from compris.models import ChannelAccount
    from tests.conftest import SECRET

    raw = fixture_bytes("email", "reply_with_attachment.eml")
    with runtime.db.transaction() as session:
        account = create_account(session, SECRET, workspace_id=world.workspace_id, network="email", name="Mail",
                                 external_id="care@aircompris.example",
                                 settings={"from_address": "care@aircompris.example", "imap_host": "127.0.0.1",
                                           "imap_port": "1", "imap_security": "plain", "smtp_host": "127.0.0.1"},
                                 secrets={"imap_password": "p", "smtp_password": "p"})
        row = session.get(ChannelAccount, account.id)
        assert row is not None
        store_raw_event(session, runtime.publisher, row, "1:1", raw)
    world.run_jobs()
    message = latest(world)
    pdf, png = message.attachments
    assert pdf["state"] == "stored" and pdf["mime_type"] == "application/pdf" and pdf["name"] == "facture_été.pdf"
    assert png["state"] == "stored" and png["mime_type"] == "image/png"
    stored = {u.id: u for u in uploads(world)}
    assert stored[pdf["upload_id"]].message_id == message.id
    assert store.read(settings.data_dir, world.workspace_id, stored[png["upload_id"]].sha256)[:4] == b"\x89PNG"


def test_housekeeping_keeps_a_customers_file_like_a_replys(client: TestClient, world: World, api: StandIn) -> None:
    from compris.uploads.tasks import purge_orphans

    api.on("GET", "/keep.png", Reply(200, body=PNG))
    send(client, world, {"kind": "image", "url": f"{api.base_url}/keep.png"})
    (upload,) = uploads(world)
    purged = purge_orphans(world.runtime.db, world.runtime.settings.data_dir, grace=timedelta(0),
                           at=now() + timedelta(days=30))
    assert purged.uploads == 0 and uploads(world)[0].id == upload.id
    assert store.read(world.runtime.settings.data_dir, world.workspace_id, upload.sha256) == PNG


def test_a_connector_bug_never_loses_the_customers_message(client: TestClient, world: World,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.connectors.sandbox import SandboxConnector

    def broken(self: object, file: object) -> bool:
        raise RuntimeError("bug")

    monkeypatch.setattr(SandboxConnector, "fetchable", broken)
    message = send(client, world, {"kind": "image", "url": "https://cdn.example.org/a.png"}, text="toujours là")
    assert message.text == "toujours là" and "state" not in message.attachments[0]
    assert fetch_jobs(world) == []
