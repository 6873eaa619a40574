"""Routing's administrative actions: each checks its input, writes, leaves an audit row and emits SettingsChanged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus
from compris.events import SettingsChanged
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import AgentProfile, CaseEvent, RoutingRule, Team, TeamMember, User
from compris.routing import actions
from compris.runtime import Runtime
from tests.conftest import World


@contextmanager
def recorded() -> Iterator[list[SettingsChanged]]:
    seen: list[SettingsChanged] = []

    def listener(session: Session, publisher: Publisher, event: SettingsChanged) -> None:
        seen.append(event)

    with bus.subscribed(SettingsChanged, listener):
        yield seen


def audit(runtime: Runtime, workspace_id: int) -> list[dict[str, Any]]:
    with runtime.db.transaction() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == workspace_id,
                                                 CaseEvent.kind == "settings_changed").order_by(CaseEvent.id))
        return [{**r.data, "actor": r.actor_user_id, "case_id": r.case_id} for r in rows
                if r.data["entity"] != "workspace"]  # the world's own creation


def admin(s: Session, world: World) -> User:
    user = s.get(User, world.admin.id)
    assert user is not None
    return user


def test_team_lifecycle_is_audited_and_announced(runtime: Runtime, world: World) -> None:
    # given
    with recorded() as seen, runtime.db.transaction() as s:
        # when
        care = actions.create_team(s, runtime.publisher, actor=admin(s, world), name=" Care ",
                                   timezone="Europe/Paris", is_default=True, shift_lines="mon-fri 09:00-17:00")
        other = actions.create_team(s, runtime.publisher, actor=admin(s, world), name="Content", is_default=True)
        actions.update_team(s, runtime.publisher, actor=admin(s, world), team_id=care.id, name="Care FR",
                            shift_lines="mon-fri 09:00-17:00")
        actions.add_member(s, runtime.publisher, actor=admin(s, world), team_id=care.id, user_id=world.agent.id)
        assert not actions.add_member(s, runtime.publisher, actor=admin(s, world), team_id=care.id,
                                      user_id=world.agent.id)  # already in: nothing written
        actions.delete_team(s, runtime.publisher, actor=admin(s, world), team_id=other.id)
        care_id, other_id = care.id, other.id
    # then
    with runtime.db.transaction() as s:
        team = s.get(Team, care_id)
        assert team is not None and team.name == "Care FR" and team.shifts["weekly"]["0"] == ["09:00-17:00"]
        assert not team.is_default  # Content took the default, then was deleted
        assert s.scalars(select(TeamMember.user_id)).all() == [world.agent.id]
    assert [(e.entity, e.action, e.entity_id, e.changes) for e in seen] == [
        ("team", "created", care_id, ("is_default", "name", "shifts", "timezone")),
        ("team", "created", other_id, ("is_default", "name", "shifts", "timezone")),
        ("team", "updated", care_id, ("name",)),
        ("team_member", "added", care_id, (f"user {world.agent.id}",)),
        ("team", "deleted", other_id, ()),
    ]
    assert all(e.workspace_id == world.workspace_id and e.actor_user_id == world.admin.id for e in seen)
    rows = audit(runtime, world.workspace_id)
    assert [(r["entity"], r["action"], r["entity_id"], r["changes"]) for r in rows] == [
        (e.entity, e.action, e.entity_id, list(e.changes)) for e in seen]
    assert {r["actor"] for r in rows} == {world.admin.id} and {r["case_id"] for r in rows} == {None}


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"name": "  "}, Invalid, "a team needs a name"),
    ({"name": "X", "timezone": "Mars/Olympus"}, Invalid, "unknown time zone 'Mars/Olympus'"),
    ({"name": "X", "shift_lines": "funday 9-5"}, Invalid, "unknown day"),
    ({"name": "x" * 101}, Invalid, "at most 100"),
    ({"name": "care"}, Conflict, "another team has this name"),
])
def test_bad_team_input_is_refused_and_nothing_is_written(runtime: Runtime, world: World, kwargs: dict[str, Any],
                                                          error: type[Exception], message: str) -> None:
    with runtime.db.transaction() as s:
        actions.create_team(s, runtime.publisher, actor=admin(s, world), name="Care")
    with recorded() as seen, runtime.db.transaction() as s:
        with pytest.raises(error, match=message):
            actions.create_team(s, runtime.publisher, actor=admin(s, world), **kwargs)
        assert s.scalar(select(Team.name).where(Team.name != "Care")) is None
    assert seen == []
    assert len(audit(runtime, world.workspace_id)) == 1  # the setup's


def test_another_workspace_is_not_found(runtime: Runtime, world: World, world_factory: Any) -> None:
    other = world_factory("globex")
    with runtime.db.transaction() as s:
        theirs = actions.create_team(s, runtime.publisher, actor=admin(s, other), name="Theirs")
        theirs_id = theirs.id
    with runtime.db.transaction() as s:
        for call in (
            lambda: actions.update_team(s, runtime.publisher, actor=admin(s, world), team_id=theirs_id, name="Mine"),
            lambda: actions.delete_team(s, runtime.publisher, actor=admin(s, world), team_id=theirs_id),
            lambda: actions.add_member(s, runtime.publisher, actor=admin(s, world), team_id=theirs_id,
                                       user_id=world.agent.id),
            lambda: actions.create_rule(s, runtime.publisher, actor=admin(s, world), team_id=theirs_id),
            lambda: actions.update_agent(s, runtime.publisher, actor=admin(s, world), user_id=other.agent.id,
                                         capacity=1),
        ):
            with pytest.raises(NotFound):
                call()


def test_agent_profile_and_rules(runtime: Runtime, world: World) -> None:
    with recorded() as seen, runtime.db.transaction() as s:
        care = actions.create_team(s, runtime.publisher, actor=admin(s, world), name="Care")
        actions.update_agent(s, runtime.publisher, actor=admin(s, world), user_id=world.agent.id, capacity=7,
                             languages="FR, en", networks=["X"])
        # the same text from a form and the same lists from JSON make the same conditions
        from_form = actions.create_rule(s, runtime.publisher, actor=admin(s, world), team_id=care.id, name="French",
                                        position="1", conditions={"languages": "fr", "keywords": "vol, valise",
                                                                  "min_priority": "40"})
        from_json = actions.create_rule(s, runtime.publisher, actor=admin(s, world), team_id=care.id, position=2,
                                        conditions={"languages": ["FR"], "keywords": ["valise", "vol"],
                                                    "min_priority": 40, "channel_account_ids": []})
        assert from_form.conditions == from_json.conditions == {
            "languages": ["fr"], "keywords": ["valise", "vol"], "min_priority": 40}
        actions.update_rule(s, runtime.publisher, actor=admin(s, world), rule_id=from_json.id,
                            conditions={"networks": ["Twitter"]}, is_active=False)  # an alias of X
        actions.delete_rule(s, runtime.publisher, actor=admin(s, world), rule_id=from_form.id)
        rule_id = from_json.id
        for bad in ({"colour": ["red"]}, {"min_priority": "high"}, {"channel_account_ids": "1, two"},
                    {"languages": [3]}, {"networks": ["myspace"]}):
            with pytest.raises(Invalid):
                actions.create_rule(s, runtime.publisher, actor=admin(s, world), team_id=care.id, conditions=bad)
        with pytest.raises(Invalid, match="networks: unknown network 'myspace'"):
            actions.update_agent(s, runtime.publisher, actor=admin(s, world), user_id=world.agent.id,
                                 networks="x, myspace")
        with pytest.raises(Invalid, match="capacity is 0 to 1000"):
            actions.update_agent(s, runtime.publisher, actor=admin(s, world), user_id=world.agent.id,
                                 capacity=1001)
    with runtime.db.transaction() as s:
        profile = s.scalars(select(AgentProfile)).one()
        assert (profile.capacity, profile.skills) == (7, {"languages": ["en", "fr"], "networks": ["x"]})
        rule = s.scalars(select(RoutingRule)).one()
        assert (rule.id, rule.conditions, rule.is_active) == (rule_id, {"networks": ["x"]}, False)
    assert [(e.entity, e.action) for e in seen] == [
        ("team", "created"), ("agent_profile", "updated"), ("routing_rule", "created"), ("routing_rule", "created"),
        ("routing_rule", "updated"), ("routing_rule", "deleted")]
    assert seen[1].changes == ("capacity", "languages", "networks")
    assert seen[4].changes == ("is_active", "keywords", "languages", "min_priority", "networks")


def test_an_update_that_changes_nothing_is_not_logged(runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        care = actions.create_team(s, runtime.publisher, actor=admin(s, world), name="Care",
                                   shift_lines="daily 09:00-17:00")
        care_id = care.id
    with recorded() as seen, runtime.db.transaction() as s:
        actions.update_team(s, runtime.publisher, actor=admin(s, world), team_id=care_id, name="Care",
                            timezone="UTC", is_default=False, shift_lines="daily 09:00-17:00")
    assert seen == [] and len(audit(runtime, world.workspace_id)) == 1
