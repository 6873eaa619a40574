"""Erasure from the pages (the contact's "Personal data" box, the typed confirmation, the records page), the API,
and Meta's Data Deletion Request Callback with a valid, forged and expired ``signed_request``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.channels.actions import create_account
from compris.connectors.meta import deletion
from compris.models import Case, Contact, Erasure, Identity, Message
from compris.privacy.actions.erasure import ERASED_NAME
from tests.conftest import SECRET, World
from tests.privacy.test_erasure import ZOE_HANDLE, ZOE_ID, ZOE_NAME, _deliver
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent

APP_SECRET = "meta-app-secret-0123456789"
PSID = "6024112233445566"


def _zoe(client: TestClient, world: World) -> int:
    _deliver(client, world, "My suitcase never arrived", author=ZOE_ID, handle=ZOE_HANDLE, name=ZOE_NAME)
    with world.runtime.db.transaction() as session:
        contact_id = session.scalar(select(Identity.contact_id).where(Identity.platform_user_id == ZOE_ID))
    assert contact_id is not None
    return contact_id


# --- pages ---------------------------------------------------------------------------------------------------------


def test_an_admin_erases_from_the_contact_page(client: TestClient, world: World) -> None:
    contact_id = _zoe(client, world)
    client.follow_redirects = False
    admin = Agent(client, world.admin.email)
    page = admin.get(f"/contacts/{contact_id}").text
    assert f'href="/contacts/{contact_id}/erase"' in page and "Personal data" in page
    form = admin.get(f"/contacts/{contact_id}/erase")
    assert form.status_code == 200 and "Type ERASE to confirm" in form.text

    wrong = admin.post(f"/contacts/{contact_id}/erase", {"confirm": "yes", "reason": "asked by e-mail"})
    assert wrong.status_code == 422 and "Type the word shown to confirm." in wrong.text
    assert "asked by e-mail" in wrong.text  # nothing lost
    with world.runtime.db.transaction() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.display_name == ZOE_NAME

    done = admin.post(f"/contacts/{contact_id}/erase", {"confirm": " erase ", "reason": "asked by e-mail"})
    assert done.status_code == 303 and done.headers["location"].startswith("/admin/privacy?done=")
    code = done.headers["location"].split("=", 1)[1]
    listing = admin.get("/admin/privacy").text
    assert code in listing and "asked by e-mail" in listing and world.admin.name in listing
    assert ZOE_NAME not in listing
    with world.runtime.db.transaction() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.display_name == ERASED_NAME
        erasure = session.scalar(select(Erasure))
        assert erasure is not None and erasure.requested_by_id == world.admin.id and erasure.source == "admin"
    contact_page = admin.get(f"/contacts/{contact_id}").text
    assert "suitcase" not in contact_page and ERASED_NAME in contact_page and "erased:" not in contact_page
    with world.runtime.db.transaction() as session:
        number = session.scalar(select(Case.number).where(Case.contact_id == contact_id))
    case_page = admin.get(f"/cases/{number}")
    assert case_page.status_code == 200
    assert "suitcase" not in case_page.text and "Content erased (personal data)" in case_page.text
    assert "Zoë" not in admin.get("/inbox").text


def test_french_confirmation_word(client: TestClient, world: World) -> None:
    contact_id = _zoe(client, world)
    client.follow_redirects = False
    admin = Agent(client, world.admin.email)
    done = admin.post(f"/contacts/{contact_id}/erase", {"confirm": "EFFACER", "reason": ""})
    assert done.status_code == 303


def test_an_agent_may_not_erase(client: TestClient, world: World) -> None:
    contact_id = _zoe(client, world)
    client.follow_redirects = False
    agent = Agent(client, world.agent.email)
    assert "/erase" not in agent.get(f"/contacts/{contact_id}").text
    assert agent.get(f"/contacts/{contact_id}/erase").status_code == 403
    assert agent.post(f"/contacts/{contact_id}/erase", {"confirm": "ERASE"}).status_code == 403
    assert agent.get("/admin/privacy").status_code == 403


# --- API -----------------------------------------------------------------------------------------------------------


def test_api_erases_and_lists(client: TestClient, world: World) -> None:
    from compris.accounts import actions as accounts
    from compris.models import User

    contact_id = _zoe(client, world)
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        row, raw = accounts.create_token(session, admin, "privacy")
        row.scopes = "read write admin"
        _, plain = accounts.create_token(session, admin, "plain", scopes="read write")  # not enough
    headers = auth(raw)
    response = client.post(f"/api/v1/contacts/{contact_id}/erasure", json={"reason": f"{ZOE_NAME} asked"},
                           headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "api" and body["status"] == "done" and body["counts"]["messages"] == 1
    assert ZOE_NAME not in body["reason"]
    listed = client.get("/api/v1/erasures", headers=headers)
    assert listed.status_code == 200 and [e["id"] for e in listed.json()] == [body["id"]]
    assert client.post("/api/v1/contacts/999999/erasure", json={}, headers=headers).status_code == 404
    # an agent's token, or an admin's token without the admin scope, may not
    assert client.get("/api/v1/erasures", headers=auth(plain)).status_code == 403
    agent = auth(token(world, world.agent))
    assert client.post(f"/api/v1/contacts/{contact_id}/erasure", json={}, headers=agent).status_code == 403
    assert client.get("/api/v1/erasures", headers=agent).status_code == 403


# --- Meta's callback -----------------------------------------------------------------------------------------------


@pytest.fixture
def facebook(world: World) -> int:
    with world.runtime.db.transaction() as session:
        account = create_account(session, SECRET, workspace_id=world.workspace_id, network="facebook",
                                 name="Brand page", external_id="1029384756",
                                 secrets={"app_secret": APP_SECRET, "verify_token": "v",
                                          "page_access_token": "t"})
        contact = Contact(workspace_id=world.workspace_id, display_name="Léa Martin")
        session.add(contact)
        session.flush()
        session.add(Identity(workspace_id=world.workspace_id, contact_id=contact.id, network="facebook",
                             platform_user_id=PSID, name="Léa Martin"))
        return account.id


def _signed(user_id: str = PSID, secret: str = APP_SECRET, **extra: Any) -> str:
    now = int(time.time())
    return deletion.sign(secret, {"algorithm": "HMAC-SHA256", "issued_at": now, "expires": now + 3600,
                                  "user_id": user_id, **extra})


def test_meta_callback_erases_and_answers(client: TestClient, world: World, facebook: int) -> None:
    response = client.post(f"/privacy/meta/deletion/{facebook}", data={"signed_request": _signed()})
    assert response.status_code == 200, response.text
    body = response.json()
    code = body["confirmation_code"]
    assert body["url"] == f"http://testserver/privacy/deletion/{code}"
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(Identity).where(Identity.platform_user_id == PSID)) is None
        erasure = session.scalar(select(Erasure).where(Erasure.confirmation_code == code))
        assert erasure is not None and erasure.source == "meta_deletion_callback" and erasure.status == "done"
        assert erasure.requested_by_id is None
    status = client.get(f"/privacy/deletion/{code}")
    assert status.status_code == 200 and "Your data was deleted." in status.text and "Léa" not in status.text
    fr = client.get(f"/privacy/deletion/{code}", headers={"accept-language": "fr"})
    assert fr.status_code == 200 and 'lang="fr"' in fr.text
    # the same request again names nobody now
    again = client.post(f"/privacy/meta/deletion/{facebook}", data={"signed_request": _signed()})
    assert again.status_code == 200
    assert "nothing to delete" in client.get(f"/privacy/deletion/{again.json()['confirmation_code']}").text


@pytest.mark.parametrize("signed", [
    "not-a-signed-request",
    "a.b.c",
    "@@@.###",
    "",
])
def test_meta_callback_malformed_is_400(client: TestClient, world: World, facebook: int, signed: str) -> None:
    response = client.post(f"/privacy/meta/deletion/{facebook}", data={"signed_request": signed})
    assert response.status_code == 400


def test_meta_callback_forged_or_expired_is_400(client: TestClient, world: World, facebook: int) -> None:
    forged = client.post(f"/privacy/meta/deletion/{facebook}",
                         data={"signed_request": _signed(secret="another-secret")})
    assert forged.status_code == 400
    expired = client.post(f"/privacy/meta/deletion/{facebook}", data={"signed_request": deletion.sign(
        APP_SECRET, {"algorithm": "HMAC-SHA256", "issued_at": 1_000_000, "expires": 1_003_600, "user_id": PSID})})
    assert expired.status_code == 400
    no_form = client.post(f"/privacy/meta/deletion/{facebook}", content=b"\xff\xfe",
                          headers={"content-type": "multipart/form-data; boundary=x"})
    assert no_form.status_code == 400
    assert client.post("/privacy/meta/deletion/999999", data={"signed_request": _signed()}).status_code == 404
    assert client.post(f"/privacy/meta/deletion/{world.account.id}",  # a sandbox account: not Meta's
                       data={"signed_request": _signed()}).status_code == 404
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(Identity).where(Identity.platform_user_id == PSID)) is not None
        assert session.scalar(select(Erasure)) is None
        assert session.scalar(select(Message.id)) is None


def test_unknown_status_code_is_404(client: TestClient) -> None:
    assert client.get("/privacy/deletion/0123456789ABCDEF").status_code == 404
    assert client.get("/privacy/deletion/%25%25").status_code == 404
