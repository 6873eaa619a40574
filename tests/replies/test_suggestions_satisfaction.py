"""Suggestions prefer cases resolved with good satisfaction: a satisfied customer's case ranks higher, an
unsatisfied one's is not suggested, and the latest survey of a case is the one that counts."""

from __future__ import annotations

from sqlalchemy import select

from compris.models import Case
from compris.replies import suggestions
from tests.conftest import World
from tests.replies.helpers import case_of, customer_writes, session_of
from tests.replies.test_suggestions import _resolved_case
from tests.surveys.results_world import add_survey


def _id(world: World, number: int) -> int:
    with session_of(world) as s:
        return case_of(s, world, number).id


def _numbers(world: World, number: int) -> list[int]:
    with session_of(world) as s:
        return [f.case_number for f in suggestions.suggest(s, case_of(s, world, number))]


def test_satisfaction_reorders_and_filters_suggestions(world: World) -> None:
    suggestions.clear_cache()
    # case 1 is the closest text, then 3, then 2 (close enough that a satisfied customer lifts it above 3)
    _resolved_case(world, 1, "My suitcase never arrived in Lisbon, baggage lost since Monday", "a1",
                   "Reply one: I opened a baggage trace.")
    _resolved_case(world, 2, "Suitcase never arrived in Lisbon, the baggage is lost", "a2",
                   "Reply two: here is the form.")
    _resolved_case(world, 3, "My suitcase never arrived in Lisbon, baggage lost", "a3",
                   "Reply three: we will call you.")
    customer_writes(world, "My suitcase never arrived in Lisbon, my baggage is lost since Monday", author="a4")
    before = _scores(world, 4)
    assert list(before) == [1, 3, 2] and before[2] * suggestions.SATISFIED_BOOST > before[3]

    add_survey(world, _id(world, 1), rating=2)  # the customer of the closest case was not satisfied
    add_survey(world, _id(world, 2), rating=5)  # the customer of case 2 was
    after = _numbers(world, 4)
    assert 1 not in after  # a poorly rated case is not suggested
    assert after[0] == 2  # the satisfied one ranks first
    assert 3 in after  # unrated: still suggested

    # a later cycle's answer is the one that counts (case 1 answered again, satisfied this time)
    add_survey(world, _id(world, 1), rating=4)
    again = _numbers(world, 4)
    assert 1 in again and again.index(2) < again.index(3) and again.index(1) < again.index(3)


def test_the_score_shown_stays_the_similarity(world: World) -> None:
    suggestions.clear_cache()
    _resolved_case(world, 1, "The hotel shuttle did not come to pick us up", "b1", "Sorry, a taxi is booked.")
    customer_writes(world, "The hotel shuttle never came to pick us up", author="b2")
    with session_of(world) as s:
        plain = suggestions.suggest(s, case_of(s, world, 2))[0].score
        case_id = s.scalar(select(Case.id).where(Case.workspace_id == world.workspace_id, Case.number == 1))
    assert case_id is not None
    add_survey(world, case_id, rating=5)
    with session_of(world) as s:
        boosted = suggestions.suggest(s, case_of(s, world, 2))[0]
    assert boosted.case_number == 1 and boosted.score == plain <= 1.0


def _scores(world: World, number: int) -> dict[int, float]:
    with session_of(world) as s:
        return {f.case_number: f.score for f in suggestions.suggest(s, case_of(s, world, number))}
