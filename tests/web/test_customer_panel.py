"""The case page's customer panel (issue 18): profile links, "probably the same customer" with its reasons (one
click merges, "not the same person" dismisses), notes about the customer; bad input answers a clear 4xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from compris.config import Settings
from compris.models import Case, Contact, CustomerNote, Identity, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

EVIL = '<script>alert("x")</script> LIS-AC-77120'


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def agent(client: TestClient, world: World) -> Agent:
    return Agent(client, world.agent.email)


def _contact_of(world: World, number: int) -> int:
    with world.runtime.db.transaction() as session:
        found = session.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id,
                                                             Case.number == number))
    assert found is not None
    return found


@pytest.fixture
def pair(client: TestClient, world: World) -> tuple[int, int]:
    customer_writes(client, world, "Day 3. File reference LIS-AC-77120", author="marcus-x")
    customer_writes(client, world, EVIL, author="marcus-wa", kind="dm")
    return _contact_of(world, 1), _contact_of(world, 2)


def test_the_panel_suggests_the_same_customer_with_the_reason_escaped(agent: Agent, pair: tuple[int, int]) -> None:
    first, second = pair
    page = agent.get("/cases/2")
    assert page.status_code == 200
    assert "Probably the same customer" in page.text
    assert "both quote LIS-AC-77120" in page.text
    assert f'action="/contacts/{second}/same/{first}/merge"' in page.text
    assert "<script>alert" not in page.text


def test_one_click_merges_the_contacts_and_cases_and_split_off_undoes_it(
        agent: Agent, world: World, pair: tuple[int, int]) -> None:
    first, second = pair
    answer = agent.post(f"/contacts/{second}/same/{first}/merge", {"case": "2", "with_cases": "1"}, htmx=True)
    assert answer.status_code == 200
    assert 'id="customer"' in answer.text and 'id="timeline"' in answer.text
    assert "Probably the same customer" not in answer.text
    with world.runtime.db.transaction() as session:
        assert session.get(Contact, first).merged_into_id == second  # type: ignore[union-attr]
        assert session.scalar(select(Case.status).where(Case.workspace_id == world.workspace_id,
                                                        Case.number == 1)) == "closed"
    page = agent.get("/cases/2")
    assert page.text.count('data-action="unmerge"') == 2
    identity = page.text.split('data-action="unmerge"')[0].rsplit("/identities/", 1)[1].split("/")[0]
    undo = agent.post(f"/contacts/{second}/identities/{identity}/unmerge", {"case": "2"})
    assert undo.status_code == 303 and undo.headers["location"] == "/cases/2"
    assert "Probably the same customer" in agent.get("/cases/2").text


def test_not_the_same_person_is_remembered(agent: Agent, pair: tuple[int, int]) -> None:
    first, second = pair
    answer = agent.post(f"/contacts/{second}/same/{first}/dismiss", {"case": "2"}, htmx=True)
    assert answer.status_code == 200 and "Probably the same customer" not in answer.text
    assert "Probably the same customer" not in agent.get("/cases/1").text
    # without HTMX: back to the case
    again = agent.post(f"/contacts/{second}/same/{first}/dismiss", {"case": "2"})
    assert again.status_code == 303 and again.headers["location"] == "/cases/2"


def test_notes_about_the_customer_are_shown_on_every_case_and_can_be_edited_and_deleted(
        agent: Agent, client: TestClient, world: World) -> None:
    customer_writes(client, world, "first issue", author="sam")
    with world.runtime.db.transaction() as session:
        session.execute(Case.__table__.update().values(status="closed"))
    customer_writes(client, world, "second issue", author="sam")
    contact = _contact_of(world, 1)
    answer = agent.post(f"/contacts/{contact}/notes", {"text": "<b>VIP</b> prefers e-mail", "case": "1"},
                        htmx=True)
    assert answer.status_code == 200 and "&lt;b&gt;VIP&lt;/b&gt; prefers e-mail" in answer.text
    assert "&lt;b&gt;VIP&lt;/b&gt;" in agent.get("/cases/2").text  # on every case of theirs
    with world.runtime.db.transaction() as session:
        note_id = session.scalar(select(CustomerNote.id))
    edited = agent.post(f"/contacts/{contact}/notes/{note_id}", {"text": "Gold member", "case": "2"}, htmx=True)
    assert edited.status_code == 200 and "Gold member" in edited.text and "edited by" in edited.text
    gone = agent.post(f"/contacts/{contact}/notes/{note_id}/delete", {"case": "2"})
    assert gone.status_code == 303 and gone.headers["location"] == "/cases/2"
    assert "Gold member" not in agent.get("/cases/2").text


def test_bad_input_answers_a_clear_4xx(agent: Agent, pair: tuple[int, int]) -> None:
    _first, second = pair
    empty = agent.post(f"/contacts/{second}/notes", {"text": "   ", "case": "2"}, htmx=True)
    assert empty.status_code == 422 and "write the note first" in empty.text
    assert agent.post(f"/contacts/{second}/notes", {"text": "x" * 5000, "case": "2"}, htmx=True).status_code == 422
    assert agent.post("/contacts/99999/notes", {"text": "hello"}).status_code == 404
    assert agent.post(f"/contacts/{second}/notes/99999", {"text": "hello"}).status_code == 404
    assert agent.post(f"/contacts/{second}/notes/99999/delete", {}).status_code == 404
    assert agent.post(f"/contacts/{second}/same/99999/merge", {"case": "2"}).status_code == 404
    assert agent.post(f"/contacts/{second}/same/99999/dismiss", {"case": "2"}).status_code == 404
    itself = agent.post(f"/contacts/{second}/same/{second}/merge", {"case": "2"}, htmx=True)
    assert itself.status_code == 422
    assert agent.post(f"/contacts/{second}/same/{second}/dismiss", {"case": "abc"}).status_code == 422
    assert agent.post(f"/contacts/{second}/notes", {"text": "no csrf"}, csrf=False).status_code == 403
    # a case number of another contact is not a way back to it
    other_case = agent.post(f"/contacts/{second}/notes", {"text": "hello", "case": "1"})
    assert other_case.status_code == 303 and other_case.headers["location"] == f"/contacts/{second}"


def test_the_contact_page_shows_the_suggestion_and_the_notes(agent: Agent, world: World,
                                                             pair: tuple[int, int]) -> None:
    first, second = pair
    page = agent.get(f"/contacts/{second}")
    assert page.status_code == 200 and "both quote LIS-AC-77120" in page.text
    added = agent.post(f"/contacts/{second}/notes", {"text": "Calls back in the evening"})
    assert added.status_code == 303 and added.headers["location"] == f"/contacts/{second}"
    assert "Calls back in the evening" in agent.get(f"/contacts/{second}").text
    merged = agent.post(f"/contacts/{second}/same/{first}/merge", {})
    assert merged.status_code == 303 and merged.headers["location"] == f"/contacts/{second}"
    with world.runtime.db.transaction() as session:
        assert session.get(Contact, first).merged_into_id == second  # type: ignore[union-attr]


def test_each_identity_shows_followers_verified_and_the_customers_language(
        settings: Settings, runtime: Runtime, client: TestClient, agent: Agent, world: World) -> None:
    """Issue 18, the customer panel: the identities with their followers and verified mark, the customer's language
    by its name in the agent's language."""
    customer_writes(client, world, "Bonjour, mon bagage n'est pas arrivé", author="lina-fr")
    with world.runtime.db.transaction() as session:
        session.execute(update(Identity).where(Identity.workspace_id == world.workspace_id).values(verified=True))
        session.execute(update(Contact).where(Contact.workspace_id == world.workspace_id).values(language="fr"))

    page = agent.get("/cases/1").text
    panel = page[page.index('id="customer"'):]
    assert "@lina-fr" in panel and "10 followers" in panel
    assert '<span class="verified" title="Verified">' in panel
    assert "Language: French" in panel

    with world.runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == world.agent.id).values(language="fr"))
    french = Agent(make_client(settings, runtime), world.agent.email).get("/cases/1").text
    panel = french[french.index('id="customer"'):]
    assert "10 abonnés" in panel and 'title="Certifié"' in panel
    assert "Langue : français" in panel
