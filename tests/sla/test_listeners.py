"""The SLA's and the expected wait's listeners, driven by emitting domain events directly (``compris.bus.emit``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris import bus
from compris.events import (
    CaseRouted,
    CasesMerged,
    DeliveryStatusChanged,
    DomainEvent,
    EchoReceived,
    MessageReceived,
    ReplyFailed,
    ReplyQueued,
    ReplyRetrying,
    ReplyRetryRequested,
    ReplySent,
    ReplyUncertain,
    StatusChanged,
    TriageChanged,
)
from compris.models import Message, WaitPrediction
from compris.sla import listeners, wait
from tests.conftest import World
from tests.routing.helpers import case, frozen, inbound
from tests.sla.helpers import policy

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _emit(world: World, event: DomainEvent) -> None:
    with world.runtime.db.transaction() as s:
        bus.emit(s, world.runtime.publisher, event)


def _message_id(world: World, case_id: int) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalars(select(Message.id).where(Message.case_id == case_id)).one())


@pytest.mark.parametrize("event_type", [
    MessageReceived, EchoReceived, ReplySent, ReplyFailed, ReplyUncertain, ReplyRetryRequested,
    DeliveryStatusChanged, CasesMerged,
])
def test_the_sla_recomputes_on_every_event_that_can_move_a_clock(event_type: type[DomainEvent]) -> None:
    assert listeners.recompute_sla in [r.listener for r in bus.listeners_of(event_type)]
    assert listeners.recompute_sla_on_status in [r.listener for r in bus.listeners_of(StatusChanged)]


def test_a_status_change_recomputes_unless_a_customer_message_caused_it(world: World) -> None:
    with frozen(T0):
        cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
        policy(world, first_response_s=600)
        base = {"workspace_id": world.workspace_id, "case_id": cid, "from_status": "new", "to_status": "open"}
        _emit(world, StatusChanged(**base, message_id=_message_id(world, cid)))  # its MessageReceived follows
        assert case(world.runtime, cid).sla_status is None
        _emit(world, StatusChanged(**base))
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(minutes=10)


@pytest.mark.parametrize("event_type", [ReplyQueued, ReplyRetrying])
def test_a_queued_or_retrying_reply_moves_no_clock(event_type: type[DomainEvent]) -> None:
    assert not [r for r in bus.listeners_of(event_type) if r.name.startswith("compris.sla.")]


def test_a_message_received_computes_the_clocks(world: World) -> None:
    with frozen(T0):
        cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
        assert case(world.runtime, cid).sla_status is None  # no policy yet
        policy(world, first_response_s=600)
        _emit(world, MessageReceived(workspace_id=world.workspace_id, case_id=cid, message_id=_message_id(world, cid),
                                     channel_account_id=world.account.id, how="appended"))
    c = case(world.runtime, cid)
    assert c.sla_status == "ok" and c.sla_first_response_due == T0 + timedelta(minutes=10)


def _message_priority(world: World, message_id: int, priority: int) -> None:
    with world.runtime.db.transaction() as s:
        m = s.get(Message, message_id)
        assert m is not None
        m.triage = {**(m.triage or {}), "priority": priority}


def test_triage_and_routing_recompute_only_when_the_policy_or_team_may_change(world: World) -> None:
    policy(world, name="Urgent", min_priority=90, first_response_s=60)
    policy(world, name="Other", first_response_s=3600)
    with frozen(T0):
        cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(hours=1)
        mid = _message_id(world, cid)
        _message_priority(world, mid, 95)  # (the case's priority is its open needs': compris.inbox.priority)
        base = {"workspace_id": world.workspace_id, "case_id": cid}
        # a message's triage corrected, the case's own triage unchanged (a newer message rules it): nothing
        _emit(world, TriageChanged(**base, message_id=mid, fields=("intent",), corrected=True, case_follows=False))
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(hours=1)
        # automatic routing (inside the inbound handling, which recomputes anyway): nothing
        _emit(world, CaseRouted(**base, team_id=None, previous_team_id=None))
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(hours=1)
        # a transfer: recomputed (the priority now chooses the urgent policy)
        _emit(world, CaseRouted(**base, team_id=None, previous_team_id=None, transferred=True))
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(minutes=1)
        _message_priority(world, mid, 10)
        # the case follows the corrected triage: recomputed
        _emit(world, TriageChanged(**base, message_id=mid, fields=("urgency",), corrected=True, case_follows=True))
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(hours=1)


def test_the_actual_wait_is_recorded_when_an_agents_reply_is_sent(world: World) -> None:
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
        with world.runtime.db.transaction() as s:
            s.add(WaitPrediction(workspace_id=world.workspace_id, case_id=cid, channel_account_id=world.account.id,
                                 predicted_s=300))
        mid = _message_id(world, cid)  # (any message id: the listener reads the case)
        clock.advance(minutes=2)
        _emit(world, ReplySent(workspace_id=world.workspace_id, case_id=cid, message_id=mid, origin="auto_ack"))
        with world.runtime.db.transaction() as s:
            assert s.scalars(select(WaitPrediction.actual_s)).one() is None  # an acknowledgement is no answer
        clock.advance(minutes=2)
        _emit(world, ReplySent(workspace_id=world.workspace_id, case_id=cid, message_id=mid))
        with world.runtime.db.transaction() as s:
            assert s.scalars(select(WaitPrediction.actual_s)).one() == 240


def test_the_expected_wait_is_recorded_on_opening_and_reopening_only(world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    mid = _message_id(world, cid)
    monkeypatch.setattr(wait, "estimate", lambda *a, **k: wait.WaitEstimate(timedelta(minutes=7), 2, 1, T0))
    recorded = []
    for how in ("appended", "reopened", "opened"):
        _emit(world, MessageReceived(workspace_id=world.workspace_id, case_id=cid, message_id=mid,
                                     channel_account_id=world.account.id, how=how))
        with world.runtime.db.transaction() as s:
            recorded.append(list(s.scalars(select(WaitPrediction.predicted_s).where(WaitPrediction.case_id == cid))))
    assert recorded == [[], [420], [420, 420]]
