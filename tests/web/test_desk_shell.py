"""The desk's panes through the page endpoints (issue 18): /inbox renders the list and an empty case pane; /cases/N
renders the list (with the agent's last filters, from the desk's cookie) beside the case; the desk's own request
(``HX-Target: desk-case``) gets the case pane alone with the URL to push; a history restore gets the whole page;
the rows show network icons with the network's name as their label."""

from __future__ import annotations

import re
from urllib.parse import quote

from compris.config import Settings
from compris.runtime import Runtime
from compris.web.pages.desk import LIST_COOKIE
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

PANE = {"HX-Request": "true", "HX-Target": "desk-case"}


def _desk(settings: Settings, runtime: Runtime, world: World) -> Agent:
    client = make_client(settings, runtime)
    customer_writes(client, world, "My suitcase never arrived", author="ana")
    customer_writes(client, world, "The lounge was closed at 6am", author="ben")
    return Agent(client, world.agent.email)


def _row_numbers(text: str) -> list[str]:
    return re.findall(r'id="case-row-(\d+)"', text)


def test_inbox_is_the_list_and_an_empty_case_pane(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = _desk(settings, runtime, world)
    page = agent.get("/inbox")
    assert page.status_code == 200
    assert 'id="desk-list"' in page.text and 'class="desk-case desk-empty"' in page.text
    assert _row_numbers(page.text) == ["2", "1"]
    assert 'aria-current="true"' not in page.text.split('id="rows"')[1]
    # a network icon (its name as the accessible label) and the account's name, not a text chip
    assert re.search(r'class="net-icon net-sandbox"[^>]*role="img"[^>]*aria-label="Sandbox network"', page.text)
    assert 'class="badge net ' not in page.text.split('id="rows"')[1]
    assert 'id="desk-announce"' in page.text and 'aria-live="polite"' in page.text


def test_case_page_renders_the_list_with_the_open_case_marked(settings: Settings, runtime: Runtime,
                                                              world: World) -> None:
    agent = _desk(settings, runtime, world)
    page = agent.get("/cases/1")
    assert page.status_code == 200
    assert _row_numbers(page.text) == ["2", "1"]
    row = re.search(r'<li class="case-row[^"]*"[^>]*id="case-row-1"[^>]*>', page.text)
    assert row and 'aria-current="true"' in row.group(0)
    other = re.search(r'<li class="case-row[^"]*"[^>]*id="case-row-2"[^>]*>', page.text)
    assert other and "aria-current" not in other.group(0)
    assert 'id="desk-case" class="desk-case case-page" data-case-id' in page.text
    assert 'id="timeline"' in page.text and 'id="customer"' in page.text and 'id="case-actions"' in page.text
    # the list's status filter keeps its own choices (not the case's statuses)
    filters = page.text.split('id="filters"')[1].split("</form>")[0]
    assert 'value="active"' in filters
    # one h1: the case's; the list's heading is below it
    assert page.text.count("<h1") == 1


def test_the_desk_asks_for_the_case_pane_alone(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = _desk(settings, runtime, world)
    pane = agent.get("/cases/2", headers=PANE)
    assert pane.status_code == 200
    assert pane.headers["HX-Push-Url"] == "/cases/2"
    assert "HX-Target" in pane.headers.get("vary", "")
    assert pane.text.lstrip().startswith("<title>#2 ")
    assert 'id="desk-case"' in pane.text and 'data-case-number="2"' in pane.text
    assert 'id="desk-list"' not in pane.text and 'id="rows"' not in pane.text and "<body" not in pane.text
    assert 'id="timeline"' in pane.text and 'id="composer"' in pane.text and 'id="customer"' in pane.text
    # another htmx target, or htmx restoring history (back/forward), gets the whole page
    assert 'id="desk-list"' in agent.get("/cases/2", headers={"HX-Request": "true"}).text
    restore = agent.get("/cases/2", headers={**PANE, "HX-History-Restore-Request": "true"})
    assert 'id="desk-list"' in restore.text and "<body" in restore.text
    # a case of nowhere: the 404 page, never a pane
    assert agent.get("/cases/999", headers=PANE).status_code == 404


def test_case_page_lists_the_remembered_filters(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = _desk(settings, runtime, world)
    agent.client.cookies.set(LIST_COOKIE, quote("view=all&status=active&sort=oldest&q=lounge"))
    page = agent.get("/cases/1")
    assert page.status_code == 200
    assert _row_numbers(page.text) == ["2"]  # only the lounge, though case 1 is open
    assert 'value="lounge"' in page.text
    assert re.search(r'<option value="oldest"\s+selected', page.text)
    # the back link (phones) goes to the same list
    assert 'class="back" href="/inbox?view=all&amp;status=active&amp;sort=oldest&amp;q=lounge"' in page.text
    pane = agent.get("/cases/1", headers=PANE)
    assert "/inbox?view=all&amp;status=active&amp;sort=oldest&amp;q=lounge" in pane.text


def test_a_bad_remembered_filter_falls_back(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = _desk(settings, runtime, world)
    for value in ["view=nope&status=%ZZ&page=-4&account=x", "<script>", "a" * 5000, quote("q=é\x00")]:
        agent.client.cookies.set(LIST_COOKIE, value)
        page = agent.get("/cases/1")
        assert page.status_code == 200, value
        assert _row_numbers(page.text) == ["2", "1"], value
        assert "<script>" not in page.text.split('id="desk-list"')[1].split('id="rows"')[0]
