"""``/notifications`` and the bell's menu: the user's own notifications, marking them read, preferences, bad
input answered with a 4xx, someone else's notification a 404."""

from __future__ import annotations

import re
from typing import Any

from compris.config import Settings
from compris.runtime import Runtime
from tests.conftest import World
from tests.notifications.helpers import add_user, new_case, notifications_of
from tests.notifications.test_listeners import assign, note
from tests.web.test_pages import Agent, make_client


def _mention(world: World, text: str = "@Agent can you look? <b>bold</b>") -> int:
    case_id = new_case(world)
    note(world, world.admin, case_id, text)
    return case_id


def test_the_bell_menu_counts_and_lists_the_unread(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    empty = agent.get("/notifications/menu")
    assert empty.status_code == 200 and 'data-unread="0"' in empty.text
    _mention(world)
    menu = agent.get("/notifications/menu").text
    assert 'data-unread="1"' in menu
    assert "Admin acme mentioned you on case #1" in menu
    assert re.search(r'href="/cases/1#message-\d+"', menu)
    assert "&lt;b&gt;bold&lt;/b&gt;" in menu and "<b>bold" not in menu  # the excerpt is escaped
    # and the bell is in the top bar of every page
    assert 'id="notif-button"' in agent.get("/inbox").text


def test_opening_one_marks_it_read_and_mark_all(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    _mention(world)
    case_id = new_case(world, "Another problem", author="jean")
    assign(world, world.admin, case_id, world.agent)
    first, _second = notifications_of(world, world.agent)
    answer = agent.client.post(f"/notifications/{first['id']}/read", headers={
        "x-csrf-token": agent.csrf, "accept": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"unread": 1}
    page = agent.get("/notifications")
    assert page.status_code == 200 and "Case #2 was assigned to you" in page.text
    assert page.text.count('class="notif-item card unread"') == 1
    done = agent.post("/notifications/read-all", {})
    assert done.status_code == 303
    assert all(n["read_at"] is not None for n in notifications_of(world, world.agent))
    # the form fallback returns to a local page only
    third = _mention(world)
    assert third
    newest = notifications_of(world, world.agent)[-1]
    back = agent.post(f"/notifications/{newest['id']}/read", {"next": "https://evil.example/"})
    assert back.status_code == 303 and back.headers["location"] == "/notifications"


def test_someone_elses_notification_is_not_found(settings: Settings, runtime: Runtime, world: World,
                                                  world_factory: Any) -> None:
    _mention(world)
    [theirs] = notifications_of(world, world.agent)
    admin = Agent(make_client(settings, runtime), world.admin.email)
    refused = admin.client.post(f"/notifications/{theirs['id']}/read",
                                headers={"x-csrf-token": admin.csrf, "accept": "application/json"})
    assert refused.status_code == 404
    other = world_factory("globex")
    stranger = Agent(make_client(settings, runtime), other.admin.email)
    assert stranger.post(f"/notifications/{theirs['id']}/read", {}).status_code == 404
    assert notifications_of(world, world.agent)[0]["read_at"] is None


def test_bad_input_is_a_clear_4xx(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    html = {"accept": "text/html"}
    assert agent.get("/notifications?page=abc", headers=html).status_code == 422
    assert agent.get("/notifications?page=0", headers=html).status_code == 422
    assert agent.get("/notifications?show=everything", headers=html).status_code == 422
    assert agent.post("/notifications/abc/read", {}).status_code == 422
    assert agent.post("/notifications/read-all", {"up_to": "-3"}).status_code == 422
    assert agent.post("/notifications/preferences", {"kinds": ["mention", "nonsense"]}).status_code == 422
    assert agent.post("/notifications/read-all", {}, csrf=False).status_code == 403
    # a page past the end shows the last one
    assert agent.get("/notifications?page=99").status_code == 200


def test_preferences_are_saved_and_respected(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    page = agent.get("/notifications").text
    assert 'id="pref-browser"' in page and 'id="pref-browser" value="1"' not in page
    assert re.search(r'name="browser" value="1" id="pref-browser"(?! checked)', page)  # off by default
    saved = agent.post("/notifications/preferences", {"kinds": ["assigned", "sla"], "browser": "1"})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/notifications?saved=1")
    page = agent.get("/notifications?saved=1").text
    assert "Preferences saved." in page
    assert 'id="pref-mention" checked' not in page and 'id="pref-assigned" checked' in page
    assert 'id="pref-browser" checked' in page
    _mention(world)
    assert notifications_of(world, world.agent) == []  # mentions are off


def test_pages_of_notifications_newest_first(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    case_id = new_case(world)
    for i in range(33):
        note(world, world.admin, case_id, f"@Agent number {i}")
    first = agent.get("/notifications").text
    assert "Page 1 of 2" in first and first.index("number 32") < first.index("number 31")
    assert "number 2<" not in first
    second = agent.get("/notifications?page=2").text
    assert "number 2" in second and "number 0" in second and "number 32" not in second
    unread = agent.get("/notifications?show=unread").text
    assert "Unread (33)" in unread


def test_the_note_box_suggestions_list_the_workspaces_active_people(settings: Settings, runtime: Runtime,
                                                                    world: World, world_factory: Any) -> None:
    add_user(world, "Hélène Dupré", "helene.dupre@acme.test")
    add_user(world, "Paul Gone", "paul@acme.test", active=False)
    world_factory("globex")
    agent = Agent(make_client(settings, runtime), world.agent.email)
    people = agent.get("/notifications/mentionable").json()
    assert {p["name"] for p in people} == {"Admin acme", "Agent acme", "Hélène Dupré"}
    assert {"id", "name", "handle"} == set(people[0]) and "helene.dupre" in {p["handle"] for p in people}


def test_french(settings: Settings, runtime: Runtime, world: World) -> None:
    with world.runtime.db.transaction() as s:
        from compris.models import User

        user = s.get(User, world.agent.id)
        assert user is not None
        user.language = "fr"
    agent = Agent(make_client(settings, runtime), world.agent.email)
    _mention(world)
    page = agent.get("/notifications").text
    assert "Admin acme vous a mentionné sur le dossier n° 1" in page
    assert "Préférences de notification" in page
    assert "Admin acme vous a mentionné" in agent.get("/notifications/menu").text


def test_a_breach_names_its_measure(settings: Settings, runtime: Runtime, world: World) -> None:
    from compris.events import SlaBreached
    from compris.kit.clock import now
    from tests.notifications.test_listeners import emit

    case_id = new_case(world)
    assign(world, world.admin, case_id, world.agent)
    for metric in ("first_response", "resolution"):
        emit(world, SlaBreached(workspace_id=world.workspace_id, case_id=case_id, metric=metric, cycle=1,
                                breached_at=now().isoformat()))
    menu = Agent(make_client(settings, runtime), world.agent.email).get("/notifications/menu").text
    assert menu.count("Case #1: SLA breached") == 2
    assert "First response" in menu and "Resolution" in menu
