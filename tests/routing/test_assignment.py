"""Routing to teams, round-robin under capacity, load balance, sticky assignment, the queue, concurrency."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from compris.connectors.base import Visibility
from compris.inbox import actions
from compris.models import Case, CaseEvent, CaseStatus, RoutingRule, User
from compris.routing import assignment as routing
from tests.conftest import World
from tests.routing.helpers import agent, case, inbound, team


def _assignees(world: World) -> Counter[int | None]:
    with world.runtime.db.transaction() as s:
        return Counter(s.scalars(select(Case.assignee_id)))


def test_rules_route_to_teams_and_the_default_catches_the_rest(world: World) -> None:
    # given a Care team (default) and a Baggage team for complaints mentioning "bag"
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        bags = team(s, world.workspace_id, "Baggage")
        s.add(RoutingRule(workspace_id=world.workspace_id, position=1, team_id=bags.id,
                          conditions={"keywords": ["bag", "suitcase"]}))
        s.add(RoutingRule(workspace_id=world.workspace_id, position=2, team_id=care.id,
                          conditions={"networks": ["facebook"]}))
    # when two customers write
    lost = inbound(world.runtime, world.account.id, "My bag never arrived", author="a")
    other = inbound(world.runtime, world.account.id, "Can I change my seat?", author="b")
    # then each case is routed by the first matching rule, or to the default team
    assert case(world.runtime, lost).team_id == bags.id
    assert case(world.runtime, other).team_id == care.id
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "routed")) == 2


def test_round_robin_is_fair_and_capped_by_capacity(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice = agent(s, world.workspace_id, "Alice", capacity=3, teams=(care,))
        bob = agent(s, world.workspace_id, "Bob", capacity=3, teams=(care,))
        agent(s, world.workspace_id, "Carol", capacity=3, online=False, teams=(care,))
        alice_id, bob_id = alice.id, bob.id
    for i in range(8):
        inbound(world.runtime, world.account.id, f"Question {i}", author=f"cust-{i}")
    counts = _assignees(world)
    # fair: 3 and 3 (the offline agent gets nothing), the other two stay queued
    assert counts == Counter({alice_id: 3, bob_id: 3, None: 2})


def test_load_balance_prefers_the_least_loaded_agent(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice = agent(s, world.workspace_id, "Alice", capacity=10, teams=(care,))
        alice_id = alice.id
    for i in range(3):
        inbound(world.runtime, world.account.id, f"Q{i}", author=f"early-{i}")
    with world.runtime.db.transaction() as s:
        bob_id = agent(s, world.workspace_id, "Bob", capacity=10, teams=(care,)).id
    for i in range(3):
        inbound(world.runtime, world.account.id, f"R{i}", author=f"late-{i}")
    assert _assignees(world) == Counter({alice_id: 3, bob_id: 3})


def test_queued_cases_are_assigned_as_capacity_frees_up(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice_id = agent(s, world.workspace_id, "Alice", capacity=1, teams=(care,)).id
    first = inbound(world.runtime, world.account.id, "one", author="a")
    second = inbound(world.runtime, world.account.id, "two", author="b")
    assert case(world.runtime, first).assignee_id == alice_id
    assert case(world.runtime, second).assignee_id is None
    # when Alice resolves her case, the queued one comes to her
    with world.runtime.db.transaction() as s:
        alice = s.get(User, alice_id)
        c = s.get(Case, first)
        assert alice is not None and c is not None
        actions.set_status(s, world.runtime.publisher, actor=alice, case=c, status=CaseStatus.RESOLVED)
    assert case(world.runtime, second).assignee_id == alice_id


def test_coming_online_pulls_from_the_queue(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        bob_id = agent(s, world.workspace_id, "Bob", capacity=2, online=False, teams=(care,)).id
    ids = [inbound(world.runtime, world.account.id, f"q{i}", author=f"c{i}") for i in range(3)]
    assert all(case(world.runtime, i).assignee_id is None for i in ids)
    with world.runtime.db.transaction() as s:
        bob = s.get(User, bob_id)
        assert bob is not None
        routing.set_presence(s, world.runtime.publisher, bob, "online")
    world.run_jobs()  # the drain runs in its own job, right after the commit
    assert _assignees(world) == Counter({bob_id: 2, None: 1})


def test_skills_filter_agents(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "OnlyX", skills={"networks": ["x"]}, teams=(care,))
        anyone = agent(s, world.workspace_id, "Any", skills={}, teams=(care,)).id
    for i in range(3):
        inbound(world.runtime, world.account.id, f"q{i}", author=f"c{i}")  # the sandbox network
    assert _assignees(world) == Counter({anyone: 3})


def test_sticky_to_the_agent_who_last_answered_the_customer(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice_id = agent(s, world.workspace_id, "Alice", capacity=10, teams=(care,)).id
        bob_id = agent(s, world.workspace_id, "Bob", capacity=10, teams=(care,)).id
    # Marie's first case: Bob answers it, then it is resolved
    first = inbound(world.runtime, world.account.id, "Hello", author="marie", kind="dm")
    with world.runtime.db.transaction() as s:
        bob = s.get(User, bob_id)
        c = s.get(Case, first)
        assert bob is not None and c is not None
        c.assignee_id = None  # whoever had it, Bob answers
        actions.add_reply(s, world.runtime.publisher, actor=bob, case=c, text="Hi Marie", visibility=Visibility.PRIVATE)
        actions.set_status(s, world.runtime.publisher, actor=bob, case=c, status=CaseStatus.CLOSED)
    # Bob has more load than Alice now
    for i in range(3):
        inbound(world.runtime, world.account.id, "other", author=f"x{i}")
    with world.runtime.db.transaction() as s:
        s.execute(Case.__table__.update().where(Case.contact_id != c.contact_id).values(assignee_id=bob_id))
    # when Marie writes again (a new case), it goes to Bob anyway
    second = inbound(world.runtime, world.account.id, "Me again", author="marie", kind="dm")
    assert second != first
    assert case(world.runtime, second).assignee_id == bob_id
    with world.runtime.db.transaction() as s:
        reasons = [e.data.get("reason") for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == second, CaseEvent.kind == "assigned"))]
    assert reasons == ["sticky"]
    assert alice_id != bob_id


def test_sticky_yields_when_the_agent_is_offline(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice_id = agent(s, world.workspace_id, "Alice", teams=(care,)).id
        bob_id = agent(s, world.workspace_id, "Bob", online=False, teams=(care,)).id
    first = inbound(world.runtime, world.account.id, "Hello", author="marie", kind="dm")
    with world.runtime.db.transaction() as s:
        bob = s.get(User, bob_id)
        c = s.get(Case, first)
        assert bob is not None and c is not None
        actions.add_reply(s, world.runtime.publisher, actor=bob, case=c, text="Hi", visibility=Visibility.PRIVATE)
        actions.set_status(s, world.runtime.publisher, actor=bob, case=c, status=CaseStatus.CLOSED)
    second = inbound(world.runtime, world.account.id, "Again", author="marie", kind="dm")
    assert case(world.runtime, second).assignee_id == alice_id


def test_concurrent_arrivals_never_exceed_capacity_and_lose_no_case(world: World) -> None:
    # given three agents who take 3 cases each
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agents = [agent(s, world.workspace_id, f"A{i}", capacity=3, teams=(care,)).id for i in range(3)]
    # when 24 customers write at the same time (8 threads)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for j in range(3):
                inbound(world.runtime, world.account.id, f"help {k}-{j}", author=f"c{k}-{j}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # then every case exists, nobody is above capacity, and the team is full
    counts = _assignees(world)
    assert sum(counts.values()) == 24
    assert all(counts[a] == 3 for a in agents), counts
    assert counts[None] == 15


@pytest.mark.parametrize("rounds", [2])
def test_the_periodic_drain_is_idempotent(world: World, rounds: int) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        bob_id = agent(s, world.workspace_id, "Bob", capacity=1, online=False, teams=(care,)).id
    inbound(world.runtime, world.account.id, "x", author="a")
    inbound(world.runtime, world.account.id, "y", author="b")
    with world.runtime.db.transaction() as s:
        s.execute(routing.AgentProfile.__table__.update().values(presence="online", last_seen_at=routing.now()))
    for _ in range(rounds):
        with world.runtime.db.transaction() as s:
            routing.assign_waiting(s, world.runtime.publisher)
    assert _assignees(world) == Counter({bob_id: 1, None: 1})
