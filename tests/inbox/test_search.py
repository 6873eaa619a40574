"""Word search (issue 22): stemmed in French and English, accents and case ignored, handles, case numbers,
e-mail addresses and phone numbers; the index follows every write in its transaction (insert, edit, delete,
erasure); whatever is typed is words, never query syntax. On SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from compris.config import Settings
from compris.inbox import queries, search
from compris.inbox.ingest import receive
from compris.inbox.queries import InboxFilter
from compris.live import Publisher
from compris.models import Case, Identity, Message
from compris.privacy.actions.erasure import erase_contact
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request
from tests.web.api.helpers import auth, token


def _deliver(world: World, text: str, **kw: Any) -> None:
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, world.payload(text, **kw)))
    world.run_jobs()


def _found(world: World, q: str, **filters: Any) -> list[int]:
    with world.runtime.db.transaction() as s:
        f = InboxFilter(q=q, status="all", **filters)
        return sorted(r.case.number for r in queries.list_cases(s, world.workspace_id, world.agent.id, f))


def _message(s: Any, world: World, number: int) -> Message:
    found: Message | None = s.scalar(select(Message).join(Case, Case.id == Message.case_id)
                     .where(Case.workspace_id == world.workspace_id, Case.number == number))
    assert found is not None
    return found


def test_french_words_are_found_under_their_other_forms(world: World) -> None:
    # given
    _deliver(world, "Mon vol a été annulé hier soir", author="anne")
    _deliver(world, "Je voudrais annuler ma réservation", author="bob")
    _deliver(world, "Mes colis sont arrivés abîmés", author="carl")
    _deliver(world, "Toujours pas remboursé !", author="dana")
    # then
    assert _found(world, "annulation") == [1, 2]
    assert _found(world, "annule") == [1, 2]
    assert _found(world, "réservations") == [2]  # plural → singular
    assert _found(world, "colis abimé") == [3]  # two words, both required, one inflected
    assert _found(world, "arrivé") == [3]
    assert _found(world, "rembourser") == [4]  # a conjugation
    assert _found(world, "annulation colis") == []


def test_english_words_are_found_under_their_other_forms(world: World) -> None:
    _deliver(world, "My flight was cancelled", author="anne")
    _deliver(world, "I want to cancel my order", author="bob")
    _deliver(world, "Two parcels were delivered damaged", author="carl")
    assert _found(world, "cancel") == [1, 2]
    assert _found(world, "cancelled") == [1, 2]
    assert _found(world, "Cancellation") == [1, 2]
    assert _found(world, "parcel") == [3]
    assert _found(world, "deliver damage") == [3]


def test_accents_and_case_are_ignored_both_ways(world: World) -> None:
    _deliver(world, "ÉLÈVE inscrit, reçu envoyé", author="anne")
    _deliver(world, "eleve sans recu", author="bob")
    assert _found(world, "élève") == [1, 2]
    assert _found(world, "ELEVE") == [1, 2]
    assert _found(world, "Reçu") == [1, 2]


def test_a_quoted_phrase_keeps_its_words_together(world: World) -> None:
    _deliver(world, "J'ai oublié mon mot de passe", author="anne")
    _deliver(world, "Passe me voir, un mot suffit", author="bob")
    assert _found(world, "mot passe") == [1, 2]
    assert _found(world, '"mot de passe"') == [1]


def test_the_contact_name_is_searched_too(world: World) -> None:
    _deliver(world, "Bonjour", author="anne")
    assert _found(world, "ANNE") == [1]


def test_numbers_handles_addresses_and_phones(world: World) -> None:
    for i in range(12):
        _deliver(world, f"Commande {i}", author=f"cust{i}")
    assert _found(world, "#12") == [12]
    assert _found(world, "7") == [7, 8]  # case 7, and case 8's "Commande 7"
    assert _found(world, "@cust1") == [2, 11, 12]  # a handle's start: cust1, cust10, cust11
    assert _found(world, "@CUST11") == [12]
    assert _found(world, "cust11") == [12]
    with world.runtime.db.transaction() as s:
        contact = s.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id, Case.number == 5))
        s.add(Identity(workspace_id=world.workspace_id, contact_id=contact, network="email",
                       platform_user_id="marie.dupont@example.com", name="Marie Dupont"))
        contact = s.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id, Case.number == 6))
        s.add(Identity(workspace_id=world.workspace_id, contact_id=contact, network="whatsapp",
                       platform_user_id="+33612345678"))
    assert _found(world, "Marie.Dupont@example.com") == [5]
    assert _found(world, "+33 6 12 34 56 78") == [6]
    assert _found(world, "33 612 345 678") == [6]
    assert _found(world, "#999") == []


def test_the_index_follows_inserts_edits_and_deletes(world: World) -> None:
    # an insert: found at once (committed with the message)
    _deliver(world, "Ma trottinette est cassée", author="anne")
    _deliver(world, "Autre chose", author="bob")
    assert _found(world, "trottinette") == [1]
    # an edit through the ORM (the text and its folded copy)
    with world.runtime.db.transaction() as s:
        _message(s, world, 1).text = "Mon vélo est cassé"
    assert _found(world, "trottinette") == []
    assert _found(world, "velo") == [1]
    # a bulk update of the folded copy (what retention does)
    with world.runtime.db.transaction() as s:
        s.execute(update(Message).where(Message.id == _message(s, world, 2).id)
                  .values(text="", search_text=None))
    assert _found(world, "autre") == []
    # a rolled-back edit leaves the index as it was
    with pytest.raises(RuntimeError), world.runtime.db.transaction() as s:
        _message(s, world, 1).text = "planche à voile"
        s.flush()
        raise RuntimeError("rolled back")
    assert _found(world, "planche") == [] and _found(world, "velo") == [1]
    # a delete
    with world.runtime.db.transaction() as s:
        s.execute(delete(Message).where(Message.id == _message(s, world, 1).id))
    assert _found(world, "velo") == []


def test_an_erased_customer_is_no_longer_found(world: World) -> None:
    _deliver(world, "Zoë ici, ma commande XK42 est perdue", author="zoe")
    assert _found(world, "perdue") == [1] and _found(world, "xk42") == [1]
    with world.runtime.db.transaction() as s:
        contact_id = s.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id))
        assert contact_id is not None
        erase_contact(s, Publisher.outside_server(s), workspace_id=world.workspace_id, contact_id=contact_id,
                      source="admin", requested_by=None, reason="asked")
    world.run_jobs()
    assert _found(world, "perdue") == [] and _found(world, "xk42") == [] and _found(world, "zoe") == []


NASTY = ['"', '""', "'", "OR", "a OR b", "-", "-colis", "*", "colis*", "NOT colis", "colis AND", "(colis",
         "col:is", "NEAR(colis vol)", "^colis", "a & b | !c", "colis <-> vol", "\\", "%", "_", "'; DROP TABLE x; --",
         '"unterminated phrase', "#", "@", "@%", "++", "é", "😀", "x" * 200, " ".join(["mot"] * 30)]


@pytest.mark.parametrize("q", NASTY)
def test_query_syntax_is_never_an_error(world: World, q: str) -> None:
    _deliver(world, "Mon colis OR rien, vol annulé", author="anne")
    assert _found(world, q) in ([], [1])
    with world.runtime.db.transaction() as s:
        queries.counts(s, world.workspace_id, world.agent.id, InboxFilter(q=q))


def test_operators_are_plain_words(world: World) -> None:
    _deliver(world, "Mon colis OR rien", author="anne")
    _deliver(world, "Un vol annulé", author="bob")
    assert _found(world, "colis OR vol") == []  # not "colis or vol": all three words
    assert _found(world, "-colis") == [1]  # not "without colis"
    assert _found(world, "colis*") == [1]


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime, workers=0), raise_server_exceptions=False) as c:
        yield c


def test_the_api_and_the_inbox_answer_any_query(client: TestClient, world: World) -> None:
    _deliver(world, "Mon colis est perdu", author="anne")
    headers = auth(token(world, world.admin))
    for q in NASTY:
        response = client.get("/api/v1/cases", headers=headers, params={"q": q, "status": "all"})
        assert response.status_code in (200, 422), (q, response.text)
    found = client.get("/api/v1/cases", headers=headers, params={"q": "colis perdu", "status": "all"}).json()
    assert [c["number"] for c in found["items"]] == [1] and found["page"]["total"] == 1


def test_counts_stop_at_the_cap(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        _deliver(world, f"Colis numéro {i}", author=f"c{i}")
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    with world.runtime.db.transaction() as s:
        found = queries.counts(s, world.workspace_id, world.agent.id, InboxFilter(q="colis"))
        plain = queries.counts(s, world.workspace_id, world.agent.id, InboxFilter())
    assert found["all"] == 3  # "2+"
    assert plain["all"] == 4  # without a search, counts stay exact


def test_a_common_word_looks_at_its_newest_matches(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        _deliver(world, f"Colis numéro {i}", author=f"c{i}")
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    assert _found(world, "colis") == [3, 4]
    assert _found(world, "colis 0") == [1]  # a second word narrows to the older ones


@pytest.mark.parametrize("index_cost", [1000.0, 0.0])  # the older messages walked, or read from the index
def test_the_newest_matches_whatever_the_plan(world: World, monkeypatch: pytest.MonkeyPatch,
                                              index_cost: float) -> None:
    for i in range(6):
        _deliver(world, f"Colis numéro {i}" + (" trottinette" if i == 0 else ""), author=f"c{i}")
    monkeypatch.setattr(search, "WINDOW", 2)  # PostgreSQL: the newest two walked first
    monkeypatch.setattr(search, "INDEX_COST", index_cost)
    monkeypatch.setattr(search, "MATCH_CAP", 3)
    assert _found(world, "trottinette") == [1]  # none among the newest: the older ones
    assert _found(world, "colis") == [4, 5, 6]  # the newest three
    assert _found(world, "colis 1") == [2]


@pytest.mark.parametrize("way", [("walk", 0), ("every", 0), ("range", 1), ("range", 3), ("range", 10_000)])
def test_every_way_of_reading_finds_the_same_newest_matches(world: World, monkeypatch: pytest.MonkeyPatch,
                                                            way: tuple[str, int]) -> None:
    """PostgreSQL reads the older matches by walking the messages, from the whole index or by key ranges of the
    index (``search._cheapest`` chooses): each finds the newest matches, and a phrase only in its order."""
    texts = ["colis trottinette", "colis mot de passe", "colis", "colis passe de mot", "colis trottinette",
             "colis mot de passe oublié", "colis", "colis mon mot de passe", "colis", "colis"]
    for i, body in enumerate(texts):
        _deliver(world, body, author=f"c{i}")
    monkeypatch.setattr(search, "WINDOW", 2)  # the newest two walked first, then the chosen way
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    monkeypatch.setattr(search, "_cheapest", lambda need, share, below, candidates: way)
    assert _found(world, "trottinette") == [1, 5]
    assert _found(world, '"mot de passe"') == [6, 8]
    assert _found(world, '"passe de"') == [4]
    assert _found(world, "colis") == [9, 10]
    assert _found(world, "colis mot") == [6, 8]
    assert _found(world, '"mot de passe" colis') == [6, 8]  # the key: the pair with the fewest matches


def test_the_key_of_a_range_is_the_rarest_word_or_pair(world: World) -> None:
    assert search._parts(search.terms('colis "mot de passe" colis')) == [("colis",), ("mot", "de"), ("de", "passe")]


def test_the_way_of_reading_follows_the_share_of_matches_among_the_newest() -> None:
    assert search._cheapest(100, 0.0, 10_000_000) == ("every", 0)  # none among the newest: few anywhere
    assert search._cheapest(100, 0.5, 10_000_000) == ("walk", 0)  # a common word: walk on a little
    way, keys = search._cheapest(900, 0.008, 10_000_000)  # a word or phrase of middling frequency
    assert way == "range" and 900 / 0.008 <= keys <= 2 * 900 / 0.008
    assert search._cheapest(900, 0.008, 50_000)[0] == "every"  # few messages left: all of their matches
    assert search._cheapest(900, 0.008, 10_000_000, candidates=2)[0] == "range"  # the key: twice as many rows
    assert search._cheapest(900, 0.008, 10_000_000, candidates=100)[0] == "walk"  # far more: walk on


@pytest.mark.parametrize("q", NASTY)
def test_phrase_syntax_is_never_an_error(world: World, q: str) -> None:
    _deliver(world, "Mon colis OR rien, vol annulé", author="anne")
    for phrase in (f'"colis {q}"', f'"{q} colis {q}"', f'"{q}"'):
        assert _found(world, phrase) in ([], [1])


def test_phrases_of_two_and_more_words(world: World) -> None:
    _deliver(world, "My credit card was charged twice", author="anne")
    _deliver(world, "The card gave me credit", author="bob")
    _deliver(world, "Credit, card!", author="cleo")  # punctuation is no word: still adjacent
    _deliver(world, "c'est l'avion d'hier", author="dan")
    assert _found(world, '"credit card"') == [1, 3]
    assert _found(world, '"card credit"') == []
    assert _found(world, '"credit card was charged"') == [1]
    assert _found(world, '"credit card was twice"') == []
    assert _found(world, "\"l'avion d'hier\"") == [4]
