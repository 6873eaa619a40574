"""The outgoing mail API: settings (password write-only, encrypted, redacted), validation, audit without secrets,
the test mail and the log; admins only; one workspace."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.kit.crypto import decrypt_json
from compris.models import CaseEvent, MailSettings
from tests.conftest import World
from tests.mail.smtp_server import smtp_server
from tests.web.api.helpers import auth, token

SETTINGS = {"host": "smtp.brand.example", "port": 587, "security": "starttls", "username": "care@brand.example",
            "password": "hunter2-secret", "from_address": "care@brand.example", "from_name": "Brand Care",
            "reply_address": "care+{token}@brand.example"}


def admin(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def test_settings_round_trip_with_a_write_only_password(client: TestClient, world: World) -> None:
    headers = admin(world)
    empty = client.get("/api/v1/mail/settings", headers=headers).json()
    assert empty["configured"] is False and empty["password_set"] is False
    response = client.put("/api/v1/mail/settings", json=SETTINGS, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["configured"] is True and body["password_set"] is True
    assert body["password"] == "••••••••" and "hunter2" not in response.text
    with world.runtime.db.transaction() as s:
        row = s.scalar(select(MailSettings).where(MailSettings.workspace_id == world.workspace_id))
        assert row is not None and "hunter2" not in row.secrets
        assert decrypt_json(world.runtime.settings.secret_key, row.secrets) == {"password": "hunter2-secret"}
        audit = list(s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed",
                                                       CaseEvent.workspace_id == world.workspace_id)))
    assert audit[-1].data["entity"] == "mail_settings" and "password" in audit[-1].data["changes"]
    assert all("hunter2" not in str(e.data) for e in audit)
    # saving again without a password keeps it; clear_password removes it
    again = client.put("/api/v1/mail/settings", json={**SETTINGS, "password": None, "port": 2525}, headers=headers)
    assert again.json()["password_set"] is True and again.json()["port"] == 2525
    cleared = client.put("/api/v1/mail/settings", json={**SETTINGS, "password": None, "clear_password": True},
                         headers=headers)
    assert cleared.json()["password_set"] is False


def test_invalid_settings_are_422(client: TestClient, world: World) -> None:
    headers = admin(world)
    for change in ({"port": 0}, {"security": "tls13"}, {"from_address": "not an address"},
                   {"host": "bad host name"}, {"reply_address": "care@{token}.example"},
                   {"reply_address": "care+{token}+{token}@brand.example"}, {"from_name": "a\r\nBcc: x@y.z"},
                   {"from_address": ""}, {"surprise": 1}):
        response = client.put("/api/v1/mail/settings", json={**SETTINGS, **change}, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]
    assert client.get("/api/v1/mail/settings", headers=headers).json()["configured"] is False  # nothing stored


def test_admins_only(client: TestClient, world: World) -> None:
    headers = auth(token(world, world.agent))
    assert client.get("/api/v1/mail/settings", headers=headers).status_code == 403
    assert client.put("/api/v1/mail/settings", json=SETTINGS, headers=headers).status_code == 403
    assert client.get("/api/v1/mail/outgoing", headers=headers).status_code == 403
    assert client.post("/api/v1/mail/test", json={}, headers=headers).status_code == 403


def test_the_test_mail_and_the_log(client: TestClient, world: World,
                                   world_factory: Callable[[str], World]) -> None:
    headers = admin(world)
    refused = client.post("/api/v1/mail/test", json={}, headers=headers)
    assert refused.status_code == 422 and "SMTP" in refused.json()["error"]
    with smtp_server() as (recorder, port):
        client.put("/api/v1/mail/settings", json={**SETTINGS, "host": "127.0.0.1", "port": port,
                                                  "security": "plain", "username": ""}, headers=headers)
        queued = client.post("/api/v1/mail/test", json={}, headers=headers)
        assert queued.status_code == 202 and queued.json()["state"] == "queued"
        assert queued.json()["to"] == [world.admin.email]
        world.run_jobs()
    mail_id = queued.json()["id"]
    got = client.get(f"/api/v1/mail/outgoing/{mail_id}", headers=headers).json()
    assert got["state"] == "sent" and got["purpose"] == "test" and "test mail" in got["text"]
    assert len(recorder.envelopes) == 1 and recorder.envelopes[0].rcpt_tos == [world.admin.email]
    log = client.get("/api/v1/mail/outgoing", headers=headers).json()["items"]
    assert [m["id"] for m in log] == [mail_id] and log[0]["text"] is None
    assert client.get("/api/v1/mail/outgoing?state=failed", headers=headers).json()["items"] == []
    assert client.get("/api/v1/mail/outgoing?body=true", headers=headers).json()["items"][0]["text"]
    # another workspace sees nothing of it
    other = world_factory("globex")
    assert client.get(f"/api/v1/mail/outgoing/{mail_id}", headers=admin(other)).status_code == 404
    assert client.get("/api/v1/mail/outgoing", headers=admin(other)).json()["items"] == []
    assert client.post("/api/v1/mail/test", json={"to": "nope"}, headers=headers).status_code == 422
