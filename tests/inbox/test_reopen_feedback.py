"""A customer's thanks or satisfied answer on their resolved case is kept there without reopening it; a message
that carries a new problem or a question reopens it as before (issue 20, item 3). Both databases (``world``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris import events
from compris.config import Settings
from compris.models import CaseEvent, CaseStatus, Message
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World
from tests.inbox.test_events import emitted
from tests.surveys.helpers import agent_replies, case, customer_writes, inbound, set_status
from tests.web.test_pages import Agent


def _resolved(world: World) -> None:
    customer_writes(world, "Where is my bag? It did not arrive in Lyon.")
    agent_replies(world)
    set_status(world, CaseStatus.RESOLVED)


def _timeline(world: World, case_id: int) -> list[str]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


@pytest.mark.parametrize("text", [
    "Thanks, all sorted!",
    "merci beaucoup, problème réglé",
    "5 ⭐ Très satisfaite",
    "⭐⭐⭐⭐⭐",
    "5/5",
])
def test_thanks_or_a_satisfied_answer_is_kept_on_the_resolved_case(world: World, text: str) -> None:
    _resolved(world)
    before = case(world)
    with emitted(events.MessageClaimed, events.MessageReceived, events.StatusChanged) as seen:
        message = inbound(world, text)
    assert message is not None and message.case_id == before.id
    assert [type(e).__name__ for e in seen] == ["MessageClaimed"]  # no MessageReceived: no routing, no SLA
    assert message.platform_extra["claimed_as"] == "feedback"
    after = case(world)
    assert after.status == CaseStatus.RESOLVED
    assert (after.sla_first_response_due, after.sla_next_response_due, after.sla_resolution_due) == (
        before.sla_first_response_due, before.sla_next_response_due, before.sla_resolution_due)
    kinds = _timeline(world, before.id)
    assert kinds[-1] == "message_received" and "reopened" not in kinds  # on the timeline like any message
    with world.runtime.db.transaction() as s:
        stored = s.get(Message, message.id)
        assert stored is not None and stored.triage["intent"] == "praise"
        assert stored.triage["sentiment"] == "positive"


@pytest.mark.parametrize("text", [
    "thanks but my refund still hasn't arrived",
    "Merci ! Une autre question : puis-je changer mon vol de demain ?",
    "1/5, toujours rien reçu",
])
def test_a_new_problem_or_a_question_reopens_the_case(world: World, text: str) -> None:
    _resolved(world)
    before = case(world)
    with emitted(events.MessageClaimed, events.MessageReceived) as seen:
        message = inbound(world, text)
    assert message is not None and message.case_id == before.id
    assert [type(e).__name__ for e in seen] == ["MessageReceived"]
    received = seen[0]
    assert isinstance(received, events.MessageReceived) and received.how == "reopened"
    assert case(world).status == CaseStatus.OPEN


def test_thanks_on_an_open_case_is_appended_as_before(world: World) -> None:
    customer_writes(world, "Where is my bag? It did not arrive in Lyon.")
    with emitted(events.MessageReceived) as seen:
        inbound(world, "Thanks!")
    assert [getattr(e, "how", None) for e in seen] == ["appended"]


def test_thanks_after_the_case_was_closed_opens_a_new_case_as_before(world: World) -> None:
    _resolved(world)
    set_status(world, CaseStatus.CLOSED)
    first = case(world)
    message = inbound(world, "Thanks, all sorted!")
    assert message is not None and message.case_id != first.id
    assert case(world).status == CaseStatus.CLOSED


def test_the_case_page_says_why_the_thanks_did_not_reopen_it(settings: Settings, runtime: Runtime,
                                                              world: World) -> None:
    _resolved(world)
    inbound(world, "merci beaucoup, problème réglé")
    number = case(world).number
    client = TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)
    page = Agent(client, world.agent.email).get(f"/cases/{number}")
    assert page.status_code == 200
    assert "Thanks or satisfaction after the case was resolved: kept here, the case stays resolved" in page.text
    assert page.text.count("merci beaucoup, problème réglé") >= 1
