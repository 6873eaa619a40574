"""Connecting, editing and testing channel accounts from the admin pages."""

from __future__ import annotations

from sqlalchemy import select

from compris.config import Settings
from compris.kit.crypto import decrypt_json
from compris.models import CaseEvent, ChannelAccount
from compris.runtime import Runtime
from tests.conftest import SECRET, World
from tests.connectors.standin import Reply, StandIn
from tests.web.test_pages import Agent, make_client

APP_SECRET = "app-secret-0123456789"
TOKEN = "EAAG-page-token-abcdefghijklmnop"


def _connect(admin: Agent, api: StandIn) -> int:
    response = admin.post("/admin/channels/connect/facebook", {
        "name": "Air Compris FR", "external_id": "104000000000001", "secret_app_secret": APP_SECRET,
        "secret_page_access_token": TOKEN, "secret_verify_token": "", "setting_api_base": api.base_url})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[-1].split("?")[0])


def test_connect_edit_and_test_a_facebook_page(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    form = admin.get("/admin/channels/connect/facebook")
    assert form.status_code == 200 and "Page access token" in form.text and "App settings" in form.text
    with StandIn() as api:
        account_id = _connect(admin, api)
        with runtime.db.transaction() as session:
            account = session.get(ChannelAccount, account_id)
            assert account is not None
            assert APP_SECRET not in account.secrets_encrypted and TOKEN not in account.secrets_encrypted
            stored = decrypt_json(SECRET, account.secrets_encrypted)
        assert stored["app_secret"] == APP_SECRET and len(stored["verify_token"]) > 20
        page = admin.get(f"/admin/channels/{account_id}").text
        assert f"http://testserver/webhooks/{account_id}" in page
        assert stored["verify_token"] in page  # to paste into Meta's console
        assert APP_SECRET not in page and TOKEN not in page and "••••" + TOKEN[-4:] in page

        saved = admin.post(f"/admin/channels/{account_id}", {
            "name": "Air Compris France", "external_id": "104000000000001", "active": "1",
            "secret_app_secret": "", "secret_page_access_token": "", "secret_verify_token": "",
            "setting_api_base": api.base_url})
        assert saved.status_code == 303
        with runtime.db.transaction() as session:
            account = session.get(ChannelAccount, account_id)
            assert account is not None and account.name == "Air Compris France"
            assert decrypt_json(SECRET, account.secrets_encrypted) == stored  # secrets kept

        api.on("GET", "/me", Reply(200, {"id": "104000000000001", "name": "Air Compris FR"}))
        tested = admin.post(f"/admin/channels/{account_id}/test")
        assert tested.status_code == 200 and "connected to the page Air Compris FR" in tested.text
        assert api.only().headers["authorization"] == f"Bearer {TOKEN}"
        api.on("GET", "/me", Reply(400, {"error": {"message": "Invalid OAuth access token.", "code": 190}}))
        failed = admin.post(f"/admin/channels/{account_id}/test")
        assert "Invalid OAuth access token." in failed.text and TOKEN not in failed.text
    with runtime.db.transaction() as session:
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id.is_(None)))]
    assert {"channel_connected", "channel_updated", "channel_tested"} <= set(kinds)


def test_channel_admin_is_for_admins_of_the_workspace(settings: Settings, runtime: Runtime, world: World,
                                                       world_factory: object) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/admin/channels/connect/x").status_code == 403
    assert agent.post("/admin/channels/connect/x", {"name": "n", "external_id": "1"}).status_code == 403
    refused = agent.post(f"/admin/channels/{world.account.id}/test")
    assert refused.status_code == 403 and f'data-user-id="{world.agent.id}"' in refused.text  # the same page
    admin = Agent(make_client(settings, runtime), world.admin.email)
    assert admin.post("/admin/channels/connect/x", {"name": "n"}, csrf=False).status_code == 403
    assert admin.get("/admin/channels/connect/nonsense").status_code == 404
    missing = admin.post("/admin/channels/connect/x", {"name": "X", "external_id": "1",
                                                       "secret_user_access_token": "tok-typed-1234"})
    assert missing.status_code == 422 and "oauth2_client_secret" in missing.text
    assert "tok-typed-1234" not in missing.text  # a typed secret is never shown back
    other = world_factory("globex")  # type: ignore[operator]
    assert admin.get(f"/admin/channels/{other.account.id}").status_code == 404
    assert admin.post(f"/admin/channels/{other.account.id}/test").status_code == 404
