"""Inbound screening: a capability may claim a customer's message before a case is found or opened for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import bus, events
from compris.connectors.base import Visibility
from compris.live import Publisher
from compris.models import Case, CaseStatus, Message
from tests.conftest import World
from tests.inbox.test_events import emitted
from tests.surveys.helpers import agent_replies, case, customer_writes, inbound, set_status


@contextmanager
def claiming(case_id: int | None, *, keep: bool, when: str = "") -> Iterator[list[events.InboundScreened]]:
    """A test capability that claims every inbound message (whose text contains ``when``)."""
    seen: list[events.InboundScreened] = []

    def claim(session: Session, publisher: Publisher, event: Any) -> None:
        seen.append(event)
        if when in event.message.text:
            event.claims.append(events.Claim(by="tester", case_id=case_id, keep=keep, reason="test"))

    with bus.subscribed(events.InboundScreened, claim):
        yield seen


def _resolved_case(world: World) -> Case:
    customer_writes(world)
    agent_replies(world)
    set_status(world, CaseStatus.RESOLVED)
    return case(world)


def _count(world: World, model: type) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_keep_stores_the_message_on_the_claimed_case_without_reopening_it(world: World) -> None:
    resolved = _resolved_case(world)
    with claiming(resolved.id, keep=True) as screened, \
            emitted(events.MessageClaimed, events.MessageReceived, events.StatusChanged) as seen:
        message = inbound(world, "5")
    assert len(screened) == 1 and screened[0].contact_id == resolved.contact_id
    assert [type(e).__name__ for e in seen] == ["MessageClaimed"]
    claimed = seen[0]
    assert isinstance(claimed, events.MessageClaimed) and claimed.by == "tester"
    assert message is not None and message.case_id == resolved.id
    assert message.platform_extra["claimed_by"] == "tester" and message.platform_extra["claimed_as"] == "test"
    after = case(world)
    assert after.status == CaseStatus.RESOLVED and after.preview == resolved.preview  # not a new request
    with world.runtime.db.transaction() as s:
        assert message.id in s.scalars(select(Message.id).where(Message.case_id == resolved.id)).all()


def test_keep_false_stores_nothing_in_the_inbox(world: World) -> None:
    resolved = _resolved_case(world)
    messages, cases = _count(world, Message), _count(world, Case)
    with claiming(None, keep=False), emitted(events.MessageClaimed, events.MessageReceived) as seen:
        stored = inbound(world, "Answer from the partner")
    assert stored is None and seen == []
    assert (_count(world, Message), _count(world, Case)) == (messages, cases)
    assert case(world).status == resolved.status


def test_no_claim_changes_nothing(world: World) -> None:
    _resolved_case(world)
    with claiming(None, keep=True, when="never in the text") as screened, \
            emitted(events.MessageClaimed, events.MessageReceived) as seen:
        message = inbound(world, "Still waiting for my bag")
    assert len(screened) == 1
    assert [type(e).__name__ for e in seen] == ["MessageReceived"]
    assert message is not None and "claimed_by" not in message.platform_extra
    assert case(world).status == CaseStatus.OPEN  # reopened, as always


def test_a_claim_on_another_workspaces_case_is_ignored(world: World, world_factory: Any) -> None:
    other = world_factory("globex")
    customer_writes(other, author="zed")
    foreign = case(other)
    _resolved_case(world)
    with claiming(foreign.id, keep=True), emitted(events.MessageReceived) as seen:
        message = inbound(world, "hello")
    assert message is not None and message.case_id != foreign.id and len(seen) == 1


def test_an_unknown_sender_is_screened_without_identity(world: World) -> None:
    with claiming(None, keep=True, when="never") as screened:
        inbound(world, "First time here", author="newcomer", visibility=Visibility.PUBLIC)
    assert screened[0].identity_id is None and screened[0].contact_id is None
