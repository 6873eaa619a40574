"""A case's priority is its most urgent open need plus the waiting time, with reasons (issue 18, defect 5).

It used to be the latest message's score, so a case *fell* as the customer chased: "répondez vite svp" after a
cancellation took it from 32 to 22."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions
from compris.inbox.actions.priority import refresh_waiting
from compris.inbox.ingest import receive
from compris.inbox.priority import WAIT_POINTS_CAP, Need, case_priority, waiting_points
from compris.inbox.queries import get_case
from compris.kit.clock import now
from compris.models import Case, Message, User
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request
from tests.inbox.test_outbound import FlakyNetwork

CANCELLED = "Mon vol AF123 de ce soir est annulé, je suis bloquée à l'aéroport !"
CHASER = "répondez vite svp"
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


# --- the rule, pure -------------------------------------------------------------------------------------------


def test_a_chaser_never_lowers_the_priority() -> None:
    cancelled = Need(1, T0, 58, ["complaint", "negative", "urgent: stranded"], "complaint")
    chaser = Need(2, T0 + timedelta(minutes=10), 1, ["other"], "other")
    alone = case_priority([cancelled], T0 + timedelta(minutes=10))
    both = case_priority([cancelled, chaser], T0 + timedelta(minutes=10))
    assert both.score >= alone.score >= 58
    assert both.message_id == 1
    assert both.reasons[:3] == ["complaint", "negative", "urgent: stranded"]


def test_waiting_raises_it_gradually_up_to_a_cap() -> None:
    need = Need(1, T0, 30, ["question"], "question")
    scores = [case_priority([need], T0 + timedelta(minutes=m)).score for m in (0, 30, 60, 120, 240, 600, 6000)]
    assert scores == sorted(scores)  # never falls with time
    assert scores[0] == 30
    assert scores[2] - scores[0] == 5  # five points an hour
    assert scores[-1] == scores[-2] == 30 + WAIT_POINTS_CAP  # capped (four hours)
    assert waiting_points(timedelta(hours=-1)) == 0
    later = case_priority([need], T0 + timedelta(hours=3))
    assert later.reasons == ["question", "waiting 3 h"]
    assert later.awaiting_since == T0


def test_the_wait_counts_from_the_oldest_open_need() -> None:
    first = Need(1, T0, 10, ["question"], "question")
    urgent = Need(2, T0 + timedelta(hours=2), 50, ["complaint"], "complaint")
    p = case_priority([first, urgent], T0 + timedelta(hours=2))
    assert (p.need, p.waiting, p.score) == (50, 10, 60)
    assert p.reasons == ["complaint", "waiting 2 h"]


def test_nothing_open_is_zero_and_spam_stays_low() -> None:
    assert case_priority([], T0).score == 0
    assert case_priority([], T0, crisis_raise=30).score == 30
    spam = case_priority([Need(1, T0, 5, ["spam"], "spam")], T0 + timedelta(hours=9))
    assert spam.score <= 5
    assert case_priority([Need(1, T0, 100, [], "complaint")], T0 + timedelta(hours=9)).score == 100


# --- on the case ----------------------------------------------------------------------------------------------


def _write(world: World, text: str, message_id: str) -> None:
    rt = world.runtime
    payload = world.payload(text, author="lea")
    payload["id"] = message_id
    receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, payload))
    world.run_jobs()


def _case(world: World) -> Case:
    with world.runtime.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        s.expunge(case)
        return case


def _answer(world: World) -> None:
    """An agent's reply, sent by the send job to a network that accepts it."""
    rt = world.runtime
    with rt.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        case = get_case(s, world.workspace_id, 1)
        actions.add_reply(s, rt.publisher, actor=agent, case=case, text="Nous sommes désolés, on regarde.",
                          visibility="public")
    world.run_jobs()


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> FlakyNetwork:
    accepting = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", accepting.send)
    return accepting


def test_the_cancellation_then_the_chaser_on_a_real_case(world: World) -> None:
    # given a cancellation
    _write(world, CANCELLED, "m1")
    first = _case(world)
    assert first.priority >= 50
    assert any(r.startswith("urgent: ") and "stranded" in r for r in first.priority_reasons)
    # when the customer chases
    _write(world, CHASER, "m2")
    # then the case does not fall, and keeps the cancellation's reasons
    chased = _case(world)
    assert chased.priority >= first.priority
    assert any(r.startswith("urgent: ") and "stranded" in r for r in chased.priority_reasons)
    assert chased.triage.get("priority", 0) < 10  # (the latest message alone is a low-priority chaser)
    assert chased.awaiting_since is not None


def test_answered_needs_stop_counting(world: World) -> None:
    _write(world, CANCELLED, "m1")
    _write(world, CHASER, "m2")
    before = _case(world).priority
    # when an agent's reply is sent
    _answer(world)
    answered = _case(world)
    assert answered.priority < before
    assert answered.priority == 0
    assert answered.awaiting_since is None
    # and a new customer message counts again, alone
    _write(world, "Merci, et pour le remboursement ?", "m3")
    again = _case(world)
    assert 0 < again.priority < before


def test_a_reply_not_sent_yet_is_not_an_answer(world: World, network: FlakyNetwork) -> None:
    network.failures, network.retryable = 99, False  # the network refuses it
    _write(world, CANCELLED, "m1")
    before = _case(world).priority
    rt = world.runtime
    with rt.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        actions.add_reply(s, rt.publisher, actor=agent, case=get_case(s, world.workspace_id, 1), text="On regarde.",
                          visibility="public")
    assert _case(world).priority >= before  # queued
    world.run_jobs()  # failed
    with rt.db.transaction() as s:
        refresh_waiting(s, rt.publisher)
    assert _case(world).priority >= before


def test_the_periodic_pass_raises_a_waiting_case(world: World) -> None:
    _write(world, CANCELLED, "m1")
    start = _case(world)
    rt = world.runtime
    with rt.db.transaction() as s:
        assert refresh_waiting(s, rt.publisher, at=now() + timedelta(hours=2)) == 1
    later = _case(world)
    assert later.priority == min(100, start.priority + 10)
    assert "waiting 2 h" in later.priority_reasons
    with rt.db.transaction() as s:
        refresh_waiting(s, rt.publisher, at=now() + timedelta(hours=30))
    assert _case(world).priority == min(100, start.priority + int(WAIT_POINTS_CAP))


def test_a_message_its_author_deleted_is_no_need(world: World) -> None:
    _write(world, CANCELLED, "m1")
    rt = world.runtime
    with rt.db.transaction() as s:
        message = s.scalars(select(Message)).one()
        message.deleted_at = now()
        case = s.scalars(select(Case)).one()
        refresh_waiting(s, rt.publisher, everything=True)
        assert case.priority == 0
