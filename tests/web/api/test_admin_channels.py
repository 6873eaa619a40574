"""Channel accounts through the API (admins): connect, read, change, test, and the published expected wait —
on the same actions as the admin pages; secrets are write-only and never logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.kit.crypto import decrypt_json
from compris.models import CaseEvent, ChannelAccount, WaitPublication
from tests.conftest import SECRET, World
from tests.connectors.standin import Reply, StandIn
from tests.web.api.helpers import auth, token

APP_SECRET = "app-secret-0123456789"
TOKEN = "EAAG-page-token-abcdefghijklmnop"
NEW_TOKEN = "EAAG-renewed-token-qrstuvwxyz0123"


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def channel_events(world: World) -> list[tuple[str, dict[str, Any]]]:
    with world.runtime.db.transaction() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                 CaseEvent.actor_user_id == world.admin.id,
                                                 CaseEvent.case_id.is_(None)).order_by(CaseEvent.id))
        return [(r.kind, dict(r.data)) for r in rows]


def account_count(world: World) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(ChannelAccount)) or 0)


def test_connect_read_change_and_test_a_facebook_page(client: TestClient, world: World,
                                                      admin_headers: dict[str, str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with StandIn() as api:
        # given a page connected through the API
        created = client.post("/api/v1/channels", headers=admin_headers, json={
            "network": "facebook", "name": "Air Compris FR", "external_id": "104000000000001",
            "settings": {"api_base": api.base_url},
            "secrets": {"app_secret": APP_SECRET, "page_access_token": TOKEN}})
        assert created.status_code == 201, created.text
        body = created.json()
        account_id = body["id"]
        # then its secrets are answered redacted, the generated verify token in full, with the webhook URL
        assert APP_SECRET not in created.text and TOKEN not in created.text
        secrets = {s["name"]: s for s in body["secrets"]}
        assert secrets["page_access_token"] == {"name": "page_access_token", "is_set": True,
                                                "shown": "••••" + TOKEN[-4:], "in_full": False}
        with world.runtime.db.transaction() as s:
            row = s.get(ChannelAccount, account_id)
            assert row is not None
            stored = decrypt_json(SECRET, row.secrets_encrypted)
        assert stored["app_secret"] == APP_SECRET and len(stored["verify_token"]) > 20
        assert secrets["verify_token"]["shown"] == stored["verify_token"] and secrets["verify_token"]["in_full"]
        assert body["webhook_url"] == f"http://testserver/webhooks/{account_id}"
        assert (body["network"], body["network_name"], body["settings"], body["last_check"]) == (
            "facebook", "Facebook", {"api_base": api.base_url}, None)
        assert client.get(f"/api/v1/channels/{account_id}", headers=admin_headers).json() == body

        # when it is renamed, its token replaced and disabled
        changed = client.patch(f"/api/v1/channels/{account_id}", headers=admin_headers, json={
            "name": "Air Compris France", "secrets": {"page_access_token": NEW_TOKEN, "app_secret": ""},
            "is_active": False})
        assert changed.status_code == 200, changed.text
        assert (changed.json()["name"], changed.json()["is_active"]) == ("Air Compris France", False)
        assert NEW_TOKEN not in changed.text
        with world.runtime.db.transaction() as s:
            row = s.get(ChannelAccount, account_id)
            assert row is not None
            assert decrypt_json(SECRET, row.secrets_encrypted) == {**stored, "page_access_token": NEW_TOKEN}
            assert row.settings == {"api_base": api.base_url}  # settings not given: unchanged
        enabled = client.patch(f"/api/v1/channels/{account_id}", json={"is_active": True}, headers=admin_headers)
        assert enabled.json()["is_active"] is True

        # and tested: the network's answer, kept on the account
        api.on("GET", "/me", Reply(200, {"id": "104000000000001", "name": "Air Compris FR"}))
        tested = client.post(f"/api/v1/channels/{account_id}/test", headers=admin_headers)
        assert tested.status_code == 200, tested.text
        assert tested.json()["ok"] is True and "connected to the page Air Compris FR" in tested.json()["message"]
        assert api.only().headers["authorization"] == f"Bearer {NEW_TOKEN}"
        api.on("GET", "/me", Reply(400, {"error": {"message": "Invalid OAuth access token.", "code": 190}}))
        failed = client.post(f"/api/v1/channels/{account_id}/test", headers=admin_headers)
        assert failed.status_code == 200 and failed.json()["ok"] is False
        assert "Invalid OAuth access token." in failed.json()["message"] and NEW_TOKEN not in failed.text
        last = client.get(f"/api/v1/channels/{account_id}", headers=admin_headers).json()["last_check"]
        assert last["ok"] is False and last["message"] == failed.json()["message"]

    # every change audited, no secret value anywhere in the audit rows nor in the logs
    events = [(k, d) for k, d in channel_events(world) if k.startswith("channel_")]
    assert [k for k, _ in events] == ["channel_connected", "channel_updated", "channel_updated", "channel_tested",
                                      "channel_tested"]
    assert events[1][1]["changed"] == ["name", "active", "page_access_token (secret)"]
    for secret in (APP_SECRET, TOKEN, NEW_TOKEN):
        assert secret not in str(events) and secret not in caplog.text


def test_a_sandbox_account_and_its_published_wait(client: TestClient, world: World,
                                                  admin_headers: dict[str, str]) -> None:
    with StandIn() as api:
        api.on("GET", "/api/me", Reply(200, {"name": "Brand"}))
        created = client.post("/api/v1/channels", headers=admin_headers, json={
            "network": "sandbox", "name": "Sandbox 2", "external_id": "brand-2",
            "settings": {"api_base": api.base_url + "/"}, "secrets": {"webhook_secret": "whsec-2",
                                                                      "api_token": "tok-2-abcdefgh"}})
        assert created.status_code == 201, created.text
        account_id = created.json()["id"]
        assert created.json()["settings"] == {"api_base": api.base_url}
        tested = client.post(f"/api/v1/channels/{account_id}/test", headers=admin_headers)
        assert tested.json()["ok"] is True and tested.json()["message"] == "connected as Brand"
    # settings: a name given changes, "" removes it, the others stay
    patched = client.patch(f"/api/v1/channels/{account_id}", json={"settings": {"flavour": "threads"}},
                           headers=admin_headers)
    assert patched.json()["settings"] == {"api_base": api.base_url, "flavour": "threads"}
    patched = client.patch(f"/api/v1/channels/{account_id}", json={"settings": {"flavour": ""}},
                           headers=admin_headers)
    assert patched.json()["settings"] == {"api_base": api.base_url}

    # the expected wait: not published until asked
    path = f"/api/v1/channels/{world.account.id}/wait-publication"
    first = client.get(path, headers=admin_headers)
    assert first.status_code == 200 and first.json() == {
        "channel_account_id": world.account.id, "published": False, "public_id": None, "json_url": None,
        "badge_url": None, "auto_ack": False}
    published = client.patch(path, json={"auto_ack": True}, headers=admin_headers).json()
    assert published["published"] and published["auto_ack"] and published["public_id"].startswith("w_")
    assert published["json_url"] == f"http://testserver/public/wait/{published['public_id']}"
    assert client.get(published["json_url"]).status_code == 200
    regenerated = client.patch(path, json={"regenerate": True}, headers=admin_headers).json()
    assert regenerated["public_id"] != published["public_id"] and regenerated["auto_ack"] is True
    assert client.get(published["json_url"]).status_code == 404  # the old link stopped working
    assert client.get(path, headers=admin_headers).json() == regenerated
    changes = [d["changes"] for k, d in channel_events(world) if k == "settings_changed"
               and d["entity"] == "wait_publication"]
    assert changes == [["auto_ack", "public_id"], ["public_id"]]


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("post", "", {"network": "myspace", "name": "A", "external_id": "1"}, 422, "unknown network 'myspace'"),
    ("post", "", {"network": "sandbox", "name": "A", "external_id": "1", "secrets": {"webhook_secret": "w"}}, 422,
     "missing credentials: api_token"),
    ("post", "", {"network": "sandbox", "name": "A", "external_id": "1", "secrets": {"password": "p"}}, 422,
     "unknown secrets: password"),
    ("post", "", {"network": "sandbox", "name": "A", "external_id": "1", "settings": {"colour": "red"},
                  "secrets": {"webhook_secret": "w", "api_token": "t"}}, 422, "unknown settings: colour"),
    ("post", "", {"network": "sandbox", "name": "A", "external_id": "brand-acme",
                  "secrets": {"webhook_secret": "w", "api_token": "t"}}, 409, "this account is already connected"),
    ("patch", "/{id}", {"settings": {"api_base": "ftp://x"}}, 422, "must start with http:// or https://"),
    ("patch", "/{id}", {"secrets": {"token": "x"}}, 422, "unknown secrets: token"),
    ("patch", "/999999", {"name": "B"}, 404, "no such channel account"),
    ("get", "/999999", None, 404, "no such channel account"),
    ("post", "/999999/test", None, 404, "no such channel account"),
    ("patch", "/999999/wait-publication", {"auto_ack": True}, 404, "no such channel account"),
])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(client: TestClient, world: World,
                                                     admin_headers: dict[str, str], method: str, path: str,
                                                     body: dict[str, Any] | None, status: int, message: str) -> None:
    before = (account_count(world), channel_events(world))
    response = client.request(method, "/api/v1/channels" + path.replace("{id}", str(world.account.id)), json=body,
                              headers=admin_headers)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert (account_count(world), channel_events(world)) == before
    with world.runtime.db.transaction() as s:
        row = s.get(ChannelAccount, world.account.id)
        assert row is not None and row.settings == {"api_base": "http://sandbox.invalid"}
        assert s.scalars(select(WaitPublication)).all() == []


def test_for_admins_of_the_workspace_only(client: TestClient, world: World, other_world: World,
                                          agent_headers: dict[str, str]) -> None:
    mine = f"/api/v1/channels/{world.account.id}"
    for method, path, body in (("post", "/api/v1/channels", {"network": "sandbox", "name": "A", "external_id": "1"}),
                               ("get", mine, None), ("patch", mine, {"is_active": False}),
                               ("post", mine + "/test", None),
                               ("get", mine + "/wait-publication", None),
                               ("patch", mine + "/wait-publication", {"auto_ack": True})):
        response = client.request(method, path, json=body, headers=agent_headers)
        assert response.status_code == 403, (path, response.text)
        assert client.request(method, path, json=body).status_code == 401
    other_admin = auth(token(other_world, other_world.admin))
    for method, path, body in (("get", mine, None), ("patch", mine, {"is_active": False}),
                               ("post", mine + "/test", None), ("get", mine + "/wait-publication", None),
                               ("patch", mine + "/wait-publication", {"regenerate": True})):
        assert client.request(method, path, json=body, headers=other_admin).status_code == 404, path
    with world.runtime.db.transaction() as s:
        row = s.get(ChannelAccount, world.account.id)
        assert row is not None and row.is_active and row.checked_at is None
    # everyone still lists the channels, without settings or secrets
    listed = client.get("/api/v1/channels", headers=agent_headers)
    assert listed.status_code == 200 and "settings" not in listed.json()["items"][0]


def test_an_account_whose_connector_is_gone(client: TestClient, world: World, admin_headers: dict[str, str]) -> None:
    # given an account of a network whose connector was uninstalled
    with world.runtime.db.transaction() as s:
        row = ChannelAccount(workspace_id=world.workspace_id, network="myspace", name="Old", external_id="1",
                             settings={}, secrets_encrypted="")
        s.add(row)
        s.flush()
        account_id = row.id
    # then it is shown without its secrets; changing or testing it says why not
    shown = client.get(f"/api/v1/channels/{account_id}", headers=admin_headers)
    assert shown.status_code == 200 and (shown.json()["secrets"], shown.json()["webhook_url"]) == ([], None)
    for method, path, body in (("patch", "", {"name": "New"}), ("post", "/test", None)):
        response = client.request(method, f"/api/v1/channels/{account_id}{path}", json=body, headers=admin_headers)
        assert response.status_code == 422 and response.json()["error"] == (
            "the 'myspace' connector is not installed on this server")
