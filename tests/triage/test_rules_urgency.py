"""Urgency cues by meaning in French and English (issue 20): time pressure, place, stranded."""

from __future__ import annotations

import pytest

from compris.triage import rules
from compris.triage.core import triage


@pytest.mark.parametrize("text,reason", [
    ("I need my passport back tonight", "time pressure"),
    ("Please call me asap", "time pressure"),
    ("My flight leaves tomorrow and I still have no ticket", "time pressure"),
    ("J'en ai besoin pour ce soir", "time pressure"),
    ("Répondez-moi tout de suite", "time pressure"),
    ("Il me faut une solution d'urgence", "time pressure"),
    ("Je pars demain matin et je n'ai pas de billet", "time pressure"),
    ("Boarding closes in 40 minutes", "time pressure"),
    ("I'm at the airport and nobody is at the desk", "on site (airport or station)"),
    ("Still at the gate, no crew in sight", "on site (airport or station)"),
    ("Je suis à l'aéroport depuis 6h", "on site (airport or station)"),
    ("Nous sommes à la porte d'embarquement", "on site (airport or station)"),
    ("Stranded in Denver with two kids", "stranded"),
    ("Je suis bloqué à Marseille", "stranded"),
    ("On est coincés à la gare", "stranded"),
])
def test_urgency_cues(text: str, reason: str) -> None:
    assert reason in rules.urgency_reasons(text), rules.urgency_reasons(text)


@pytest.mark.parametrize("text", [
    "Ma box est bloquée à l'étape 2",  # a stuck device, not a stranded traveller
    "Can I change the date of my trip next month?",
    "Quels sont vos tarifs ?",
])
def test_no_urgency(text: str) -> None:
    assert "stranded" not in rules.urgency_reasons(text) and "time pressure" not in rules.urgency_reasons(text)


def test_time_words_in_thanks_are_no_pressure() -> None:
    result = triage("Thanks, the parcel arrived today, great service!", accurate=False)
    assert result.intent == "praise" and result.urgency == "low"


def test_politeness_formulas_are_not_thanks() -> None:
    assert not rules.thanks_cues("Merci de me rappeler")
    assert not rules.thanks_cues("Thanks in advance")
    assert rules.thanks_cues("Merci beaucoup !")
    assert rules.politeness_only("Merci de me répondre vite svp")
