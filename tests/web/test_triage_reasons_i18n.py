"""The reasons of a message's priority and urgency are stored in English and shown in the agent's language."""

from __future__ import annotations

from compris.triage import rules
from compris.triage.core import Reach
from compris.web import i18n
from compris.web.pages.render import REASON_WORDS, _reason


def _shown(lang: str, reasons: list[str]) -> list[str]:
    return [_reason(i18n.translations(lang), lang, r) for r in reasons]


def test_french_agents_read_the_priority_reasons_in_french() -> None:
    # given the reasons triage stores for a complaint from a large, verified, promoted account
    stored = ["complaint", "negative", "urgent: medical, flight today", *Reach(48_000, True, True, 1_370).reasons(),
              "waiting 25 min", "waiting 3 days"]

    # when a French agent and an English one read them
    french, english = _shown("fr", stored), _shown("en", stored)

    # then the French agent reads French, with French numbers; the English one reads what was stored
    assert french == ["réclamation", "négatif", "urgent: médical, vol aujourd'hui", "publication sponsorisée",
                      "compte vérifié", "48\u202f000 abonnés", "1\u202f370 partages", "en attente depuis 25 min",
                      "en attente depuis 3 jours"]
    assert english == stored


def test_every_urgency_reason_has_words_to_translate() -> None:
    names = {name for name, _pattern in rules._URGENCY}  # the rules' own names (a private table, read here only)
    assert names <= REASON_WORDS


def test_an_unknown_reason_is_shown_as_stored() -> None:
    assert _shown("fr", ["something new"]) == ["something new"]
