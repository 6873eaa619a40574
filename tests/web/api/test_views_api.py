"""The saved views API (/api/v1/views) and the cases list's filters, search and per-user unread (issue 18)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.web.api.helpers import auth, deliver, token


def _cases(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/cases", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_views_crud(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Colis non reçu", author="anne")
    deliver(client, world, "Merci", author="bob")
    created = client.post("/api/v1/views", headers=agent_headers, json={
        "name": "Pas reçu", "filters": {"q": "recu", "status": "all", "sort": "priority"}})
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["name"] == "Pas reçu" and view["shared"] is False and view["mine"] is True
    assert view["may_change"] is True and view["cases"] == 1
    assert view["filters"]["q"] == "recu" and view["filters"]["sort"] == "priority"
    listed = client.get("/api/v1/views", headers=agent_headers).json()["items"]
    assert [v["id"] for v in listed] == [view["id"]]
    patched = client.patch(f"/api/v1/views/{view['id']}", headers=agent_headers,
                           json={"name": "Tout", "filters": {"status": "all"}})
    assert patched.status_code == 200 and patched.json()["name"] == "Tout" and patched.json()["cases"] == 2
    assert client.get(f"/api/v1/views/{view['id']}", headers=agent_headers).json()["name"] == "Tout"
    assert client.delete(f"/api/v1/views/{view['id']}", headers=agent_headers).status_code == 204
    assert client.get(f"/api/v1/views/{view['id']}", headers=agent_headers).status_code == 404


def test_views_bad_input_and_permissions(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    bad = [{"name": ""}, {"name": "x" * 81}, {"name": "a", "filters": {"priority": "extreme"}},
           {"name": "a", "filters": {"sort": "random"}}, {"name": "a", "filters": {"language": "french"}},
           {"name": "a", "filters": {"unknown": 1}}, {"name": "a", "extra": True}]
    for body in bad:
        assert client.post("/api/v1/views", headers=agent_headers, json=body).status_code == 422, body
    assert client.post("/api/v1/views", headers=agent_headers,
                       json={"name": "Shared", "shared": True}).status_code == 403
    admin = auth(token(world, world.admin))
    shared = client.post("/api/v1/views", headers=admin, json={"name": "Shared", "shared": True}).json()
    private = client.post("/api/v1/views", headers=admin, json={"name": "Private"}).json()
    seen = {v["name"]: v for v in client.get("/api/v1/views", headers=agent_headers).json()["items"]}
    assert set(seen) == {"Shared"} and seen["Shared"]["may_change"] is False and seen["Shared"]["mine"] is False
    assert client.patch(f"/api/v1/views/{shared['id']}", headers=agent_headers,
                        json={"name": "x"}).status_code == 403
    assert client.delete(f"/api/v1/views/{shared['id']}", headers=agent_headers).status_code == 403
    assert client.get(f"/api/v1/views/{private['id']}", headers=agent_headers).status_code == 404
    assert client.get("/api/v1/views/0", headers=agent_headers).status_code == 422


def test_a_workspace_never_sees_anothers_views(client: TestClient, world: World, other_world: World,
                                               agent_headers: dict[str, str]) -> None:
    other = auth(token(other_world, other_world.admin))
    view = client.post("/api/v1/views", headers=other, json={"name": "Globex", "shared": True}).json()
    assert client.get(f"/api/v1/views/{view['id']}", headers=agent_headers).status_code == 404
    assert client.get("/api/v1/views", headers=agent_headers).json()["items"] == []


def test_the_cases_list_filters_searches_and_reads_per_user(client: TestClient, world: World,
                                                            agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Je n'ai pas reçu mon colis", author="gerard")
    deliver(client, world, "Hello", author="paul")
    assert [c["number"] for c in _cases(client, agent_headers, q="RECU")["items"]] == [1]
    assert [c["number"] for c in _cases(client, agent_headers, q="#2")["items"]] == [2]
    assert [c["number"] for c in _cases(client, agent_headers, q="@paul")["items"]] == [2]
    assert _cases(client, agent_headers, sla="none", sort="needs_answer")["page"]["total"] == 2
    assert _cases(client, agent_headers, network="sandbox")["page"]["total"] == 2
    assert _cases(client, agent_headers, network="x")["page"]["total"] == 0
    for params in ({"priority": "extreme"}, {"sla": "late"}, {"intent": "positive"}, {"language": "fra!"},
                   {"network": "X!"}, {"assignee_id": 0}):
        assert client.get("/api/v1/cases", headers=agent_headers, params=params).status_code == 422, params
    admin = auth(token(world, world.admin))
    assert client.post("/api/v1/cases/1/read", headers=agent_headers).status_code == 204
    mine = {c["number"]: c["unread"] for c in _cases(client, agent_headers)["items"]}
    theirs = {c["number"]: c["unread"] for c in _cases(client, admin)["items"]}
    assert mine == {1: False, 2: True} and theirs == {1: True, 2: True}
    assert [c["number"] for c in _cases(client, agent_headers, unread=True)["items"]] == [2]
    assert client.post("/api/v1/cases/1/unread", headers=agent_headers).status_code == 204
    assert _cases(client, agent_headers, unread=True)["page"]["total"] == 2
    assert client.post("/api/v1/cases/999/unread", headers=agent_headers).status_code == 404


def test_views_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/views"]) == {"get", "post"}
    assert set(paths["/api/v1/views/{view_id}"]) == {"get", "patch", "delete"}
    assert "post" in paths["/api/v1/cases/{number}/unread"]
