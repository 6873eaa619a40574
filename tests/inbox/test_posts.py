"""Threads and context (issue 16): comments under one post are visibly related.

The post a comment is under is kept once per account (``posts``), its comments' threads linked to it; the case page
shows it (escaped), links to the inbox filtered on it (``?post=``), the API lists and filters by it; a post the
delivery named only by id is read from the network once, by the ``inbox.fetch_post`` job."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris import events
from compris.config import Settings
from compris.connectors.base import AccountContext, FetchError, ParentPost
from compris.connectors.sandbox import SandboxConnector
from compris.inbox.actions import posts as post_actions
from compris.kit.clock import now
from compris.models import Job, Post, PostThread
from compris.runtime import Runtime
from tests.conftest import World
from tests.inbox.test_events import emitted
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, customer_writes, make_client

EVIL = '<script>alert("post")</script> Soldes & <b>promos</b>'
POSTED = "2026-03-14T08:00:00+00:00"


def brand_post(world: World, post_id: str = "p-1", text: str = EVIL) -> dict[str, Any]:
    return {"id": post_id, "author": {"id": world.account.external_id, "brand": True, "name": "Acme"},
            "text": text, "created_at": POSTED, "permalink": f"https://sandbox.example/p/{post_id}"}


def comment(client: TestClient, world: World, text: str, author: str, post: dict[str, Any] | None,
            thread: str = "p-1") -> None:
    extra: dict[str, Any] = {"post": post} if post is not None else {}
    customer_writes(client, world, text, kind="comment", author=author, thread=thread, **extra)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def wall(client: TestClient, world: World) -> World:
    """Three customers under the brand's post p-1, one under p-2, one writing privately."""
    comment(client, world, "Toujours pas reçu ma commande", "lea", brand_post(world))
    comment(client, world, "Colis perdu depuis lundi", "marc", brand_post(world))
    comment(client, world, "Where is my parcel??", "sam", brand_post(world))
    comment(client, world, "J'adore la nouvelle collection", "zoe", brand_post(world, "p-2", "Nouvelle collection"),
            thread="p-2")
    customer_writes(client, world, "Bonjour, une question", kind="dm", author="ines")
    return world


def _post_id(world: World, platform_id: str) -> int:
    with world.runtime.db.transaction() as session:
        found = session.scalar(select(Post.id).where(Post.workspace_id == world.workspace_id,
                                                     Post.platform_post_id == platform_id))
    assert found is not None
    return found


def test_comments_under_one_post_share_it_once(wall: World) -> None:
    with wall.runtime.db.transaction() as session:
        posts = list(session.scalars(select(Post).order_by(Post.id)))
        assert [p.platform_post_id for p in posts] == ["p-1", "p-2"]
        first = posts[0]
        assert first.text == EVIL and first.by_account is True and first.author_name == "Acme"
        assert first.posted_at == datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
        assert first.fetch_state == "none"  # the delivery said it all: nothing to read
        assert session.scalar(select(func.count()).select_from(PostThread)) == 2  # p-1's one thread, p-2's
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == post_actions.FETCH_POST)) == 0


def test_the_case_shows_the_post_escaped_and_links_to_its_other_comments(client: TestClient, wall: World) -> None:
    agent = Agent(client, wall.agent.email)
    page = agent.get("/cases/1").text
    assert "&lt;script&gt;alert(&#34;post&#34;)&lt;/script&gt;" in page and '<script>alert("post")' not in page
    assert "Comments on a post by Acme" in page and 'href="https://sandbox.example/p/p-1"' in page
    post_id = _post_id(wall, "p-1")
    assert f'href="/inbox?post={post_id}&amp;status=all"' in page and "Comments on this post (3 cases)" in page
    # the inbox filtered on the post lists its three cases only, with the post above them
    inbox = agent.get(f"/inbox?post={post_id}&status=all").text
    for name in ("Lea", "Marc", "Sam"):
        assert name in inbox
    assert "Zoe" not in inbox and "Ines" not in inbox
    assert "3 cases commenting on" in inbox and 'name="post" value="' in inbox
    rows = agent.get(f"/inbox/rows?post={post_id}&status=all").text
    assert "Sam" in rows and "Zoe" not in rows
    # a private conversation is under no post
    assert "Comments on this post" not in agent.get("/cases/5").text


def test_the_posts_page_lists_commented_posts(client: TestClient, wall: World) -> None:
    page = Agent(client, wall.agent.email).get("/posts").text
    assert "Nouvelle collection" in page and "&lt;script&gt;" in page
    assert page.index("Nouvelle collection") < page.index("&lt;script&gt;")  # the most recently commented first
    assert "3 cases" in page and "1 case" in page


def test_the_post_filter_stays_in_its_workspace(client: TestClient, wall: World,
                                                world_factory: Callable[[str], World]) -> None:
    other = world_factory("globex")
    comment(client, other, "Mon colis ?", "bob", brand_post(other, "p-9", "Autre marque"), thread="p-9")
    foreign = _post_id(other, "p-9")
    agent = Agent(client, wall.agent.email)
    inbox = agent.get(f"/inbox?post={foreign}&status=all").text
    assert "Bob" not in inbox and "Autre marque" not in inbox
    assert agent.get("/inbox?post=abc").status_code == 200  # junk is ignored, never a 500
    headers = auth(token(wall, wall.agent))
    assert client.get(f"/api/v1/posts/{foreign}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/cases?post_id={foreign}", headers=headers).json()["items"] == []
    assert client.get("/api/v1/cases?post_id=0", headers=headers).status_code == 422


def test_the_api_shows_the_post_and_filters_by_it(client: TestClient, wall: World) -> None:
    headers = auth(token(wall, wall.agent))
    post_id = _post_id(wall, "p-1")
    case = client.get("/api/v1/cases/2", headers=headers).json()
    (post,) = case["posts"]
    assert post["id"] == post_id and post["text"] == EVIL and post["by_account"] is True
    assert post["cases"] == 3 and post["comments"] == 3 and post["channel"]["id"] == wall.account.id
    listed = client.get(f"/api/v1/cases?post_id={post_id}&status=all", headers=headers).json()
    assert sorted(c["number"] for c in listed["items"]) == [1, 2, 3] and listed["counts"]["all"] == 3
    posts = client.get("/api/v1/posts", headers=headers).json()["items"]
    assert [p["platform_post_id"] for p in posts] == ["p-2", "p-1"]
    assert client.get(f"/api/v1/posts/{post_id}", headers=headers).json()["cases"] == 3
    assert client.get("/api/v1/cases/5", headers=headers).json()["posts"] == []


# --- reading a post the delivery named only by id -----------------------------------------------------------


def test_a_post_named_only_by_id_is_read_once(client: TestClient, world: World,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fetch(self: SandboxConnector, account: AccountContext, post_id: str,
              http: httpx.Client) -> ParentPost | None:
        calls.append(post_id)
        return ParentPost(platform_post_id=post_id, text="Livraison offerte", author_id=account.external_id,
                          author_name="Acme", by_account=True, permalink="https://sandbox.example/p/p-7")

    monkeypatch.setattr(SandboxConnector, "fetch_post", fetch)
    with emitted(events.PostUpdated) as seen:
        comment(client, world, "Et ma commande ?", "lea", None, thread="p-7")
        comment(client, world, "Pareil, rien reçu", "marc", None, thread="p-7")
    assert calls == ["p-7"]  # once for the post, however many comments
    with world.runtime.db.transaction() as session:
        post = session.scalars(select(Post)).one()
        assert post.text == "Livraison offerte" and post.fetch_state == "fetched" and post.fetched_at is not None
    assert [e.post_id for e in seen if isinstance(e, events.PostUpdated)] == [post.id]
    assert "Livraison offerte" in Agent(client, world.agent.email).get("/cases/1").text


def test_a_post_the_network_will_not_give_shows_as_a_post_on_the_account(
        client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def fetch(self: SandboxConnector, account: AccountContext, post_id: str,
              http: httpx.Client) -> ParentPost | None:
        attempts.append(1)
        if len(attempts) == 1:
            raise FetchError("sandbox answered 503", retryable=True, retry_after=600)
        raise FetchError("refused (403)", code="refused")

    monkeypatch.setattr(SandboxConnector, "fetch_post", fetch)
    comment(client, world, "Et ma commande ?", "lea", None, thread="p-8")
    with world.runtime.db.transaction() as session:
        assert session.scalars(select(Post)).one().fetch_state == "pending"  # tried once, waits for its retry
        job = session.scalars(select(Job).where(Job.kind == post_actions.FETCH_POST)).one()
        assert job.run_at > now() + timedelta(minutes=9)  # the network's Retry-After
        job.run_at = now()
    world.run_jobs()
    with world.runtime.db.transaction() as session:
        assert session.scalars(select(Post)).one().fetch_state == "failed"
    assert len(attempts) == 2
    page = Agent(client, world.agent.email).get("/cases/1").text
    assert "Comments on a post on acme on Sandbox" in page and "did not give this post" in page


def test_the_post_in_french(client: TestClient, wall: World) -> None:
    from compris.models import User

    with wall.runtime.db.transaction() as session:
        agent = session.get(User, wall.agent.id)
        assert agent is not None
        agent.language = "fr"
    browser = Agent(client, wall.agent.email)
    page = browser.get("/cases/1").text
    assert "Commentaires sous une publication de Acme" in page
    assert "Commentaires sous cette publication (3 dossiers)" in page and "Ouvrir la publication" in page
    assert "Publications commentées par les clients" in browser.get("/posts").text
    assert "3 dossiers commentent" in browser.get(f"/inbox?post={_post_id(wall, 'p-1')}&status=all").text
