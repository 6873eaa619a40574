"""Free tags on cases: one tag per normalised name, workspaces isolated, each change on the case's timeline with its
CaseTagged event, and the inbox's tag filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from compris import bus
from compris.events import CaseTagged
from compris.inbox import queries
from compris.inbox.actions import tags
from compris.inbox.ingest import receive
from compris.inbox.tagnames import tag_key
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import Case, CaseEvent, CaseTag, Tag, User
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request


def _cases(world: World, n: int) -> list[int]:
    rt = world.runtime
    for i in range(n):
        receive(rt.db, rt.publisher, SECRET, world.account.id,
                _request(world, world.payload("Where is my parcel?", author=f"c{i}")))
    world.run_jobs()
    with rt.db.transaction() as s:
        return list(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id).order_by(Case.id)))


def _tag(world: World, case_id: int, user: User | None = None, add: list[str] | None = None,
         remove: list[str] | None = None) -> tags.TagChange:
    rt = world.runtime
    with rt.db.transaction() as s:
        actor = s.get(User, (user or world.agent).id)
        case = s.get(Case, case_id)
        assert case is not None
        return tags.tag_case(s, rt.publisher, actor=actor, case=case, add=add or [], remove=remove or [])


@pytest.mark.parametrize(("a", "b"), [
    ("Colis perdu", "colis PERDU"),
    ("Colis perdu", "  colis   perdu "),
    ("Colis perdu", "Colis perdü"),
    ("Élève", "eleve"),
    ("#retard", "Retard"),
    ("Straße", "STRASSE"),
])
def test_names_that_differ_only_by_case_accents_or_blanks_are_one_tag(a: str, b: str) -> None:
    assert tag_key(a) == tag_key(b)


@given(st.text(min_size=1, max_size=40))
def test_a_key_is_stable(name: str) -> None:
    try:
        key = tag_key(name)
    except Invalid:
        return
    assert tag_key(key) == key
    assert key == key.casefold().strip()


@pytest.mark.parametrize("bad", ["", "   ", "#", "x" * 65, "a\x00b", "bell\x07"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(Invalid):
        tag_key(bad)


def test_tagging_a_case_records_it_once_and_emits_case_tagged(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    (case_id,) = _cases(world, 1)
    seen: list[CaseTagged] = []
    real = bus.emit

    def spy(session: Any, publisher: Any, event: Any) -> None:
        if isinstance(event, CaseTagged):
            seen.append(event)
        real(session, publisher, event)

    monkeypatch.setattr(bus, "emit", spy)
    change = _tag(world, case_id, add=["Colis perdu", "colis PERDU", "Urgent"])
    assert change.added == ("Colis perdu", "Urgent") and change.removed == ()
    # the same names again: nothing changes, nothing is written
    assert not _tag(world, case_id, add=["COLIS perdu"]).changed
    change = _tag(world, case_id, add=["VIP"], remove=["urgent", "never heard of it"])
    assert change.added == ("VIP",) and change.removed == ("Urgent",)
    assert [(e.added, e.removed) for e in seen] == [(("Colis perdu", "Urgent"), ()), (("VIP",), ("Urgent",))]
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "tagged")
                              .order_by(CaseEvent.id)))
        assert [r.data for r in rows] == [{"added": ["Colis perdu", "Urgent"], "removed": []},
                                          {"added": ["VIP"], "removed": ["Urgent"]}]
        assert rows[0].actor_user_id == world.agent.id
        case = s.get(Case, case_id)
        assert case is not None
        assert [t.name for t in queries.tags_of(s, case)] == ["Colis perdu", "VIP"]
        assert s.scalar(select(func.count()).select_from(Tag)) == 3  # Urgent stays a workspace tag


def test_set_case_tags_makes_the_tags_exactly_those(world: World) -> None:
    (case_id,) = _cases(world, 1)
    _tag(world, case_id, add=["a", "b"])
    rt = world.runtime
    with rt.db.transaction() as s:
        case = s.get(Case, case_id)
        agent = s.get(User, world.agent.id)
        assert case is not None
        change = tags.set_case_tags(s, rt.publisher, actor=agent, case=case, names=["B", "c"])
        assert change.added == ("c",) and change.removed == ("a",)


def test_workspaces_never_share_tags(world: World, world_factory: Callable[[str], World]) -> None:
    other = world_factory("other")
    (mine,) = _cases(world, 1)
    (theirs,) = _cases(other, 1)
    _tag(world, mine, add=["Colis perdu"])
    _tag(other, theirs, user=other.agent, add=["colis perdu"])
    rt = world.runtime
    with rt.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Tag)) == 2  # one per workspace
        f = queries.InboxFilter(tag="Colis perdu")
        assert [r.case.id for r in queries.list_cases(s, world.workspace_id, world.agent.id, f)] == [mine]
        assert [r.case.id for r in queries.list_cases(s, other.workspace_id, other.agent.id, f)] == [theirs]
        assert [u.tag.name for u in queries.list_tags(s, other.workspace_id)] == ["colis perdu"]
        # an agent of another workspace cannot tag this one's case, nor touch its tags
        case = s.get(Case, mine)
        stranger = s.get(User, other.agent.id)
        assert case is not None and stranger is not None
        with pytest.raises(NotFound):
            tags.tag_case(s, rt.publisher, actor=stranger, case=case, add=["x"])
        tag = s.scalar(select(Tag).where(Tag.workspace_id == world.workspace_id))
        assert tag is not None
        with pytest.raises(NotFound):
            tags.get_tag(s, other.workspace_id, tag.id)
        with pytest.raises(NotFound):
            tags.delete_tag(s, rt.publisher, actor=stranger, tag=tag)


def test_the_inbox_filters_by_tag_and_the_rows_carry_their_tags(world: World) -> None:
    ids = _cases(world, 3)
    _tag(world, ids[0], add=["Retard"])
    _tag(world, ids[2], add=["retard", "VIP"])
    with world.runtime.db.transaction() as s:
        rows = queries.list_cases(s, world.workspace_id, world.agent.id, queries.InboxFilter(tag="RETARD"))
        assert sorted(r.case.id for r in rows) == [ids[0], ids[2]]
        assert {r.case.id: [t.name for t in r.tags] for r in rows} == {ids[0]: ["Retard"], ids[2]: ["Retard", "VIP"]}
        counts = queries.counts(s, world.workspace_id, world.agent.id, queries.InboxFilter(tag="vip"))
        assert counts["all"] == 1
        assert queries.list_cases(s, world.workspace_id, world.agent.id, queries.InboxFilter(tag="nope")) == []
        assert queries.list_cases(s, world.workspace_id, world.agent.id, queries.InboxFilter(tag="x" * 300)) == []
        uses = {u.tag.name: u.cases for u in queries.list_tags(s, world.workspace_id)}
        assert uses == {"Retard": 2, "VIP": 1}
        # the inbox's filter counts each tag's cases up to a cap (an index range each), in the same order
        assert [(u.tag.name, u.cases) for u in queries.list_tags(s, world.workspace_id, cap=1)] == [
            ("Retard", 1), ("VIP", 1)]
        assert [(u.tag.name, u.cases) for u in queries.list_tags(s, world.workspace_id, cap=5)] == [
            ("Retard", 2), ("VIP", 1)]


def test_create_rename_recolour_and_delete_a_workspace_tag(world: World) -> None:
    (case_id,) = _cases(world, 1)
    rt = world.runtime
    with rt.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        tag = tags.create_tag(s, rt.publisher, actor=admin, name="Colis perdu", color="red")
        with pytest.raises(Conflict):
            tags.create_tag(s, rt.publisher, actor=admin, name="COLIS PERDU")
        with pytest.raises(Invalid):
            tags.create_tag(s, rt.publisher, actor=admin, name="x", color="chartreuse")
        tag_id = tag.id
    _tag(world, case_id, add=["colis perdu"])
    with rt.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        tag = tags.get_tag(s, world.workspace_id, tag_id)
        assert admin is not None
        tags.update_tag(s, rt.publisher, actor=admin, tag=tag, name="Colis égaré", color=None, set_color=True)
        assert (tag.name, tag.key, tag.color) == ("Colis égaré", "colis egare", None)
        other = tags.create_tag(s, rt.publisher, actor=admin, name="Retard")
        with pytest.raises(Conflict):
            tags.update_tag(s, rt.publisher, actor=admin, tag=other, name="colis EGARE")
        assert tags.delete_tag(s, rt.publisher, actor=admin, tag=tag) == 1
    with rt.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CaseTag)) == 0
        audit = [e.data["action"] for e in s.scalars(select(CaseEvent).where(
            CaseEvent.kind == "settings_changed", CaseEvent.workspace_id == world.workspace_id))
            if e.data.get("entity") == "tag"]
        assert audit == ["created", "updated", "created", "deleted"]


def test_too_many_tags_on_a_case_is_refused(world: World) -> None:
    (case_id,) = _cases(world, 1)
    with pytest.raises(Invalid):
        _tag(world, case_id, add=[f"t{i}" for i in range(31)])
    _tag(world, case_id, add=[f"t{i}" for i in range(30)])
    with pytest.raises(Invalid):
        _tag(world, case_id, add=["one more"])
