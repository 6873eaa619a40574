"""The domain-event bus: order, subclasses, temporary subscriptions, and a failing listener rolls the write back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus
from compris.events import CaseChange, DomainEvent
from compris.live import Publisher
from compris.models import Workspace
from tests.conftest import World


@dataclass(frozen=True, kw_only=True)
class Probe(CaseChange):
    """An event of this test's own (no capability listens to it)."""


@dataclass(frozen=True, kw_only=True)
class ProbeChild(Probe):
    pass


@dataclass(frozen=True, kw_only=True)
class OtherProbe(CaseChange):
    pass


def _probe() -> ProbeChild:
    return ProbeChild(workspace_id=1, case_id=1)


def test_listeners_run_in_their_order_and_base_classes_see_subclasses() -> None:
    # given listeners registered out of order, one of them on a base class
    calls: list[str] = []

    def late(session: Session, publisher: Publisher, event: Any) -> None:
        calls.append("late")

    def early(session: Session, publisher: Publisher, event: Any) -> None:
        calls.append("early")

    def every_case_change(session: Session, publisher: Publisher, event: Any) -> None:
        calls.append(f"case:{type(event).__name__}")

    with bus.subscribed(ProbeChild, late, order=200), bus.subscribed(ProbeChild, early, order=-5), \
            bus.subscribed(Probe, every_case_change, order=150):
        # when the event is emitted
        bus.emit(None, None, _probe())  # type: ignore[arg-type]  # these listeners touch neither
        # then by order, the base-class listener among them
        assert calls == ["early", "case:ProbeChild", "late"]
        # and listeners of another type are not called
        calls.clear()
        bus.emit(None, None, OtherProbe(workspace_id=1, case_id=1))  # type: ignore[arg-type]
        assert calls == []
    # and after the block the temporary listeners are gone
    bus.emit(None, None, _probe())  # type: ignore[arg-type]
    assert calls == []


def test_registering_the_same_function_twice_registers_it_once() -> None:
    def listener(session: Session, publisher: Publisher, event: Probe) -> None:
        pass

    before = len(bus.registrations())
    bus.listens(Probe)(listener)
    bus.listens(Probe)(listener)
    try:
        assert len(bus.registrations()) == before + 1
    finally:
        bus._registry[:] = [r for r in bus._registry if r.listener is not listener]
        bus._by_type.clear()


def test_listens_needs_an_event_type() -> None:
    with pytest.raises(TypeError):
        bus.listens()


def test_a_failing_listener_rolls_the_whole_write_back(world: World) -> None:
    # given a listener that fails
    def broken(session: Session, publisher: Publisher, event: DomainEvent) -> None:
        raise RuntimeError("a listener's bug")

    # when a write emits its event
    with bus.subscribed(Probe, broken), pytest.raises(RuntimeError), world.runtime.db.transaction() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        workspace.name = "renamed by a write that fails"
        bus.emit(s, world.runtime.publisher, _probe())
    # then the write is not there either: data and consequences never disagree
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(Workspace.name).where(Workspace.id == world.workspace_id)) != \
            "renamed by a write that fails"
