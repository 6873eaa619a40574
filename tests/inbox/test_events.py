"""Every inbox write leaves its timeline row and emits its domain event; queue_outbound is the one way out."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, events, timeline
from compris.connectors.base import DeliveryStatus, OutboundMessage, SendError, SendResult
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions, outbound
from compris.inbox.actions import reads
from compris.inbox.queries import get_case
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import Case, CaseEvent, CaseStatus, ChannelAccount, Message, User
from tests.conftest import World
from tests.inbox.test_ingest import _deliver

SRC = Path(__file__).resolve().parents[2] / "src" / "compris"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)


@contextmanager
def emitted(*types: type[events.DomainEvent]) -> Iterator[list[events.DomainEvent]]:
    """The domain events of these types emitted inside the block, in order."""
    seen: list[events.DomainEvent] = []

    def listener(session: Session, publisher: Publisher, event: Any) -> None:
        seen.append(event)

    with ExitStack() as stack:
        for event_type in types:
            stack.enter_context(bus.subscribed(event_type, listener))
        yield seen


def _write(world: World, fn: Callable[[Session, User], None]) -> None:
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        fn(s, agent)


def _case(world: World, number: int = 1) -> Case:
    with world.runtime.db.transaction() as s:
        case = get_case(s, world.workspace_id, number)
        s.expunge(case)
        return case


def _kinds(world: World, case_id: int) -> list[str]:
    with world.runtime.db.transaction() as s:
        return [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                          .order_by(CaseEvent.id))]


def _status_rows(world: World, case_id: int) -> list[dict[str, Any]]:
    with world.runtime.db.transaction() as s:
        return [{"kind": e.kind, **e.data} for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(sorted(timeline.STATUS_KINDS)))
            .order_by(CaseEvent.id))]


def _customer_writes(world: World, text: str = "Where is my bag?", author: str = "lea") -> None:
    _deliver(world, world.payload(text, author=author))
    world.run_jobs()


def _set_status(world: World, number: int, status: str, **kw: Any) -> None:
    def do(s: Session, agent: User) -> None:
        actions.set_status(s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, number),
                           status=status, **kw)
    _write(world, do)


def _changes(seen: list[events.DomainEvent]) -> list[tuple[str, str]]:
    return [(e.from_status, e.to_status) for e in seen if isinstance(e, events.StatusChanged)]


# --- every status change: a StatusChanged and a timeline row --------------------------------------------------


def test_a_new_case_emits_case_opened_then_message_received(world: World) -> None:
    with emitted(events.CaseOpened, events.MessageReceived, events.StatusChanged) as seen:
        _customer_writes(world)
    case = _case(world)
    assert [type(e).__name__ for e in seen] == ["CaseOpened", "MessageReceived"]
    opened, received = seen
    assert isinstance(opened, events.CaseOpened) and isinstance(received, events.MessageReceived)
    assert opened.case_id == received.case_id == case.id and opened.message_id == received.message_id
    assert (received.how, received.previous_status) == ("opened", None)
    assert _kinds(world, case.id) == ["opened", "message_received"]


def test_an_agent_setting_the_status_emits_status_changed(world: World) -> None:
    _customer_writes(world)
    _set_status(world, 1, CaseStatus.OPEN)
    with emitted(events.StatusChanged) as seen:
        _set_status(world, 1, CaseStatus.WAITING_CUSTOMER)
        _set_status(world, 1, CaseStatus.RESOLVED)
    assert _changes(seen) == [("open", "waiting_customer"), ("waiting_customer", "resolved")]
    assert all(e.actor_user_id == world.agent.id for e in seen)
    rows = _status_rows(world, _case(world).id)
    assert [(r["kind"], r["from_status"], r["to_status"]) for r in rows] == [
        ("status_changed", "new", "open"), ("status_changed", "open", "waiting_customer"),
        ("resolved", "waiting_customer", "resolved")]


def test_setting_the_same_status_again_changes_nothing(world: World) -> None:
    _customer_writes(world)
    _set_status(world, 1, CaseStatus.OPEN)
    with emitted(events.StatusChanged) as seen:
        _set_status(world, 1, CaseStatus.OPEN)
    assert seen == []
    assert len(_status_rows(world, _case(world).id)) == 1


@pytest.mark.parametrize("status", [CaseStatus.WAITING_CUSTOMER, CaseStatus.SNOOZED])
def test_the_customer_writing_on_a_waiting_or_snoozed_case_reopens_it(world: World, status: str) -> None:
    # given a case waiting on the customer (or snoozed)
    _customer_writes(world)
    _set_status(world, 1, status, **({"snooze_until": now() + timedelta(hours=2)} if status == "snoozed" else {}))
    # when the customer writes again
    with emitted(events.StatusChanged, events.MessageReceived) as seen:
        _customer_writes(world, "Any news?")
    # then the case is open again, said by a StatusChanged before the MessageReceived, and on the timeline
    case = _case(world)
    assert case.status == CaseStatus.OPEN and case.snoozed_until is None
    change, received = seen
    assert isinstance(change, events.StatusChanged) and isinstance(received, events.MessageReceived)
    assert (change.from_status, change.to_status, change.reason) == (status, "open", "the customer wrote")
    assert change.actor_user_id is None and change.message_id == received.message_id
    assert (received.how, received.previous_status) == ("appended", status)
    last = _status_rows(world, case.id)[-1]
    assert (last["kind"], last["from_status"], last["to_status"]) == ("status_changed", status, "open")


def test_the_customer_writing_on_a_resolved_case_reopens_it(world: World) -> None:
    _customer_writes(world)
    _set_status(world, 1, CaseStatus.RESOLVED)
    with emitted(events.StatusChanged, events.MessageReceived) as seen:
        _customer_writes(world, "It happened again")
    case = _case(world)
    assert case.status == CaseStatus.OPEN and case.resolved_at is None
    assert _changes(seen) == [("resolved", "open")]
    change, received = seen
    assert isinstance(change, events.StatusChanged) and isinstance(received, events.MessageReceived)
    assert change.message_id == received.message_id
    assert (received.how, received.previous_status) == ("reopened", "resolved")
    last = _status_rows(world, case.id)[-1]
    assert (last["kind"], last["from_status"], last["to_status"]) == ("reopened", "resolved", "open")


def test_the_first_reply_to_a_new_case_opens_it(world: World) -> None:
    _customer_writes(world)
    with emitted(events.CaseAssigned, events.StatusChanged, events.ReplyQueued) as seen:
        _write(world, lambda s, agent: actions.add_reply(
            s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, 1), text="On it",
            visibility="public"))
    case = _case(world)
    assert case.status == CaseStatus.OPEN and case.assignee_id == world.agent.id
    # assigned first (so nothing else takes the case when it opens), then opened, then the reply
    assert [type(e).__name__ for e in seen] == ["CaseAssigned", "StatusChanged", "ReplyQueued"]
    assert _changes(seen) == [("new", "open")]
    assert _kinds(world, case.id)[-3:] == ["assigned", "status_changed", "reply_queued"]


def test_a_snooze_that_ends_reopens_the_case(world: World) -> None:
    _customer_writes(world)
    _set_status(world, 1, CaseStatus.SNOOZED, snooze_until=now() + timedelta(minutes=5))
    with world.runtime.db.transaction() as s:  # the snooze's time has come
        get_case(s, world.workspace_id, 1).snoozed_until = now() - timedelta(seconds=1)
    with emitted(events.StatusChanged) as seen, world.runtime.db.transaction() as s:
        assert actions.wake_snoozed(s, world.runtime.publisher) == 1
    assert [(e.from_status, e.to_status, e.reason, e.actor_user_id) for e in seen if
            isinstance(e, events.StatusChanged)] == [("snoozed", "open", "snooze ended", None)]
    last = _status_rows(world, _case(world).id)[-1]
    assert (last["kind"], last["from_status"], last["to_status"], last["reason"]) == (
        "status_changed", "snoozed", "open", "snooze ended")


def test_merging_an_active_case_into_a_resolved_one_reopens_it_on_the_record(world: World) -> None:
    # given a customer's resolved case 1 and, since, a new case 2 of theirs (the first closed, then they wrote)
    _customer_writes(world, "My bag is lost")
    _set_status(world, 1, CaseStatus.CLOSED)
    _customer_writes(world, "Still no bag")
    _set_status(world, 1, CaseStatus.RESOLVED)
    target, source = _case(world, 1), _case(world, 2)
    assert (target.status, source.status) == (CaseStatus.RESOLVED, CaseStatus.NEW)
    # when an agent merges case 2 into case 1
    with emitted(events.StatusChanged, events.CasesMerged) as seen:
        def merge(s: Session, agent: User) -> None:
            actions.merge_cases(s, world.runtime.publisher, actor=agent, source=get_case(s, world.workspace_id, 2),
                                target=get_case(s, world.workspace_id, 1))
        _write(world, merge)
    # then the target is open again, with its StatusChanged and its timeline row; the source is closed
    assert _case(world, 1).status == CaseStatus.OPEN and _case(world, 2).status == CaseStatus.CLOSED
    by_case = {(e.case_id, e.from_status, e.to_status) for e in seen if isinstance(e, events.StatusChanged)}
    assert by_case == {(target.id, "resolved", "open"), (source.id, "new", "closed")}
    merged = seen[-1]
    assert isinstance(merged, events.CasesMerged)
    assert (merged.case_id, merged.source_case_id, len(merged.message_ids)) == (target.id, source.id, 1)
    reopen = _status_rows(world, target.id)[-1]
    assert (reopen["kind"], reopen["from_status"], reopen["to_status"]) == ("reopened", "resolved", "open")
    assert "case_merged" in _kinds(world, target.id)
    assert _kinds(world, source.id)[-2:] == ["case_merged_into", "closed"]


# --- the outbox -----------------------------------------------------------------------------------------------


class Network:
    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[OutboundMessage] = []

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        self.calls.append(message)
        if self.fail:
            raise SendError("400 Bad Request", retryable=False)
        return SendResult(platform_message_id=f"sent-{len(self.calls)}")


def test_an_automatic_message_is_queued_with_its_origin_and_does_not_take_the_case(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SandboxConnector, "send", Network().send)
    _customer_writes(world)
    # when the system queues an acknowledgement
    with emitted(events.ReplyQueued, events.ReplySent, events.StatusChanged, events.CaseAssigned) as seen:
        with world.runtime.db.transaction() as s:
            case = get_case(s, world.workspace_id, 1)
            ack = actions.queue_outbound(s, world.runtime.publisher, case=case, text="We got your message",
                                         visibility="public", origin="auto_ack", idempotency_key="ack:1")
            ack_id = ack.id
        world.run_jobs()
    # then it records its origin (and the older auto_ack flag), takes nothing from the agents and is no response
    with world.runtime.db.transaction() as s:
        message = s.get(Message, ack_id)
        assert message is not None and message.author_user_id is None
        assert message.platform_extra == {"origin": "auto_ack", "auto_ack": True}
        assert actions.origin_of(message) == "auto_ack"
        case = get_case(s, world.workspace_id, 1)
        assert (case.status, case.assignee_id, case.first_response_at) == (CaseStatus.NEW, None, None)
        row = s.scalars(select(CaseEvent).where(CaseEvent.kind == "reply_queued")).one()
        assert row.data["origin"] == "auto_ack" and row.actor_user_id is None
    assert [(type(e).__name__, getattr(e, "origin", None)) for e in seen] == [
        ("ReplyQueued", "auto_ack"), ("ReplySent", "auto_ack")]


def test_an_agents_reply_records_its_origin_and_counts_when_sent(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SandboxConnector, "send", Network().send)
    _customer_writes(world)
    with emitted(events.ReplyQueued, events.ReplySent) as seen:
        _write(world, lambda s, agent: actions.add_reply(
            s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, 1), text="On it",
            visibility="public"))
        assert _case(world).first_response_at is None  # queued is not answered
        world.run_jobs()
    assert [(type(e).__name__, getattr(e, "origin", None)) for e in seen] == [
        ("ReplyQueued", "agent"), ("ReplySent", "agent")]
    with world.runtime.db.transaction() as s:
        reply = s.scalars(select(Message).where(Message.author_user_id == world.agent.id)).one()
        assert reply.platform_extra == {"origin": "agent"} and actions.origin_of(reply) == "agent"
        assert get_case(s, world.workspace_id, 1).first_response_at is not None


def test_rows_from_before_origin_was_recorded_keep_their_meaning() -> None:
    assert actions.origin_of(Message(platform_extra={})) == "agent"
    assert actions.origin_of(Message(platform_extra={"auto_ack": True})) == "auto_ack"


def test_a_reply_that_fails_then_is_retried_emits_each_step(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = Network(fail=True)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    _customer_writes(world)
    kinds = (events.ReplyFailed, events.ReplyRetryRequested, events.ReplySent)
    with emitted(*kinds) as seen:
        _write(world, lambda s, agent: actions.add_reply(
            s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, 1), text="On it",
            visibility="public"))
        world.run_jobs()
        network.fail = False

        def retry(s: Session, agent: User) -> None:
            message = s.scalars(select(Message).where(Message.author_user_id == agent.id)).one()
            actions.retry_send(s, world.runtime.publisher, actor=agent, message=message)
        _write(world, retry)
        world.run_jobs()
    assert [type(e).__name__ for e in seen] == ["ReplyFailed", "ReplyRetryRequested", "ReplySent"]
    failed = seen[0]
    assert isinstance(failed, events.ReplyFailed) and failed.reason == "400 Bad Request"


def test_a_failure_the_network_reports_later_emits_reply_failed_once(world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SandboxConnector, "send", Network().send)
    _customer_writes(world)
    _write(world, lambda s, agent: actions.add_reply(
        s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, 1), text="On it",
        visibility="public"))
    world.run_jobs()
    with emitted(events.DeliveryStatusChanged, events.ReplyFailed) as seen:
        for _ in range(2):  # reported twice: failed once
            with world.runtime.db.transaction() as s:
                account = s.get(ChannelAccount, world.account.id)
                assert account is not None
                actions.record_delivery_status(s, world.runtime.publisher, account, DeliveryStatus(
                    platform_message_id="sent-1", status="failed", at=now(), reason="blocked by the user"))
    assert [type(e).__name__ for e in seen] == ["DeliveryStatusChanged", "ReplyFailed", "DeliveryStatusChanged"]


def _constructs(name: str) -> list[str]:
    """The modules of ``src/compris`` that call ``name(...)``."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name for n in ast.walk(tree)):
            found.append(str(path.relative_to(SRC)))
    return found


def test_queue_outbound_is_the_only_creator_of_outbox_rows() -> None:
    assert _constructs("Outbox") == ["inbox/actions/outbox.py"]


def test_the_inbox_creates_outbox_rows_only_in_queue_outbound() -> None:
    assert [p for p in _constructs("Outbox") if p.startswith(("inbox/", "replies/", "web/"))] == [
        "inbox/actions/outbox.py"]
    source = inspect.getsource(actions.outbox)
    tree = ast.parse(source)
    creators = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Outbox" for n in ast.walk(f))]
    assert creators == ["queue_outbound"]


# --- the timeline's contract --------------------------------------------------------------------------------------


def test_each_timeline_kind_has_exactly_one_recorder_named_like_it() -> None:
    tree = ast.parse(inspect.getsource(timeline))
    recorders = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
    assert sorted(recorders) == sorted(k.value for k in timeline.EventKind)
    for name, fn in recorders.items():
        kinds = {n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                 and n.value.id == "EventKind"}
        assert kinds == {timeline.EventKind(name).name}, f"timeline.{name} records {kinds}"


def test_nothing_in_the_inbox_or_triage_writes_the_timeline_by_hand() -> None:
    for package in ("inbox", "triage"):
        for path in (SRC / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "CaseEvent(" not in text and "log_event(" not in text.replace("def log_event(", ""), path


def test_opening_an_unread_case_emits_case_read_once(world: World) -> None:
    # given a case the customer just wrote (unread)
    _customer_writes(world)
    case = _case(world)
    assert case.unread
    # when an agent opens it, twice
    with emitted(events.CaseRead) as seen:
        for _ in range(2):
            _write(world, lambda s, agent: actions.mark_read(s, world.runtime.publisher, actor=agent,
                                                             case=get_case(s, world.workspace_id, 1)))
    # then it is read (for that agent: issue 18), and that was one change (the second look changes nothing)
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        assert not reads.is_unread(s, agent, get_case(s, world.workspace_id, 1))
    assert [(type(e).__name__, e.case_id, e.actor_user_id) for e in seen] == [("CaseRead", case.id, world.agent.id)]
