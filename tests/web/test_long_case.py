"""A case with hundreds of messages (issue 22: a case of 2,000 messages rendered 4 MB of HTML in 0.8 s): the page
opens with the latest ones, "Show earlier messages" adds a page at a time, a live refresh keeps what the agent
opened; the threads, their counts and the merge notes stay those of the whole case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.inbox.queries import TIMELINE_MAX, TIMELINE_PAGE, case_view
from compris.models import Case, Message
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

EXTRA = 2 * TIMELINE_PAGE + 30  # messages written after the first two (the post, then the DM)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def agent(client: TestClient, world: World) -> Agent:
    return Agent(client, world.agent.email)


FIRST: dict[int, int] = {}  # case number → the id of its first message (the public post)


@pytest.fixture
def long_case(client: TestClient, world: World) -> int:
    """One customer's case: a public post first, then a private conversation of ``EXTRA`` more messages (the
    customer and the brand in turn); returns the case's number."""
    customer_writes(client, world, "First message, public: booking AB12CD lost", author="cust-1")
    customer_writes(client, world, "Now in private", kind="dm", author="cust-1")
    with world.runtime.db.transaction() as session:
        post, dm = session.scalars(select(Message).where(Message.workspace_id == world.workspace_id)
                                   .order_by(Message.id)).all()
        for i in range(EXTRA):
            inbound = i % 2 == 0
            session.add(Message(
                workspace_id=world.workspace_id, case_id=dm.case_id, thread_id=dm.thread_id,
                channel_account_id=dm.channel_account_id, direction="inbound" if inbound else "outbound",
                visibility="private", text=f"private message {i}", sent_at=dm.sent_at + timedelta(seconds=i + 1),
                author_identity_id=dm.author_identity_id if inbound else None,
                platform_message_id=f"long-{i}"))
        case = session.get(Case, dm.case_id)
        assert case is not None and post.case_id == case.id
        FIRST[case.number] = post.id
        return case.number


def shown_texts(html: str) -> list[str]:
    return re.findall(r"private message (\d+)", html)


def test_a_long_case_opens_with_its_latest_messages(agent: Agent, long_case: int) -> None:
    page = agent.get(f"/cases/{long_case}")
    assert page.status_code == 200
    numbers = shown_texts(page.text)
    assert len(numbers) == TIMELINE_PAGE and numbers[-1] == str(EXTRA - 1)  # the latest, oldest first
    hidden = EXTRA + 2 - TIMELINE_PAGE
    assert f"{hidden} earlier messages not shown" in page.text
    assert f'href="/cases/{long_case}?shown={2 * TIMELINE_PAGE}"' in page.text
    assert f'id="message-{FIRST[long_case]}"' not in page.text
    assert "Case opened" not in page.text  # it goes before the first message, not on top of a later part
    # the threads are the whole case's: the public post's thread is listed though none of its messages is shown
    assert "2 threads:" in page.text


def test_show_earlier_adds_a_page_until_the_first_message(agent: Agent, long_case: int) -> None:
    second = agent.get(f"/cases/{long_case}/timeline?shown={2 * TIMELINE_PAGE}", headers={"HX-Request": "true"})
    assert second.status_code == 200 and len(shown_texts(second.text)) == 2 * TIMELINE_PAGE
    since = re.search(r'data-since="(\d+)"', second.text)
    assert since is not None and "32 earlier messages not shown" in second.text
    assert "Show 32 earlier messages" in second.text
    # the live refresh asks for every message from the first one shown (app.js sends data-since back): a new message
    # adds to what the agent opened instead of pushing the earliest one out
    refresh = agent.get(f"/cases/{long_case}/fragments?parts=timeline,actions&since={since.group(1)}",
                        headers={"HX-Request": "true"})
    assert len(shown_texts(refresh.text)) == 2 * TIMELINE_PAGE
    assert 'data-since' not in agent.get(f"/cases/{long_case}").text  # one page: the latest ones, sliding
    whole = agent.get(f"/cases/{long_case}?shown={2 * TIMELINE_PAGE + 32}")
    assert len(shown_texts(whole.text)) == EXTRA and f'id="message-{FIRST[long_case]}"' in whole.text
    assert "Case opened" in whole.text
    assert "earlier messages not shown" not in whole.text


@pytest.mark.parametrize("value", ["abc", "-5", "0", "99999999999", "1e3", "", "99999999999999999999999"])
def test_a_bad_shown_or_since_value_shows_one_page(agent: Agent, long_case: int, value: str) -> None:
    for query in (f"shown={value}", f"since={value}", f"shown={value}&since={value}"):
        page = agent.get(f"/cases/{long_case}?{query}")
        assert page.status_code == 200 and len(shown_texts(page.text)) == TIMELINE_PAGE, query


def test_since_keeps_every_message_from_one_of_this_case(client: TestClient, world: World, long_case: int) -> None:
    customer_writes(client, world, "Another customer's case", author="cust-other")
    with world.runtime.db.transaction() as session:
        elsewhere = session.scalar(select(Message.id).where(Message.text == "Another customer's case"))
        hidden = EXTRA + 2 - TIMELINE_PAGE
        for since in (10**9, elsewhere):  # no such message in this case: one page
            assert case_view(session, world.workspace_id, long_case, shown=TIMELINE_PAGE, since=since).earlier == hidden
        view = case_view(session, world.workspace_id, long_case, shown=TIMELINE_PAGE, since=FIRST[long_case])
        assert view.earlier == 0 and len([i for i in view.items if i.kind == "message"]) == EXTRA + 2


def test_the_page_shows_at_most_the_cap(world: World, long_case: int) -> None:
    with world.runtime.db.transaction() as session:
        view = case_view(session, world.workspace_id, long_case, shown=TIMELINE_MAX)
        assert view.earlier == 0 and len([i for i in view.items if i.kind == "message"]) == EXTRA + 2


def test_the_threads_of_a_partial_view_are_the_whole_case(world: World, long_case: int) -> None:
    with world.runtime.db.transaction() as session:
        partial = case_view(session, world.workspace_id, long_case, shown=TIMELINE_PAGE)
        whole = case_view(session, world.workspace_id, long_case)
        assert partial.earlier == EXTRA + 2 - TIMELINE_PAGE and whole.earlier == 0 and whole.shown is None

        def summary(view: object) -> list[tuple[int, int, object, int | None]]:
            return [(tv.thread.id, tv.messages, tv.first_at,
                     tv.latest_inbound.id if tv.latest_inbound else None)
                    for tv in view.thread_views]  # type: ignore[attr-defined]

        assert summary(partial) == summary(whole)
        public = next(tv for tv in partial.thread_views if tv.visibility == "public")
        assert public.messages == 1 and public.latest_inbound is not None and public.customer is not None


def test_the_live_refresh_asks_for_what_the_agent_opened() -> None:
    """app.js's case refresh sends the timeline's data-shown back (else a live event would fold the page)."""
    from pathlib import Path

    import compris.web

    script = (Path(compris.web.__file__).parent / "static" / "app.js").read_text()
    assert 'dataset.since' in script and '"&since=" + encodeURIComponent(since)' in script
