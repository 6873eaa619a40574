"""``/api/v1/notifications``: the token user's own notifications (list, keyset pages, mark read), in OpenAPI."""

from __future__ import annotations

from typing import Any

from compris.config import Settings
from compris.runtime import Runtime
from tests.conftest import World
from tests.notifications.helpers import new_case, notifications_of
from tests.notifications.test_listeners import assign, note
from tests.web.api.helpers import auth, token
from tests.web.test_pages import make_client


def test_list_and_mark_read(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    headers = auth(token(world, world.agent))
    case_id = new_case(world)
    note_id = note(world, world.admin, case_id, "@Agent please <script>x</script>")
    assign(world, world.admin, case_id, world.agent)
    listed = client.get("/api/v1/notifications", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["unread_count"] == 2 and body["next_before"] is None
    assigned, mention = body["items"]  # newest first
    assert assigned["kind"] == "assigned" and assigned["text"] == "Case #1 was assigned to you"
    assert mention["kind"] == "mention" and mention["url"] == f"/cases/1#message-{note_id}"
    assert mention["excerpt"] == "@Agent please <script>x</script>"  # plain JSON text
    assert mention["read_at"] is None and mention["case_number"] == 1
    read = client.post(f"/api/v1/notifications/{mention['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = client.post(f"/api/v1/notifications/{mention['id']}/read", headers=headers)
    assert again.status_code == 200 and again.json()["read_at"] == read.json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).json()
    assert [i["id"] for i in unread["items"]] == [assigned["id"]] and unread["unread_count"] == 1
    marked = client.post("/api/v1/notifications/read-all", headers=headers)
    assert marked.status_code == 200 and marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=headers).json()["unread_count"] == 0


def test_keyset_pages_and_up_to(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    headers = auth(token(world, world.agent))
    case_id = new_case(world)
    for i in range(5):
        note(world, world.admin, case_id, f"@Agent {i}")
    first = client.get("/api/v1/notifications?limit=2", headers=headers).json()
    assert [i["excerpt"] for i in first["items"]] == ["@Agent 4", "@Agent 3"]
    second = client.get(f"/api/v1/notifications?limit=2&before={first['next_before']}", headers=headers).json()
    assert [i["excerpt"] for i in second["items"]] == ["@Agent 2", "@Agent 1"]
    last = client.get(f"/api/v1/notifications?limit=2&before={second['next_before']}", headers=headers).json()
    assert [i["excerpt"] for i in last["items"]] == ["@Agent 0"] and last["next_before"] is None
    # marking up to what was seen leaves a newer one unread
    up_to = first["items"][1]["id"]
    assert client.post("/api/v1/notifications/read-all", json={"up_to": up_to}, headers=headers).json() == {
        "marked": 4}
    assert client.get("/api/v1/notifications", headers=headers).json()["unread_count"] == 1


def test_bad_input_and_someone_elses_notification(settings: Settings, runtime: Runtime, world: World,
                                                  world_factory: Any) -> None:
    client = make_client(settings, runtime)
    agent = auth(token(world, world.agent))
    admin = auth(token(world, world.admin))
    note(world, world.admin, new_case(world), "@Agent look")
    [theirs] = notifications_of(world, world.agent)
    assert client.post(f"/api/v1/notifications/{theirs['id']}/read", headers=admin).status_code == 404
    other = world_factory("globex")
    stranger = auth(token(other, other.admin))
    assert client.post(f"/api/v1/notifications/{theirs['id']}/read", headers=stranger).status_code == 404
    assert client.get("/api/v1/notifications", headers=stranger).json()["items"] == []
    for bad in ("limit=0", "limit=101", "before=0", "before=x", "unread=maybe"):
        assert client.get(f"/api/v1/notifications?{bad}", headers=agent).status_code == 422, bad
    assert client.post("/api/v1/notifications/0/read", headers=agent).status_code == 422
    assert client.post("/api/v1/notifications/read-all", json={"up_to": 0}, headers=agent).status_code == 422
    assert client.post("/api/v1/notifications/read-all", json={"nonsense": 1}, headers=agent).status_code == 422
    assert client.get("/api/v1/notifications").status_code == 401
    assert notifications_of(world, world.agent)[0]["read_at"] is None


def test_in_the_openapi_document(settings: Settings, runtime: Runtime, world: World) -> None:
    doc = make_client(settings, runtime).get("/api/v1/openapi.json").json()
    assert {"get"} <= set(doc["paths"]["/api/v1/notifications"])
    assert "post" in doc["paths"]["/api/v1/notifications/{notification_id}/read"]
    assert "post" in doc["paths"]["/api/v1/notifications/read-all"]
    assert "NotificationOut" in doc["components"]["schemas"]
