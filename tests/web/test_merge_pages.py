"""Merging from the agent UI: the contact page (merge into a searched contact, split an identity off) and the
case page's "merge into another case of this customer"."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.config import Settings
from compris.models import Case, CaseEvent, Contact, Identity
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

EVIL = '<script>alert("x")</script> Zoé & Co'


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def agent(client: TestClient, world: World) -> Agent:
    return Agent(client, world.agent.email)


def _write(client: TestClient, world: World, text: str, author: str, name: str | None = None) -> None:
    payload = world.payload(text, author=author)
    if name is not None:
        payload["data"]["author"]["name"] = name
    raw, headers = world.body(payload)
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()


def _contact_of(world: World, number: int) -> int:
    with world.runtime.db.transaction() as session:
        contact_id = session.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id,
                                                                   Case.number == number))
    assert contact_id is not None
    return contact_id


def _snapshot(world: World) -> tuple[object, ...]:
    with world.runtime.db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(CaseEvent)),
                session.scalar(select(func.count()).select_from(Contact)),
                *session.execute(select(Identity.id, Identity.contact_id).order_by(Identity.id)).all(),
                *session.execute(select(Case.id, Case.contact_id, Case.status).order_by(Case.id)).all())


@pytest.fixture
def two_contacts(client: TestClient, world: World) -> tuple[int, int]:
    """One person writing from two accounts: contact 1 (case 1, "Sam") and contact 2 (case 2, a nasty name)."""
    _write(client, world, "My bag is lost <b>again</b>", "sam-x", name="Sam")
    _write(client, world, "Writing again about my bag", "sam-other", name=EVIL)
    return _contact_of(world, 1), _contact_of(world, 2)


def test_the_contact_page_lists_identities_and_cases_escaped(
        agent: Agent, two_contacts: tuple[int, int]) -> None:
    _, second = two_contacts
    page = agent.get(f"/contacts/{second}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Zoé &amp; Co" in page.text
    assert 'href="/cases/2"' in page.text and "@sam-other" in page.text
    # one identity only: nothing to split off
    assert "/unmerge" not in page.text


def test_the_case_page_links_to_the_contact(agent: Agent, two_contacts: tuple[int, int]) -> None:
    first, _ = two_contacts
    assert f'href="/contacts/{first}"' in agent.get("/cases/1").text


def test_search_and_merge_contacts_then_merge_cases_then_split(
        agent: Agent, world: World, two_contacts: tuple[int, int]) -> None:
    first, second = two_contacts
    # given the agent searches the other contact by handle, from the nasty-named one
    page = agent.get(f"/contacts/{second}", params={"q": "SAM-X"})
    assert page.status_code == 200
    assert f'name="into" value="{first}"' in page.text
    assert f'name="into" value="{second}"' not in page.text  # never itself
    # when they merge it into the one found
    response = agent.post(f"/contacts/{second}/merge", {"into": str(first), "q": "sam-x"})
    # then they land on the merged contact, which has both identities and both cases
    assert response.status_code == 303 and response.headers["location"] == f"/contacts/{first}"
    page = agent.get(f"/contacts/{first}")
    assert "@sam-x" in page.text and "@sam-other" in page.text
    assert 'href="/cases/1"' in page.text and 'href="/cases/2"' in page.text
    assert page.text.count("/unmerge") == 2
    # and the merged-away contact says where it went
    assert f'href="/contacts/{first}"' in agent.get(f"/contacts/{second}").text

    # when, on case 2, the agent merges it into case 1 of the same customer (offered there)
    case_page = agent.get("/cases/2").text
    assert 'action="/cases/2/merge"' in case_page and '<option value="1" title=' in case_page
    assert "<b>again</b>" not in case_page and "My bag is lost &lt;b&gt;again&lt;/b&gt;" in case_page
    response = agent.post("/cases/2/merge", {"into": "1"})
    # then they land on case 1, which has both messages; case 2 is closed
    assert response.status_code == 303 and response.headers["location"] == "/cases/1"
    case_1 = agent.get("/cases/1").text
    assert "My bag is lost" in case_1 and "Writing again about my bag" in case_1
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(Case.status).where(Case.workspace_id == world.workspace_id,
                                                        Case.number == 2)) == "closed"
    assert 'action="/cases/1/merge"' not in case_1  # nothing left to merge into

    # when the second identity is split off
    with world.runtime.db.transaction() as session:
        identity_id = session.scalar(select(Identity.id).where(Identity.handle == "@sam-other"))
    response = agent.post(f"/contacts/{first}/identities/{identity_id}/unmerge")
    # then it is a contact of its own, linked from the page the agent is back on
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(rf"/contacts/{first}\?split=\d+", location)
    new_id = int(location.rsplit("=", 1)[1])
    page = agent.get(location).text
    assert f'href="/contacts/{new_id}"' in page and "@sam-other" not in page.split("identities-title")[1][:2000]
    assert "/unmerge" not in page  # one identity left


def test_htmx_case_merge_redirects_the_browser(
        client: TestClient, agent: Agent, world: World, two_contacts: tuple[int, int]) -> None:
    first, second = two_contacts
    assert agent.post(f"/contacts/{second}/merge", {"into": str(first)}).status_code == 303
    response = agent.post("/cases/1/merge", {"into": "2"}, htmx=True)
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/cases/2"


@pytest.mark.parametrize("into", ["1", "", "abc", "99"])
def test_a_bad_case_merge_is_refused_and_writes_nothing(
        agent: Agent, world: World, two_contacts: tuple[int, int], into: str) -> None:
    # case 1 and case 2 belong to different contacts; "1" is the case itself; the others are no case
    before = _snapshot(world)
    response = agent.post("/cases/1/merge", {"into": into}, htmx=True)
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert _snapshot(world) == before


def test_bad_contact_merges_and_splits_are_refused_and_write_nothing(
        agent: Agent, world: World, world_factory: Callable[[str], World], client: TestClient,
        two_contacts: tuple[int, int]) -> None:
    first, _ = two_contacts
    other = world_factory("globex")
    customer_writes(client, other, "Elsewhere", author="cust-9")
    theirs = _contact_of(other, 1)
    with world.runtime.db.transaction() as session:
        only_identity = session.scalar(select(Identity.id).where(Identity.contact_id == first))
        their_identity = session.scalar(select(Identity.id).where(Identity.contact_id == theirs))
    before = _snapshot(world)
    for path, data, status in [
        (f"/contacts/{first}/merge", {"into": str(first)}, 422),  # itself
        (f"/contacts/{first}/merge", {"into": str(theirs)}, 422),  # another workspace's
        (f"/contacts/{first}/merge", {"into": "nobody"}, 422),
        (f"/contacts/{theirs}/merge", {"into": str(first)}, 404),
        (f"/contacts/{first}/identities/{only_identity}/unmerge", {}, 422),  # the only identity
        (f"/contacts/{first}/identities/{their_identity}/unmerge", {}, 404),
        (f"/contacts/{theirs}/identities/{their_identity}/unmerge", {}, 404),
    ]:
        response = agent.post(path, data)
        assert response.status_code == status, (path, data, response.text[:300])
        assert _snapshot(world) == before, (path, data)
    assert agent.get(f"/contacts/{theirs}").status_code == 404
    # the refusal is explained on the page
    response = agent.post(f"/contacts/{first}/identities/{only_identity}/unmerge")
    assert "this identity is the contact&#39;s only one" in response.text


def test_merges_need_the_csrf_token(agent: Agent, world: World, two_contacts: tuple[int, int]) -> None:
    first, second = two_contacts
    before = _snapshot(world)
    assert agent.post(f"/contacts/{second}/merge", {"into": str(first)}, csrf=False).status_code == 403
    assert agent.post("/cases/2/merge", {"into": "1"}, csrf=False).status_code == 403
    with world.runtime.db.transaction() as session:
        identity_id = session.scalar(select(Identity.id).where(Identity.contact_id == second))
    assert agent.post(f"/contacts/{second}/identities/{identity_id}/unmerge", csrf=False).status_code == 403
    assert _snapshot(world) == before


def test_signed_out_visitors_go_to_the_login_page(client: TestClient, two_contacts: tuple[int, int]) -> None:
    response = client.get(f"/contacts/{two_contacts[0]}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_contact_page_in_french(client: TestClient, world: World, two_contacts: tuple[int, int]) -> None:
    from compris.models import User

    with world.runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        user.language = "fr"
    agent = Agent(client, world.agent.email)
    page = agent.get(f"/contacts/{two_contacts[0]}", params={"q": "zzz-nobody"}).text
    assert "Fusionner ce contact dans…" in page and "Aucun autre contact ne correspond." in page
    response = agent.post(f"/contacts/{two_contacts[0]}/merge", {"into": str(two_contacts[0])})
    assert "un contact ne peut pas être fusionné avec lui-même" in response.text


def test_the_contact_search_takes_wildcards_literally(agent: Agent, two_contacts: tuple[int, int]) -> None:
    first, second = two_contacts
    for q in ("%", "_", "sam%x"):
        page = agent.get(f"/contacts/{second}", params={"q": q}).text
        assert 'name="into"' not in page, q
    # while a plain part of a handle or name matches, whatever its case
    assert f'name="into" value="{first}"' in agent.get(f"/contacts/{second}", params={"q": "AM-"}).text
    assert f'name="into" value="{second}"' in agent.get(f"/contacts/{first}", params={"q": "zoé & co"}).text


# --- taking a merged case back out (issue 18: "unmerge undoes it") ------------------------------------------------


def _case(world: World, number: int) -> Case:
    with world.runtime.db.transaction() as session:
        case = session.scalar(select(Case).where(Case.workspace_id == world.workspace_id, Case.number == number))
        assert case is not None
        session.expunge(case)
        return case


def _messages_of(world: World, number: int) -> list[str]:
    from compris.models import Message

    with world.runtime.db.transaction() as session:
        return list(session.scalars(select(Message.text).join(Case, Case.id == Message.case_id).where(
            Case.workspace_id == world.workspace_id, Case.number == number).order_by(Message.id)))


def test_a_merged_case_is_taken_back_out_with_its_messages(
        client: TestClient, agent: Agent, world: World, two_contacts: tuple[int, int]) -> None:
    first, second = two_contacts
    assert agent.post(f"/contacts/{second}/merge", {"into": str(first)}).status_code == 303
    assert agent.post("/cases/2/merge", {"into": "1"}).status_code == 303
    # the customer writes again on case 1 after the merge: that message stays there
    _write(client, world, "Still nothing about my bag", "sam-x", name="Sam")
    assert _messages_of(world, 2) == []
    page = agent.get("/cases/1").text
    assert 'action="/cases/1/unmerge"' in page and "Take #2 back out" in page

    response = agent.post("/cases/1/unmerge", {"source": "2"}, htmx=True)
    assert response.status_code == 200 and 'id="timeline"' in response.text
    assert _messages_of(world, 2) == ["Writing again about my bag"]
    assert "My bag is lost <b>again</b>" in _messages_of(world, 1)
    assert "Still nothing about my bag" in _messages_of(world, 1)
    taken = _case(world, 2)
    assert taken.status == "open" and taken.preview.startswith("Writing again about my bag")
    # both timelines say so, with links; the merge notes are gone; the case page offers the merge again
    case_1, case_2 = agent.get("/cases/1").text, agent.get("/cases/2").text
    assert "A case merged here was taken back out" in case_1 and "Take #2 back out" not in case_1
    assert "Cases merged into this one" not in case_1.replace("Case merged into this one", "")
    assert "Taken back out of the case it was merged into" in case_2
    assert "This case was merged into another case" not in case_2
    with world.runtime.db.transaction() as session:
        kinds = list(session.scalars(select(CaseEvent.kind).where(CaseEvent.kind.in_(
            ("case_unmerged", "case_unmerged_from")))))
    assert sorted(kinds) == ["case_unmerged", "case_unmerged_from"]
    # in French too
    assert agent.post("/settings/profile", {"language": "fr", "name": world.agent.name}).status_code in (200, 303)
    assert "Ressorti du dossier dans lequel il avait été fusionné" in agent.get("/cases/2").text


@pytest.mark.parametrize("source", ["2", "1", "", "abc", "99", "99999999999"])
def test_a_bad_unmerge_is_refused_and_writes_nothing(
        agent: Agent, world: World, two_contacts: tuple[int, int], source: str) -> None:
    """Case 2 was never merged into case 1; "1" is the case itself; the others are no case."""
    before = _snapshot(world)
    response = agent.post("/cases/1/unmerge", {"source": source}, htmx=True)
    assert response.status_code in (404, 422) and 'role="alert"' in response.text
    assert _snapshot(world) == before
    assert agent.post("/cases/1/unmerge", {"source": "2"}, csrf=False).status_code == 403


def test_a_case_taken_out_can_be_merged_again_and_taken_out_again(
        agent: Agent, world: World, two_contacts: tuple[int, int]) -> None:
    first, second = two_contacts
    assert agent.post(f"/contacts/{second}/merge", {"into": str(first)}).status_code == 303
    for _ in range(2):
        assert agent.post("/cases/2/merge", {"into": "1"}).status_code == 303
        assert "Take #2 back out" in agent.get("/cases/1").text
        assert agent.post("/cases/1/unmerge", {"source": "2"}, htmx=True).status_code == 200
        assert _messages_of(world, 2) == ["Writing again about my bag"]
    # taken out already: a second time is refused
    assert agent.post("/cases/1/unmerge", {"source": "2"}, htmx=True).status_code == 422
