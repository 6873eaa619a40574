"""Who a note mentions: a pure function of the text and the workspace's people."""

from __future__ import annotations

from compris.notifications.mentions import Candidate, fold, mentioned

PEOPLE = [
    Candidate(1, "Hélène Dupré", "helene.dupre@acme.test"),
    Candidate(2, "Julien Martin", "julien@acme.test"),
    Candidate(3, "Julien Roux", "jroux@acme.test"),
    Candidate(4, "Sophie Bernard", "sophie@acme.test"),
    Candidate(5, "Ines", "ines.laurent@acme.test"),
]


def test_fold_removes_case_accents_and_extra_spaces() -> None:
    assert fold("Hélène  DUPRÉ") == "helene dupre"
    assert fold("Straße") == "strasse"


def test_a_first_name_a_whole_name_and_an_e_mail_local_part() -> None:
    assert mentioned("@Sophie can you call the hotel?", PEOPLE) == {4}
    assert mentioned("please @Julien Martin, look", PEOPLE) == {2}
    assert mentioned("cc @jroux", PEOPLE) == {3}
    assert mentioned("cc @helene.dupre.", PEOPLE) == {1}


def test_accents_and_case_do_not_matter() -> None:
    assert mentioned("@helene regarde", PEOPLE) == {1}
    assert mentioned("@HÉLÈNE DUPRÉ regarde", PEOPLE) == {1}
    assert mentioned("@Inès ?", PEOPLE) == {5}


def test_a_shared_first_name_mentions_both_and_the_whole_name_one() -> None:
    assert mentioned("@Julien", PEOPLE) == {2, 3}
    assert mentioned("@julien roux", PEOPLE) == {3}


def test_unknown_names_addresses_and_partial_words_mention_nobody() -> None:
    assert mentioned("@Nobody here", PEOPLE) == set()
    assert mentioned("write to sophie@acme.test", PEOPLE) == set()
    assert mentioned("@Sophies", PEOPLE) == set()  # not a word boundary
    assert mentioned("no at sign at all", PEOPLE) == set()
    assert mentioned("", PEOPLE) == set()


def test_several_mentions_in_one_note() -> None:
    assert mentioned("@Sophie and @Hélène: see @jroux?", PEOPLE) == {4, 1, 3}
    # a dot ends a name ("thanks @Sophie."): an unknown local part falls back to the first name before it
    assert mentioned("@julien.martin", PEOPLE) == {2, 3}
    assert mentioned("@Sophie\n@jroux", PEOPLE) == {4, 3}
