"""Routing's listeners, driven by emitting domain events directly (``compris.bus.emit``), and the events routing
emits itself (``CaseRouted``)."""

from __future__ import annotations

from sqlalchemy import select

from compris import bus
from compris.events import CaseRouted, MessageReceived, StatusChanged
from compris.models import Case, CaseEvent, CaseStatus, Message, Team, User
from compris.routing import assignment as routing
from tests.conftest import World
from tests.routing.helpers import agent, case, inbound, team


def _emit(world: World, event: MessageReceived | StatusChanged) -> None:
    with world.runtime.db.transaction() as s:
        bus.emit(s, world.runtime.publisher, event)


def _received(world: World, case_id: int) -> MessageReceived:
    with world.runtime.db.transaction() as s:
        message = s.scalars(select(Message).where(Message.case_id == case_id)).one()
        return MessageReceived(workspace_id=world.workspace_id, case_id=case_id, message_id=message.id,
                               channel_account_id=world.account.id, how="appended")


def _moved(world: World, case_id: int, to: str) -> StatusChanged:
    """The case's status changes (straight in the table, as an action would) and the event that says so."""
    with world.runtime.db.transaction() as s:
        c = s.get(Case, case_id)
        assert c is not None
        previous, c.status = c.status, to
    return StatusChanged(workspace_id=world.workspace_id, case_id=case_id, from_status=previous, to_status=to)


def _ours(event_type: type[MessageReceived] | type[StatusChanged]) -> list[str]:
    return [r.name for r in bus.listeners_of(event_type) if r.name.startswith(("compris.routing.", "compris.sla."))]


def test_listener_order_routing_then_expected_wait_then_sla() -> None:
    assert _ours(MessageReceived) == ["compris.routing.listeners.route_new_message",
                                      "compris.sla.listeners.announce_expected_wait",
                                      "compris.sla.listeners.recompute_sla"]
    assert _ours(StatusChanged) == ["compris.routing.listeners.follow_status",
                                    "compris.sla.listeners.recompute_sla_on_status"]


def test_a_message_received_routes_the_case_and_assigns_it(world: World) -> None:
    # given a case that arrived before the workspace had any team
    cid = inbound(world.runtime, world.account.id, "Hello", author="ann")
    assert case(world.runtime, cid).team_id is None
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice = agent(s, world.workspace_id, "Alice", teams=(care,))
        care_id, alice_id = care.id, alice.id
    routed: list[CaseRouted] = []
    # when routing hears of a message on it
    with bus.subscribed(CaseRouted, lambda _s, _p, e: routed.append(e)):
        _emit(world, _received(world, cid))
    # then the case has the default team and its online agent, and the timeline says so
    c = case(world.runtime, cid)
    assert (c.team_id, c.assignee_id) == (care_id, alice_id)
    assert [(e.case_id, e.team_id, e.previous_team_id, e.transferred) for e in routed] == [(cid, care_id, None, False)]
    with world.runtime.db.transaction() as s:
        rows = [(e.kind, e.data.get("reason")) for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.kind.in_(("routed", "assigned")))
            .order_by(CaseEvent.id))]
    assert rows == [("routed", None), ("assigned", "round_robin")]


def test_a_case_leaving_the_queue_drains_it_and_one_coming_back_is_offered(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice_id = agent(s, world.workspace_id, "Alice", capacity=1, teams=(care,)).id
    first = inbound(world.runtime, world.account.id, "One", author="a")
    second = inbound(world.runtime, world.account.id, "Two", author="b")
    assert (case(world.runtime, first).assignee_id, case(world.runtime, second).assignee_id) == (alice_id, None)
    # a move within the queue (new → open) changes nothing for routing
    _emit(world, _moved(world, second, CaseStatus.OPEN))
    assert case(world.runtime, second).assignee_id is None
    # nor a change a customer message caused (its MessageReceived routes the case)
    with world.runtime.db.transaction() as s:
        c = s.get(Case, first)
        assert c is not None
        c.status, c.assignee_id = CaseStatus.RESOLVED, None
        message_id = s.scalars(select(Message.id).where(Message.case_id == first)).one()
    event = _moved(world, first, CaseStatus.OPEN)
    _emit(world, StatusChanged(workspace_id=event.workspace_id, case_id=first, from_status=CaseStatus.RESOLVED,
                               to_status=CaseStatus.OPEN, message_id=message_id))
    assert case(world.runtime, first).assignee_id is None  # (Alice had room: only the skip left it unassigned)
    with world.runtime.db.transaction() as s:
        c = s.get(Case, first)
        assert c is not None
        c.assignee_id = alice_id
    # the first case is resolved: Alice has room, the queue is drained
    _emit(world, _moved(world, first, CaseStatus.RESOLVED))
    assert case(world.runtime, second).assignee_id == alice_id
    # the second is resolved too, and the first comes back unassigned: it is offered to Alice again
    with world.runtime.db.transaction() as s:
        c = s.get(Case, first)
        assert c is not None
        c.assignee_id = None
    _moved(world, second, CaseStatus.RESOLVED)  # (no event: nothing queued to drain)
    _emit(world, _moved(world, first, CaseStatus.OPEN))
    assert case(world.runtime, first).assignee_id == alice_id


def test_a_transfer_records_it_and_emits_case_routed(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Invoice wrong", author="ann")
    with world.runtime.db.transaction() as s:
        billing_id = team(s, world.workspace_id, "Billing").id
    routed: list[CaseRouted] = []
    with bus.subscribed(CaseRouted, lambda _s, _p, e: routed.append(e)), world.runtime.db.transaction() as s:
        actor, c, to = s.get(User, world.agent.id), s.get(Case, cid), s.get(Team, billing_id)
        assert actor is not None and c is not None and to is not None
        routing.transfer(s, world.runtime.publisher, actor=actor, case=c, team=to)
        routing.transfer(s, world.runtime.publisher, actor=actor, case=c, team=to)  # already there: nothing
    assert [(e.team_id, e.previous_team_id, e.transferred, e.actor_user_id) for e in routed] == [
        (billing_id, None, True, world.agent.id)]
    with world.runtime.db.transaction() as s:
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.kind == "transferred")).one()
        assert (event.actor_user_id, event.data["team_id"]) == (world.agent.id, billing_id)


def test_a_case_coming_back_goes_only_to_an_agent_skilled_for_its_network(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", author="ann")  # (no team yet: nobody assigned)
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "Xavier", skills={"networks": ["x"]}, teams=(care,))
        c = s.get(Case, cid)
        assert c is not None
        c.team_id, c.status = care.id, CaseStatus.RESOLVED
        care_id = care.id
    _emit(world, _moved(world, cid, CaseStatus.OPEN))
    assert case(world.runtime, cid).assignee_id is None  # Xavier only answers on X
    with world.runtime.db.transaction() as s:
        care = s.get(Team, care_id)
        assert care is not None
        sandra_id = agent(s, world.workspace_id, "Sandra", skills={"networks": ["sandbox"]}, teams=(care,)).id
    _moved(world, cid, CaseStatus.RESOLVED)
    _emit(world, _moved(world, cid, CaseStatus.OPEN))
    assert case(world.runtime, cid).assignee_id == sandra_id
