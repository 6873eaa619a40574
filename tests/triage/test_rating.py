"""A review's stars are the reviewer's own verdict: triage reads them beside the words."""

from __future__ import annotations

import pytest

from compris.triage import triage


@pytest.mark.parametrize("text", [
    "Great location, friendly staff. Never again though.",
    "La chambre était correcte. Le petit-déjeuner finit à 9 h.",
    "",  # stars only, no words (Google allows it)
])
@pytest.mark.parametrize("stars", [1, 2])
def test_one_or_two_stars_is_a_complaint_whatever_the_words(text: str, stars: int) -> None:
    result = triage(text, rating=stars)
    assert result.intent == "complaint" and result.sentiment == "negative"
    assert result.rating == stars and result.to_dict()["rating"] == stars
    assert f"rating: {stars} star" in " ".join(result.notes)


@pytest.mark.parametrize("text", ["Lovely stay, thank you!", "Séjour parfait, merci à toute l'équipe",
                                  "Room 12 was ok"])
def test_four_or_five_stars_without_a_reported_failure_is_positive(text: str) -> None:
    result = triage(text, rating=5)
    assert result.sentiment == "positive" and result.intent != "complaint"


def test_a_good_rating_does_not_hide_a_reported_failure() -> None:
    result = triage("4 stars but my refund never arrived and nobody answers", rating=4)
    assert result.sentiment == "negative"


def test_three_stars_leaves_the_words_to_decide() -> None:
    assert triage("Average stay.", rating=3).rating == 3


@pytest.mark.parametrize("bad", [0, 6, -1, None])
def test_an_out_of_range_rating_is_ignored(bad: int | None) -> None:
    result = triage("Lovely stay, thank you!", rating=bad)
    assert result.rating is None and "rating" not in result.to_dict()
