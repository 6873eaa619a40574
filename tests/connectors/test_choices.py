"""What every connector shares about survey choices: the rules on the connector, shortening, the text form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compris.connectors import registry
from compris.connectors.base import Choice, ChoiceRules, OutboundMessage, SendError, Visibility
from compris.connectors.choices import as_buttons, as_text, fit, refuse_public

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_each_network_says_how_it_shows_choices() -> None:
    rules = {n: c.limits.choices for n, c in registry.connectors().items()}
    assert {n for n, r in rules.items() if r.buttons} == {"facebook", "instagram", "whatsapp", "sandbox",
                                                              "telegram", "vk"}
    assert (rules["facebook"].max_choices, rules["facebook"].label_length) == (13, 20)
    assert (rules["whatsapp"].max_choices, rules["whatsapp"].label_length) == (10, 24)
    assert rules["x"] == rules["email"] == ChoiceRules()  # written in the text


@pytest.mark.parametrize("network,hours,open_", [
    ("facebook", 23, True), ("facebook", 25, False), ("instagram", 25, False),  # 24 h: no HUMAN_AGENT for a survey
    ("whatsapp", 23, True), ("whatsapp", 25, False), ("sandbox", 24 * 6, True), ("sandbox", 24 * 8, False),
    ("x", 24 * 30, True), ("email", 24 * 30, True),
])
def test_the_window_for_a_survey(network: str, hours: int, open_: bool) -> None:
    status = registry.get(network).choices_window(NOW - timedelta(hours=hours), NOW)
    assert status.open is open_
    if not open_:
        assert status.reason
    assert registry.get("facebook").reply_window(Visibility.PRIVATE, NOW - timedelta(hours=25), NOW).open


def test_fit_shortens_on_one_line() -> None:
    assert fit("  Très\nsatisfait  ", 20) == "Très satisfait"
    assert fit("Pas du tout satisfait", 10) == "Pas du to…" and len(fit("x" * 30, 24)) == 24
    assert fit("anything", 0) == "anything"


def test_as_buttons_needs_room_payloads_and_distinct_labels() -> None:
    rules = ChoiceRules(buttons=True, max_choices=3, label_length=5, payload_length=10)
    three = [Choice("a", "p1"), Choice("b", "p2"), Choice("c", "p3")]
    assert as_buttons(rules, three)
    assert not as_buttons(rules, [*three, Choice("d", "p4")])
    assert not as_buttons(rules, [Choice("a", "x" * 11)])
    assert not as_buttons(rules, [Choice("abcdefg", "p1"), Choice("abcdefh", "p2")])  # both "abcd…"
    assert not as_buttons(ChoiceRules(), three) and not as_buttons(rules, [])


def test_as_text_lists_labels_and_links() -> None:
    choices = [Choice("⭐⭐", "p", "https://e.example/s/t?r=2"), Choice("Bof\n", "q")]
    assert as_text("Note ?\n", choices) == "Note ?\n\n- ⭐⭐: https://e.example/s/t?r=2\n- Bof"
    assert as_text("", choices).startswith("- ⭐⭐")
    assert as_text("Hello", []) == "Hello"


def test_refuse_public_only_with_choices() -> None:
    message = OutboundMessage("k", "t", Visibility.PUBLIC, "th", None, None, choices=(Choice("a", "p"),))
    with pytest.raises(SendError) as caught:
        refuse_public(message, "Net")
    assert not caught.value.retryable
    refuse_public(OutboundMessage("k", "t", Visibility.PUBLIC, "th", None, None), "Net")  # no choices: fine
