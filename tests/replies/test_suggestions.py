"""Suggestions: similar resolved cases of the same workspace only, never reopened, with their replies."""

from __future__ import annotations

from collections.abc import Callable

from compris.inbox import actions as inbox
from compris.replies import suggestions
from tests.conftest import World
from tests.replies.helpers import case_of, customer_writes, session_of, user


def _resolved_case(world: World, number: int, text: str, author: str, reply: str) -> None:
    customer_writes(world, text, author=author)
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world, number)
        inbox.add_reply(s, world.runtime.publisher, actor=agent, case=case, text=reply, visibility="public")
        inbox.set_status(s, world.runtime.publisher, actor=agent, case=case, status="resolved")


def test_suggestions_are_resolved_cases_of_the_same_workspace(world: World,
                                                            world_factory: Callable[[str], World]) -> None:
    suggestions.clear_cache()
    other = world_factory("globex")
    _resolved_case(other, 1, "My suitcase never arrived in Lisbon, the baggage is lost", "g1",
                   "Globex reply about the lost suitcase")
    _resolved_case(world, 1, "My suitcase never arrived in Lisbon, baggage lost since Monday", "a1",
                   "So sorry! I have opened a baggage trace for you.")
    _resolved_case(world, 2, "Can I change the seat on my booking for tomorrow?", "a2",
                   "Yes: Manage booking → Seats.")
    _resolved_case(world, 3, "My suitcase never arrived, lost baggage again", "a3", "Reopened one")
    customer_writes(world, "Still no news about my suitcase!", author="a3")  # case 3 reopened: no longer "good"
    customer_writes(world, "My suitcase never arrived at Lisbon airport, is my baggage lost?", author="a4")
    customer_writes(world, "Lost my suitcase in Lisbon too, never arrived", author="a5")  # open: not suggested
    with session_of(world) as s:
        found = suggestions.suggest(s, case_of(s, world, 4))
    numbers = [f.case_number for f in found]
    assert numbers[0] == 1
    assert not {3, 4, 5} & set(numbers)  # reopened, itself, still open
    best = found[0]
    assert best.replies == ("So sorry! I have opened a baggage trace for you.",)
    assert "Lisbon" in best.customer_text and best.score > 0.3
    assert all("Globex" not in r for f in found for r in f.replies)


def test_the_index_is_rebuilt_when_a_case_is_resolved(world: World) -> None:
    suggestions.clear_cache()
    customer_writes(world, "The hotel shuttle did not come to pick us up at the station", author="b1")
    with session_of(world) as s:
        assert suggestions.suggest(s, case_of(s, world, 1)) == []  # nothing resolved yet
    _resolved_case(world, 2, "Shuttle from the station never came for the hotel pickup", "b2",
                   "Sorry, I have booked you a taxi at our cost.")
    with session_of(world) as s:
        found = suggestions.suggest(s, case_of(s, world, 1))
    assert [f.case_number for f in found] == [2]


def test_automatic_messages_are_never_suggested(world: World) -> None:
    # given a resolved case answered by an agent, and automatic messages on it (a survey, an acknowledgement)
    suggestions.clear_cache()
    _resolved_case(world, 1, "The hotel shuttle did not come to pick us up at the station", "c1",
                   "Sorry, I have booked you a taxi at our cost.")
    with session_of(world) as s:
        case = case_of(s, world, 1)
        for origin in ("survey", "auto_ack"):
            inbox.queue_outbound(s, world.runtime.publisher, case=case, text=f"An automatic {origin} message",
                                 visibility="private", origin=origin)
    customer_writes(world, "Shuttle from the station never came for the hotel pickup", author="c2")
    # when the reply suggestions of a similar case are read
    with session_of(world) as s:
        found = suggestions.suggest(s, case_of(s, world, 2))
    # then only what the agent wrote is offered
    assert [f.replies for f in found] == [("Sorry, I have booked you a taxi at our cost.",)]
