"""The inbox page (issue 18): the filter panel, saved views (save, rename, update, share, delete), per-agent
unread and "mark as unread", and clear 4xx answers to bad input."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from compris.config import Settings
from compris.models import CaseEvent, InboxView, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client


def _views(world: World) -> list[InboxView]:
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(InboxView).where(InboxView.workspace_id == world.workspace_id)
                              .order_by(InboxView.id)))
        for r in rows:
            s.expunge(r)
        return rows


def test_the_filter_panel_offers_every_filter_in_french_too(settings: Settings, runtime: Runtime,
                                                            world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Bonjour, colis non reçu", author="anne")
    agent = Agent(client, world.agent.email)
    page = agent.get("/inbox").text
    for name in ("q", "status", "sort", "unread", "assignee", "network", "account", "priority", "sla", "intent",
                 "language"):
        assert f'name="{name}"' in page, name
    assert '<option value="needs_answer" selected>' in page  # the default sort
    assert "Saved views" in page and "Save these filters as a view" in page
    with world.runtime.db.transaction() as s:
        s.execute(update(User).where(User.id == world.agent.id).values(language="fr"))
    french = agent.get("/inbox").text
    for text in ("Vues enregistrées", "Niveau de priorité", "État du SLA", "À traiter en premier",
                 "Plus de filtres", "Non lus par moi", "Toutes les intentions"):
        assert text in french, text


def test_unknown_filter_values_fall_back(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    agent = Agent(client, world.agent.email)
    for query in ("priority=extreme", "sla=late&intent=positive", "language=%C3%A9%C3%A9&network=X!",
                  "team=abc&assignee=-1", "unread=maybe", "q=" + "x" * 500, "saved=abc", "saved=999"):
        assert agent.get(f"/inbox?{query}").status_code == 200, query
        assert agent.get(f"/inbox/rows?{query}").status_code == 200, query


def test_search_on_the_page_ignores_accents(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Je n'ai rien reçu", author="anne")
    customer_writes(client, world, "All good", author="bob")
    agent = Agent(client, world.agent.email)
    rows = agent.get("/inbox/rows?q=RECU").text
    assert 'id="case-row-1"' in rows and 'id="case-row-2"' not in rows


def test_an_agent_saves_renames_updates_and_deletes_a_private_view(settings: Settings, runtime: Runtime,
                                                                   world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Complaint", author="anne")
    agent = Agent(client, world.agent.email)
    response = agent.post("/inbox/views", {"name": "  Mes  urgences ", "status": "all", "sort": "priority",
                                           "priority": "urgent", "q": "reçu"}, htmx=True)
    assert response.status_code == 204
    (view,) = _views(world)
    assert view.name == "Mes urgences" and not view.shared and view.owner_id == world.agent.id
    assert view.filters == {"view": "all", "status": "all", "sort": "priority", "priority": "urgent", "q": "reçu"}
    assert response.headers["HX-Redirect"].startswith("/inbox?") and f"saved={view.id}" in response.headers[
        "HX-Redirect"]
    page = agent.get(f"/inbox?status=all&saved={view.id}").text
    assert "Mes urgences" in page and f'data-view-count="{view.id}"' in page
    assert "Update with the current filters" in page
    # rename, then give it the current filters (a browser without scripts posts the page's query)
    assert agent.post(f"/inbox/views/{view.id}", {"action": "rename", "name": "Urgent"}).status_code == 303
    assert agent.post(f"/inbox/views/{view.id}", {"action": "filters", "query": "status=active&sla=breached"}
                      ).status_code == 303
    (view,) = _views(world)
    assert view.name == "Urgent" and view.filters == {"view": "all", "status": "active", "sort": "needs_answer",
                                                      "sla": "breached"}
    # an agent may not share it
    assert agent.post(f"/inbox/views/{view.id}", {"action": "share"}).status_code == 403
    assert agent.post(f"/inbox/views/{view.id}/delete").status_code == 303
    assert _views(world) == []
    with world.runtime.db.transaction() as s:
        kinds = set(s.scalars(select(CaseEvent.kind).where(CaseEvent.workspace_id == world.workspace_id)))
    assert kinds  # the case's own timeline; views write the audit log through their events (below)


def test_bad_input_answers_4xx(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    agent = Agent(client, world.agent.email)
    assert agent.post("/inbox/views", {"name": "   "}).status_code == 422
    assert agent.post("/inbox/views", {"name": "x" * 81}).status_code == 422
    assert agent.post("/inbox/views", {"name": "Shared", "shared": "1"}).status_code == 403
    assert agent.post("/inbox/views/999", {"action": "rename", "name": "x"}).status_code == 404
    assert agent.post("/inbox/views/999/delete").status_code == 404
    assert agent.post("/inbox/views", {"name": "Mine"}).status_code == 303
    (view,) = _views(world)
    assert agent.post(f"/inbox/views/{view.id}", {"action": "explode"}).status_code == 422
    assert agent.post("/inbox/views", {"name": "No token"}, csrf=False).status_code == 403
    assert agent.post("/cases/999/unread").status_code == 404


def test_shared_views_are_seen_by_all_and_changed_by_supervisors_only(settings: Settings, runtime: Runtime,
                                                                       world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    assert admin.post("/inbox/views", {"name": "Team queue", "shared": "1", "status": "active",
                                       "view": "unassigned"}).status_code == 303
    assert admin.post("/inbox/views", {"name": "Admin's own"}).status_code == 303
    shared, private = _views(world)
    agent = Agent(make_client(settings, runtime), world.agent.email)
    page = agent.get("/inbox").text
    assert "Team queue" in page and "Admin&#39;s own" not in page and "Admin's own" not in page
    assert agent.post(f"/inbox/views/{shared.id}", {"action": "rename", "name": "Mine now"}).status_code == 403
    assert agent.post(f"/inbox/views/{shared.id}/delete").status_code == 403
    assert agent.post(f"/inbox/views/{private.id}/delete").status_code == 404  # another's private view
    assert admin.post(f"/inbox/views/{shared.id}", {"action": "unshare"}).status_code == 303
    assert "Team queue" not in agent.get("/inbox").text


def test_unread_is_per_agent_and_can_be_set_again(settings: Settings, runtime: Runtime, world: World) -> None:
    """Defect 9: opening a case marks it read for that agent only."""
    client_a, client_b = make_client(settings, runtime), make_client(settings, runtime)
    customer_writes(client_a, world, "Hello")
    agent, admin = Agent(client_a, world.agent.email), Agent(client_b, world.admin.email)
    assert client_a.post("/cases/1/read", headers={"X-CSRF-Token": agent.csrf}).status_code == 204
    assert "case-row unread" not in agent.get("/inbox").text
    assert "case-row unread" in admin.get("/inbox").text  # the other agent still sees it unread
    assert 'id="case-row-1"' in admin.get("/inbox/rows?unread=1").text
    assert 'id="case-row-1"' not in agent.get("/inbox/rows?unread=1").text
    assert client_a.post("/cases/1/unread", headers={"X-CSRF-Token": agent.csrf}).status_code == 204
    assert "case-row unread" in agent.get("/inbox").text
    assert agent.post("/cases/1/unread").status_code in (204, 303)


def test_the_views_counts_show_in_the_panel(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "un", author="a1")
    customer_writes(client, world, "deux", author="a2")
    agent = Agent(client, world.agent.email)
    agent.post("/inbox/views", {"name": "Deux", "q": "deux", "status": "active"})
    agent.post("/inbox/views", {"name": "Tout", "status": "all"})
    page = agent.get("/inbox").text
    found = dict(re.findall(r'data-view-count="(\d+)">(\d+)<', page))
    deux, tout = _views(world)
    assert found == {str(deux.id): "1", str(tout.id): "2"}


def test_the_case_panel_marks_unread_and_returns_to_the_remembered_list(settings: Settings, runtime: Runtime,
                                                                        world: World) -> None:
    """The case panel's "Mark as unread" (a plain form): unread for this agent only, back to their last filters."""
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1").text
    assert 'action="/cases/1/unread"' in page
    client.post("/cases/1/read", headers={"X-CSRF-Token": agent.csrf})
    client.cookies.set("compris_list", "view=mine&status=all")
    response = client.post("/cases/1/unread", data={"csrf_token": agent.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox?view=mine&status=all"
    assert 'id="case-row-1"' in agent.get("/inbox/rows?unread=1").text


def test_counts_past_500_read_500_plus_and_the_last_page_says_how_to_see_more(
        settings: Settings, runtime: Runtime, world: World) -> None:
    """The views' and saved views' counts stop at ``COUNT_CAP`` ("500+"); the deepest page offered has no *Next*
    link but says to narrow the view (here with the cap and the page limit made small)."""
    import pytest

    from compris.web.pages import inbox

    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(inbox, "COUNT_CAP", 2)
        mp.setattr(inbox, "MAX_PAGE", 1)
        mp.setattr(inbox, "PAGE_SIZE", 2)
        client = make_client(settings, runtime)
        for n in range(4):
            customer_writes(client, world, f"message {n}", author=f"a{n}")
        agent = Agent(client, world.agent.email)
        agent.post("/inbox/views", {"name": "Tout", "status": "all"})
        page = agent.get("/inbox").text
        assert re.search(r'id="count-all">2\+<', page)
        assert re.search(r'data-view-count="\d+">2\+<', page)
        assert "narrow the view with a filter or a search" in page and "page=2" not in page
        with world.runtime.db.transaction() as s:
            s.execute(update(User).where(User.id == world.agent.id).values(language="fr"))
        french = agent.get("/inbox").text
    finally:
        mp.undo()
    assert "affinez la vue avec un filtre ou une recherche" in french
