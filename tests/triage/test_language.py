from __future__ import annotations

import pytest

from compris.triage.language import UNKNOWN, clean_for_detection, detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bonjour, mon vol AF1234 est annulé et personne ne répond", "fr"),
        ("@delta my flight was cancelled and nobody answers the phone", "en"),
        ("Mi vuelo fue cancelado y nadie me ayuda", "es"),
        ("Mein Flug hat drei Stunden Verspätung, was soll ich tun?", "de"),
        ("Il mio volo è in ritardo di tre ore", "it"),
        ("Mijn koffer is kwijt, wie kan mij helpen?", "nl"),
        ("O meu voo foi cancelado, preciso de ajuda", "pt"),
        ("رحلتي تأخرت ثلاث ساعات", "ar"),
        ("Мой рейс задержали на три часа", "ru"),
    ],
)
def test_nine_languages(text: str, lang: str) -> None:
    code, confidence = detect(text)
    assert code == lang
    assert 0.0 < confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("merci !", "fr"),
        ("thanks 🙏", "en"),
        ("Gracias!!", "es"),
        ("danke 👍", "de"),
        ("@AF où est ma valise ?? 😤", "fr"),
    ],
)
def test_short_and_emoji_heavy(text: str, lang: str) -> None:
    assert detect(text)[0] == lang


@pytest.mark.parametrize("text", ["😡😡😡", "", "   ", "👍", "@united http://t.co/abc 123", "?!?!"])
def test_no_language_is_unknown(text: str) -> None:
    assert detect(text) == (UNKNOWN, 0.0)


def test_unsure_is_unknown() -> None:
    code, _ = detect("lol")
    assert code == UNKNOWN


def test_cleaning_removes_handles_urls_and_emoji() -> None:
    cleaned = clean_for_detection("@AirFrance 😡 mon #vol https://t.co/x 12h")
    assert cleaned == "mon vol h"
