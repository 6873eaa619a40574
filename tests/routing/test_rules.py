"""Routing rules: every condition type, first match wins, the default team catches the rest."""

from __future__ import annotations

import pytest

from compris.kit.errors import Invalid
from compris.routing import shifts
from compris.routing.rules import CaseFacts, clean_conditions, first_match, matches

FACTS = CaseFacts(channel_account_id=7, network="x", language="fr", intent="complaint",
                  topics=frozenset({"baggage"}), priority=70, text="Ma valise est perdue à CDG !")


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, True),
        ({"channel_account_ids": [7]}, True),
        ({"channel_account_ids": [8]}, False),
        ({"networks": ["X", "facebook"]}, True),
        ({"networks": ["whatsapp"]}, False),
        ({"languages": ["fr"]}, True),
        ({"languages": ["en"]}, False),
        ({"intents": ["complaint"]}, True),
        ({"intents": ["praise"]}, False),
        ({"topics": ["baggage", "refund"]}, True),
        ({"topics": ["refund"]}, False),
        ({"keywords": ["valise"]}, True),
        ({"keywords": ["vali"]}, False),  # whole words only
        ({"keywords": ["cdg", "orly"]}, True),
        ({"min_priority": 70}, True),
        ({"min_priority": 71}, False),
        ({"networks": ["x"], "languages": ["fr"], "intents": ["complaint"]}, True),
        ({"networks": ["x"], "languages": ["en"]}, False),  # every condition must hold
    ],
)
def test_each_condition(conditions: dict, expected: bool) -> None:
    assert matches(conditions, FACTS) is expected


def test_untriaged_case_never_matches_a_priority_rule() -> None:
    assert not matches({"min_priority": 0}, CaseFacts())
    assert not matches({"languages": ["fr"]}, CaseFacts())


def test_first_matching_rule_wins() -> None:
    rules = [({"intents": ["praise"]}, 1), ({"networks": ["x"]}, 2), ({"languages": ["fr"]}, 3)]
    assert first_match(rules, FACTS) == 2
    assert first_match([({"intents": ["spam"]}, 1)], FACTS) is None


def test_facts_from_triage() -> None:
    facts = CaseFacts.from_triage(channel_account_id=1, network="x", text="hi",
                                  triage={"language": "en", "intent": "question", "topics": ["Refund"],
                                          "priority": "55"})
    assert facts.language == "en" and facts.intent == "question" and facts.topics == {"refund"}
    assert facts.priority == 55


def test_clean_conditions_from_a_form() -> None:
    assert clean_conditions({"networks": "X, facebook", "min_priority": "60", "channel_account_ids": "3 4",
                             "keywords": "", "bogus": "1"}) == {
        "networks": ["facebook", "x"], "min_priority": 60, "channel_account_ids": [3, 4]}


def test_shift_text_round_trip() -> None:
    data = shifts.parse("mon-fri 09:00-17:00\nsat 10:00-14:00, 15:00-18:00\nholiday 2026-12-25\n"
                        "exception 2026-12-24 09:00-12:00\nexception 2026-12-31 closed")
    assert data["weekly"]["0"] == ["09:00-17:00"] and data["weekly"]["5"] == ["10:00-14:00", "15:00-18:00"]
    assert "6" not in data["weekly"]
    assert data["holidays"] == ["2026-12-25"]
    assert data["exceptions"] == {"2026-12-24": ["09:00-12:00"], "2026-12-31": []}
    assert shifts.parse(shifts.render(data)) == data
    cal = shifts.calendar("Europe/Paris", data)
    assert cal.intervals_on(__import__("datetime").date(2026, 12, 21))  # a Monday
    with pytest.raises(Invalid):
        shifts.parse("someday 09:00-17:00")
    with pytest.raises(Invalid):
        shifts.parse("mon 9h-17h")
    assert shifts.parse("sun-mon 22:00-06:00")["weekly"] == {"6": ["22:00-06:00"], "0": ["22:00-06:00"]}
