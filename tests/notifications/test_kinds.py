"""Every kind has its sentence, short label and preference group, each translated into French."""

from __future__ import annotations

from compris.notifications import kinds
from compris.web import i18n


def test_every_kind_is_described_and_grouped() -> None:
    assert set(kinds.SENTENCES) == set(kinds.SHORT) == set(kinds.KINDS)
    assert {k for group in kinds.GROUPS.values() for k in group} == set(kinds.KINDS)
    assert set(kinds.GROUP_LABELS) == set(kinds.GROUPS)


def test_every_string_is_translated() -> None:
    french = i18n.translations("fr")
    for text in [*kinds.SENTENCES.values(), *kinds.SHORT.values(), *kinds.GROUP_LABELS.values(),
                 *kinds.METRICS.values()]:
        assert french.gettext(text) != text or text == "Mention", text


def test_sentences_are_plain_text_with_their_values() -> None:
    values = {"n": 12, "actor": "Inès <b>", "partner": "Hôtel", "rating": 1}
    assert kinds.sentence(kinds.MENTION, values) == "Inès <b> mentioned you on case #12"
    assert kinds.sentence(kinds.LOW_RATING, values, lambda m: i18n.gettext("fr", m)) == \
        "Dossier n° 12 : le client a donné 1/5"
    assert kinds.sentence("unknown", values) == "unknown"
