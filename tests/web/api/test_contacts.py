"""Contacts and merges through the API: read a contact, merge contacts and cases, split an identity off."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.models import Case, CaseEvent, Contact, Identity
from tests.conftest import World
from tests.web.api.helpers import auth, deliver, token


def _contact_of(world: World, number: int) -> int:
    with world.runtime.db.transaction() as session:
        contact_id = session.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id,
                                                                   Case.number == number))
    assert contact_id is not None
    return contact_id


def _written(world: World) -> tuple[int, ...]:
    """What a refused request must leave untouched: events, contacts, identities' owners, cases' contacts."""
    with world.runtime.db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(CaseEvent)) or 0,
            session.scalar(select(func.count()).select_from(Contact)) or 0,
            *session.scalars(select(Identity.contact_id).order_by(Identity.id)),
            *session.scalars(select(Case.contact_id).order_by(Case.id)),
            *[hash(s) for s in session.scalars(select(Case.status).order_by(Case.id))],
        )


def _two_customers(client: TestClient, world: World) -> tuple[int, int]:
    """Case 1 by cust-1 (on one account), case 2 by cust-2: two contacts; returns their ids."""
    deliver(client, world, "Where is my bag?", author="cust-1")
    deliver(client, world, "Still no bag, writing from my other account", author="cust-2")
    return _contact_of(world, 1), _contact_of(world, 2)


def test_read_a_contact(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    # given a customer who wrote once
    deliver(client, world, "Hello", author="marie")
    contact_id = _contact_of(world, 1)
    # when the contact is read
    response = client.get(f"/api/v1/contacts/{contact_id}", headers=agent_headers)
    # then it shows their identity and case
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == contact_id and body["display_name"] == "Marie" and body["merged_into_id"] is None
    assert [(i["network"], i["handle"]) for i in body["identities"]] == [("sandbox", "@marie")]
    assert [(c["number"], c["status"]) for c in body["cases"]] == [(1, "new")]


def test_merge_contacts_then_cases_then_split_an_identity_off(
        client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    # given one person writing from two accounts: two contacts, one case each
    first, second = _two_customers(client, world)
    # when the second contact is merged into the first
    merged = client.post(f"/api/v1/contacts/{second}/merge", json={"into": first}, headers=agent_headers)
    # then the first has both identities and both cases; the second points to it
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["id"] == first
    assert sorted(i["handle"] for i in body["identities"]) == ["@cust-1", "@cust-2"]
    assert [c["number"] for c in body["cases"]] == [2, 1]
    gone = client.get(f"/api/v1/contacts/{second}", headers=agent_headers).json()
    assert gone["merged_into_id"] == first and gone["identities"] == [] and gone["cases"] == []

    # when case 2 is merged into case 1
    response = client.post("/api/v1/cases/2/merge", json={"into": 1}, headers=agent_headers)
    # then case 1 carries both messages and case 2 is closed
    assert response.status_code == 200, response.text
    assert response.json()["number"] == 1
    case_1 = client.get("/api/v1/cases/1", headers=agent_headers).json()
    texts = [i["message"]["text"] for i in case_1["timeline"] if i["kind"] == "message"]
    assert texts == ["Where is my bag?", "Still no bag, writing from my other account"]
    assert client.get("/api/v1/cases/2", headers=agent_headers).json()["status"] == "closed"

    # when the second identity is split off again
    identity_id = next(i["id"] for i in body["identities"] if i["handle"] == "@cust-2")
    split = client.post(f"/api/v1/contacts/{first}/identities/{identity_id}/unmerge", headers=agent_headers)
    # then it is a new contact of its own, and the first keeps the other identity and the cases
    assert split.status_code == 201, split.text
    new = split.json()
    assert new["id"] not in (first, second) and [i["id"] for i in new["identities"]] == [identity_id]
    assert new["cases"] == []
    kept = client.get(f"/api/v1/contacts/{first}", headers=agent_headers).json()
    assert [i["handle"] for i in kept["identities"]] == ["@cust-1"]
    # and the customer's next message from that account opens a case on the new contact
    deliver(client, world, "Me again", author="cust-2")
    assert [c["number"] for c in client.get(f"/api/v1/contacts/{new['id']}", headers=agent_headers)
            .json()["cases"]] == [3]


def _refused(client: TestClient, world: World, headers: dict[str, str], path: str, body: Any, status: int) -> Any:
    before = _written(world)
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert _written(world) == before  # nothing written
    return response.json()


def test_merging_into_itself_is_refused(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    first, _ = _two_customers(client, world)
    error = _refused(client, world, agent_headers, f"/api/v1/contacts/{first}/merge", {"into": first}, 422)
    assert error["details"] == [{"field": "into", "message": "a contact cannot be merged into itself"}]
    error = _refused(client, world, agent_headers, "/api/v1/cases/1/merge", {"into": 1}, 422)
    assert error["details"][0]["field"] == "into"


def test_bad_merges_are_refused_and_write_nothing(
        client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    first, second = _two_customers(client, world)
    # cases of two different customers
    error = _refused(client, world, agent_headers, "/api/v1/cases/2/merge", {"into": 1}, 422)
    assert "same customer" in error["details"][0]["message"]
    # unknown targets, malformed bodies
    _refused(client, world, agent_headers, "/api/v1/cases/2/merge", {"into": 99}, 422)
    _refused(client, world, agent_headers, f"/api/v1/contacts/{second}/merge", {"into": 999_999}, 422)
    _refused(client, world, agent_headers, f"/api/v1/contacts/{second}/merge", {"into": "first"}, 422)
    _refused(client, world, agent_headers, f"/api/v1/contacts/{second}/merge", {}, 422)
    # unknown sources
    _refused(client, world, agent_headers, "/api/v1/cases/99/merge", {"into": 1}, 404)
    _refused(client, world, agent_headers, "/api/v1/contacts/999999/merge", {"into": first}, 404)
    # a contact merged away can be neither merged again nor merged into
    assert client.post(f"/api/v1/contacts/{second}/merge", json={"into": first},
                       headers=agent_headers).status_code == 200
    deliver(client, world, "A third person", author="cust-3")
    third = _contact_of(world, 3)
    _refused(client, world, agent_headers, f"/api/v1/contacts/{second}/merge", {"into": third}, 409)
    error = _refused(client, world, agent_headers, f"/api/v1/contacts/{third}/merge", {"into": second}, 422)
    assert "merged into another (Cust-1)" in error["error"]


def test_the_only_identity_cannot_be_split_off(
        client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    first, second = _two_customers(client, world)
    with world.runtime.db.transaction() as session:
        identity_id = session.scalar(select(Identity.id).where(Identity.contact_id == first))
        other_identity = session.scalar(select(Identity.id).where(Identity.contact_id == second))
    error = _refused(client, world, agent_headers, f"/api/v1/contacts/{first}/identities/{identity_id}/unmerge",
                     None, 422)
    assert error["error"] == "this identity is the contact's only one"
    # another contact's identity, through this contact: not found
    _refused(client, world, agent_headers, f"/api/v1/contacts/{first}/identities/{other_identity}/unmerge",
             None, 404)


def test_another_workspace_sees_nothing(client: TestClient, world: World, other_world: World,
                                        agent_headers: dict[str, str]) -> None:
    # given a customer of another workspace, with a case numbered 1 there too
    deliver(client, world, "Ours", author="cust-1")
    deliver(client, other_world, "Theirs", author="cust-9")
    ours, theirs = _contact_of(world, 1), _contact_of(other_world, 1)
    with world.runtime.db.transaction() as session:
        their_identity = session.scalar(select(Identity.id).where(Identity.contact_id == theirs))
    # then their contact is not found, and cannot be merged, merged into, or split
    assert client.get(f"/api/v1/contacts/{theirs}", headers=agent_headers).status_code == 404
    _refused(client, world, agent_headers, f"/api/v1/contacts/{theirs}/merge", {"into": ours}, 404)
    error = _refused(client, world, agent_headers, f"/api/v1/contacts/{ours}/merge", {"into": theirs}, 422)
    assert error["details"][0]["message"].endswith("no such contact in this workspace")
    _refused(client, world, agent_headers, f"/api/v1/contacts/{theirs}/identities/{their_identity}/unmerge",
             None, 404)
    # and their token cannot touch ours
    their_headers = auth(token(other_world, other_world.agent))
    assert client.get(f"/api/v1/contacts/{ours}", headers=their_headers).status_code == 404


def test_a_token_is_required(client: TestClient, world: World) -> None:
    deliver(client, world, "Hello", author="cust-1")
    contact_id = _contact_of(world, 1)
    assert client.get(f"/api/v1/contacts/{contact_id}").status_code == 401
    assert client.post("/api/v1/cases/1/merge", json={"into": 1}).status_code == 401
