"""Uploads through the API and replies with attachments: types from the bytes, limits, workspaces, signed media
links, refusal where the network takes no files, and the send job handing the connector what it needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from compris.config import Settings
from compris.connectors.base import Limits
from compris.connectors.sandbox import SandboxConnector
from compris.kit.clock import now
from compris.uploads import media_links
from tests.conftest import SECRET, World
from tests.web.api.helpers import FakeNetwork, auth, deliver, token

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


def _upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "photo.png",
            content_type: str = "image/png") -> object:
    return client.post("/api/v1/uploads", files={"file": (name, data, content_type)}, headers=headers)


def test_an_upload_is_typed_from_its_bytes(client: TestClient, agent_headers: dict[str, str], world: World,
                                           settings: Settings) -> None:
    response = _upload(client, agent_headers, PNG, name="../boarding pass.png", content_type="text/html")
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["mime_type"] == "image/png" and body["kind"] == "image" and body["size"] == len(PNG)
    assert body["name"] == "boarding pass.png" and len(body["sha256"]) == 64
    stored = settings.data_dir / "uploads" / str(world.workspace_id) / body["sha256"][:2] / body["sha256"]
    assert stored.read_bytes() == PNG
    content = client.get(f"/api/v1/uploads/{body['id']}/content", headers=agent_headers)
    assert content.content == PNG and content.headers["content-type"] == "image/png"
    assert content.headers["x-content-type-options"] == "nosniff"


def test_html_dressed_as_a_png_is_refused(client: TestClient, agent_headers: dict[str, str]) -> None:
    response = _upload(client, agent_headers, HTML, name="cat.png", content_type="image/png")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "not accepted" in response.json()["error"]  # type: ignore[attr-defined]


def test_empty_and_too_large_files(client: TestClient, agent_headers: dict[str, str], settings: Settings) -> None:
    empty = _upload(client, agent_headers, b"")
    assert empty.status_code == 422 and "empty" in empty.json()["error"]  # type: ignore[attr-defined]
    settings.max_upload_bytes = 50
    large = _upload(client, agent_headers, PNG)
    assert large.status_code == 413 and "too large" in large.json()["error"]  # type: ignore[attr-defined]


def test_another_workspace_sees_nothing(client: TestClient, agent_headers: dict[str, str], world: World,
                                        other_world: World) -> None:
    upload_id = _upload(client, agent_headers, PNG).json()["id"]  # type: ignore[attr-defined]
    other = auth(token(other_world, other_world.agent))
    assert client.get(f"/api/v1/uploads/{upload_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/uploads/{upload_id}/content", headers=other).status_code == 404
    deliver(client, other_world, "Hello", author="x")
    response = client.post("/api/v1/cases/1/replies", json={"text": "hi", "attachment_ids": [upload_id]},
                           headers=other)
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "attachment_ids"


def test_media_links_serve_the_file_until_they_expire(client: TestClient, agent_headers: dict[str, str],
                                                      world: World) -> None:
    upload_id = _upload(client, agent_headers, PNG).json()["id"]  # type: ignore[attr-defined]
    good = media_links.token(SECRET, world.workspace_id, upload_id, now() + timedelta(hours=1))
    response = client.get(f"/media/{good}/photo.png")  # no login: the network fetches it
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    expired = media_links.token(SECRET, world.workspace_id, upload_id, now() - timedelta(seconds=1))
    assert client.get(f"/media/{expired}").status_code == 404
    wrong_workspace = media_links.token(SECRET, world.workspace_id + 1, upload_id, now() + timedelta(hours=1))
    assert client.get(f"/media/{wrong_workspace}").status_code == 404
    assert client.get(f"/media/{good[:-2]}xx").status_code == 404


def test_a_reply_with_a_file_reaches_the_connector(client: TestClient, agent_headers: dict[str, str],
                                                    world: World, network: FakeNetwork) -> None:
    deliver(client, world, "Where is my bag?", author="marie")
    upload_id = _upload(client, agent_headers, PNG).json()["id"]  # type: ignore[attr-defined]
    response = client.post("/api/v1/cases/1/replies", json={"attachment_ids": [upload_id]}, headers=agent_headers)
    assert response.status_code == 201, response.text
    reply = response.json()
    assert reply["text"] == "" and reply["attachments"] == [{
        "kind": "image", "url": f"/uploads/{upload_id}", "name": "photo.png", "mime_type": "image/png",
        "size": len(PNG), "upload_id": upload_id, "state": None, "reason": None,
        "content_url": f"/api/v1/uploads/{upload_id}/content"}]
    world.run_jobs()
    (sent,) = network.sent
    (attachment,) = sent.attachments
    assert attachment.upload_id == upload_id and attachment.data is None  # the sandbox fetches by URL
    assert attachment.url is not None and attachment.url.startswith("http://testserver/media/")
    fetched = client.get(attachment.url.removeprefix("http://testserver"))
    assert fetched.status_code == 200 and fetched.content == PNG


def test_a_network_without_attachments_refuses_the_reply(client: TestClient, agent_headers: dict[str, str],
                                                         world: World, network: FakeNetwork,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SandboxConnector, "limits", Limits(public_max_length=1000))
    deliver(client, world, "Hello", author="marie")
    upload_id = _upload(client, agent_headers, PNG).json()["id"]  # type: ignore[attr-defined]
    response = client.post("/api/v1/cases/1/replies", json={"text": "Here", "attachment_ids": [upload_id]},
                           headers=agent_headers)
    assert response.status_code == 422
    assert "does not accept attachments" in response.json()["error"]
    world.run_jobs()
    assert network.sent == []  # never sent without its file


def test_a_body_over_the_limit_is_refused_while_it_is_read(client: TestClient, agent_headers: dict[str, str],
                                                           settings: Settings, world: World) -> None:
    """The multipart parser would spool any size to disk before the handler sees the file: the body is refused
    as it arrives, whether its length is declared or not (chunked), and nothing is stored."""
    from compris.web.body_limit import request_limit

    settings.max_upload_bytes = 1000
    limit = request_limit(settings)
    big = PNG + b"\x00" * limit
    declared = _upload(client, agent_headers, big)
    assert declared.status_code == 413, declared.text  # type: ignore[attr-defined]
    assert "too large" in declared.json()["error"]  # type: ignore[attr-defined]
    boundary = "x-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()

    def chunks() -> object:
        yield head + PNG
        for _ in range(limit // 65536 + 2):
            yield b"\x00" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = client.post("/api/v1/uploads", content=chunks(),  # type: ignore[arg-type]
                          headers={**agent_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert chunked.status_code == 413, chunked.text
    assert not (settings.data_dir / "uploads").exists() or not any((settings.data_dir / "uploads").rglob("*"))
    # a file within the limits still goes through
    assert _upload(client, agent_headers, PNG).status_code == 201  # type: ignore[attr-defined]


def test_the_same_file_uploaded_again_is_the_same_upload(client: TestClient, agent_headers: dict[str, str]) -> None:
    first = _upload(client, agent_headers, PNG, name="map.png").json()  # type: ignore[attr-defined]
    again = _upload(client, agent_headers, PNG, name="map.png").json()  # type: ignore[attr-defined]
    renamed = _upload(client, agent_headers, PNG, name="plan.png").json()  # type: ignore[attr-defined]
    assert again["id"] == first["id"] and renamed["id"] != first["id"]
    assert renamed["sha256"] == first["sha256"]
