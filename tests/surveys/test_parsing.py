"""The survey-answer parser: payloads, ratings written in French and English, and non-answers left alone."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from compris.surveys.parsing import parse_payload, parse_rating, payload, satisfied, score

DATA = Path(__file__).parent / "data" / "rating_answers.csv"


@pytest.mark.parametrize("text,expected", [
    ("5", 5), ("4/5", 4), ("4 sur 5", 4), ("4 out of 5", 4), ("⭐⭐⭐⭐", 4), ("★★★", 3), ("★★☆☆☆", 2),
    ("10/10", 5), ("0/5", 1), ("5 étoiles", 5), ("4 stars", 4), ("ma note : 4", 4), ("I'd give it a 4", 4),
    ("très satisfait", 5), ("Très satisfaite !", 5), ("satisfait", 4), ("pas satisfait", 2),
    ("pas du tout satisfait", 1), ("pas satisfait du tout", 1), ("Je ne suis pas satisfait", 2), ("bof", 3),
    ("moyen", 3), ("excellent", 5), ("parfait", 5), ("nul", 1), ("not happy at all", 1), ("very happy", 5),
    ("great", 5), ("terrible", 1), ("ok", 3), ("meh", 3), ("not bad", 4), ("pas mal", 4), ("pas terrible", 2),
    ("pas content", 2), ("content", 4), ("I wasn't happy", 2), ("not too bad", 4),
    ("suuuper!!!", 5), ("TRÈÈÈS SATISFAIT !!", 5), ("nuuul", 1), ("cooool", 4), ("super content", 5),
    ("Je suis très satisfait de votre service, merci beaucoup", 5), ("Très satisfait, bonne journée", 5),
    ("5 🙂", 5), ("très satisfait 👍", 5),  # a face beside a rating is the customer's tone
    ("quatre sur cinq", 4), ("une étoile", 1), ("un peu déçu", 2),
])
def test_ratings_in_french_and_english(text: str, expected: int) -> None:
    assert parse_rating(text, "stars5") == expected


@pytest.mark.parametrize("face,expected", [("😡", 1), ("😠", 1), ("😞", 2), ("🙁", 2), ("😐", 3), ("🙂", 4), ("😊", 4),
                                           ("😍", 5), ("🤩", 5), ("😍😍😍", 5), ("❤️", 5)])
def test_emoji_faces_on_the_faces_scale(face: str, expected: int) -> None:
    assert parse_rating(face, "faces5") == expected


@pytest.mark.parametrize("text", [
    "my flight is at 5", "I waited 5 hours", "booking 45123", "2 bags", "still no refund", "is it 5?", "5?",
    "J'ai attendu 5 heures", "vol AF 1234", "5 €", "2%", "on est 4", "le 5 juin", "12/05", "3/4", "4,5/5",
    "merci", "thanks!", "oui", "non", "ok merci", "bonjour", "bonne journée", "have a nice day",
    "great, my bag is lost again", "super, encore en retard", "good but slow", "Спасибо 5", "😍 😡",
    "3 out of 5 bags arrived", "Colis 4 sur 5 reçus", "two bags", "j'ai deux questions", "5 nul", "★★★★★★", "",
    "Très satisfait du vol mais la valise est toujours perdue et personne ne me répond depuis 5 jours, "
    "c'est inadmissible, je veux un remboursement",
])
def test_non_answers_are_left_alone(text: str) -> None:
    assert parse_rating(text) is None


def test_a_rating_beyond_the_scale_is_no_rating() -> None:
    assert parse_rating("6") is None and parse_rating("0") is None and parse_rating("6/5") is None


def test_payloads_round_trip_and_foreign_payloads_are_refused() -> None:
    assert parse_payload(payload(42, 5)) == (42, 5)
    for foreign in (None, "", "csat:x:5", "other:1:2", "csat:1", "csat:1:2:3", "LIKE_BUTTON"):
        assert parse_payload(foreign) is None


def test_score_and_satisfied() -> None:
    assert [score(r) for r in range(1, 6)] == [0, 25, 50, 75, 100]
    assert [satisfied(r) for r in range(1, 6)] == [False, False, False, True, True]


def _measure(split: str) -> dict[str, float]:
    with DATA.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    answers = [r for r in rows if r["expected"]]
    others = [r for r in rows if not r["expected"]]
    read = [(parse_rating(r["text"]), int(r["expected"])) for r in answers]
    right = sum(1 for got, want in read if got == want)
    wrong = sum(1 for got, want in read if got is not None and got != want)
    mistaken = sum(1 for r in others if parse_rating(r["text"]) is not None)
    return {"answers": len(answers), "non_answers": len(others), "recall": right / len(answers),
            "precision": right / max(1, right + wrong + mistaken), "mistaken": mistaken,
            "off_by_more_than_one": sum(1 for got, want in read if got is not None and abs(got - want) > 1)}


def test_the_labelled_set_is_large_and_mixed() -> None:
    for split in ("tune", "validation"):
        figures = _measure(split)
        assert figures["answers"] >= 400 and figures["non_answers"] >= 500
    with DATA.open(encoding="utf-8") as f:
        sources = {r["source"] for r in csv.DictReader(f)}
    assert sources == {"hand", "bitext", "free_tweets"}


def test_measured_figures_on_the_validation_split_stay_above_their_thresholds() -> None:
    """Measured when the parser was last adjusted (validation, never tuned on): precision 0.978, recall 0.809, no
    non-answer read as a rating; the only wrong ratings are one point off ("vraiment pas terrible": 1, not 2)."""
    figures = _measure("validation")
    assert figures["mistaken"] == 0  # the costly error: an ordinary message taken for a rating
    assert figures["off_by_more_than_one"] == 0
    assert figures["precision"] >= 0.97
    assert figures["recall"] >= 0.80


def test_measured_figures_on_the_tuning_split() -> None:
    figures = _measure("tune")
    assert figures["mistaken"] == 0
    assert figures["precision"] >= 0.99 and figures["recall"] >= 0.98
