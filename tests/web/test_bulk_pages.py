"""The inbox's bulk bar and tag filter, the case page's tags, Admin → Tags (server side; the browser test is
tests/e2e/test_bulk_browser.py)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.connectors.base import OutboundMessage, SendResult
from compris.connectors.sandbox import SandboxConnector
from compris.models import Case, Message, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

EVIL = '<script>alert("x")</script>'


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def agent(client: TestClient, world: World) -> Agent:
    return Agent(client, world.agent.email)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[OutboundMessage]:
    out: list[OutboundMessage] = []

    def send(_self: Any, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        out.append(message)
        return SendResult(platform_message_id=f"p{len(out)}")

    monkeypatch.setattr(SandboxConnector, "send", send)
    return out


def _ids(world: World) -> list[int]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id).order_by(Case.id)))


def _cases(client: TestClient, world: World, n: int) -> list[int]:
    for i in range(n):
        customer_writes(client, world, "Hello, my parcel is late, where is it?", author=f"c{i}")
    return _ids(world)


def test_the_inbox_has_a_box_per_row_and_the_bulk_bar(agent: Agent, client: TestClient, world: World) -> None:
    ids = _cases(client, world, 2)
    page = agent.get("/inbox")
    assert page.status_code == 200
    for case_id in ids:
        assert f'value="{case_id}" form="bulk-form"' in page.text
    assert 'id="bulk-form"' in page.text and 'name="kind"' in page.text
    assert "/static/bulk.js" in page.text
    # an agent is offered "me" and "nobody", not the other agents
    bar = page.text[page.text.index('id="bulk-assignee"'):]
    bar = bar[:bar.index("</select>")]
    assert world.admin.name not in bar


def test_bulk_tag_from_the_inbox_then_filter_by_it(agent: Agent, client: TestClient, world: World) -> None:
    ids = _cases(client, world, 3)
    r = agent.post("/inbox/bulk", {"case_ids": [str(i) for i in ids[:2]], "kind": "tag", "tag": EVIL},
                   htmx=True)
    assert r.status_code == 200, r.text
    run_id = re.search(r'data-bulk-run="(\d+)"', r.text)
    assert run_id and 'data-state="running"' in r.text
    world.run_jobs()
    progress = agent.get(f"/inbox/bulk/{run_id.group(1)}", headers={"HX-Request": "true"})
    assert 'data-state="done"' in progress.text and "hx-trigger" not in progress.text
    rows = agent.get("/inbox")
    assert EVIL not in rows.text and "&lt;script&gt;" in rows.text
    filtered = agent.get("/inbox/rows", params={"tag": EVIL.upper()})
    assert filtered.text.count('class="case-row') == 2
    # the filter is in the list's own URL (kept by the browser's address bar)
    assert "tag=%3CSCRIPT%3E" in filtered.text or "tag=%3Cscript%3E" in filtered.text.lower()
    # without HTMX: a page of its own
    page = agent.get(f"/inbox/bulk/{run_id.group(1)}")
    assert page.status_code == 200 and "Back to the inbox" in page.text


def test_a_bulk_reply_is_previewed_then_sent_once_confirmed(agent: Agent, client: TestClient, world: World,
                                                           sent: list[OutboundMessage]) -> None:
    ids = _cases(client, world, 3)
    with world.runtime.db.transaction() as s:
        from compris.replies import actions as replies

        admin = s.get(User, world.admin.id)
        assert admin is not None
        template = replies.create_template(s, actor=admin, name="Holding",
                                           bodies={"en": "Hi {first_name}, we know about the delay."})
        template_id = template.id
    form = {"case_ids": [str(i) for i in ids], "kind": "reply", "template": str(template_id), "visibility": "same"}
    preview = agent.post("/inbox/bulk", form, htmx=True)
    assert preview.status_code == 200
    assert "Hi C0, we know about the delay." in preview.text and "Send to 3 cases" in preview.text
    assert 'name="confirm" value="3"' in preview.text
    world.run_jobs()
    assert sent == []  # nothing before the confirmation
    # a confirmation for another selection only shows the preview again
    assert "Send to 3 cases" in agent.post("/inbox/bulk", {**form, "confirm": "2"}, htmx=True).text
    started = agent.post("/inbox/bulk", {**form, "confirm": "3"}, htmx=True)
    assert "data-bulk-run" in started.text
    world.run_jobs()
    world.run_jobs()
    assert sorted(m.text for m in sent) == [f"Hi C{i}, we know about the delay." for i in range(3)]
    with world.runtime.db.transaction() as s:
        assert len(list(s.scalars(select(Message).where(Message.direction == "outbound")))) == 3


def test_bad_bulk_input_is_a_clear_error(agent: Agent, client: TestClient, world: World, world_factory: Any) -> None:
    ids = _cases(client, world, 1)
    other = world_factory("other")
    customer_writes(client, other, "Bonjour", author="o")
    theirs = _ids(other)
    for form in ({"case_ids": [], "kind": "tag", "tag": "x"},
                 {"case_ids": [str(ids[0])], "kind": "explode"},
                 {"case_ids": ["abc"], "kind": "tag", "tag": "x"},
                 {"case_ids": [str(theirs[0])], "kind": "tag", "tag": "x"},
                 {"case_ids": [str(ids[0])], "kind": "tag", "tag": "   "},
                 {"case_ids": [str(ids[0])], "kind": "reply", "template": ""}):
        r = agent.post("/inbox/bulk", form, htmx=True)
        assert r.status_code == 422, form
        assert 'role="alert"' in r.text
    assert agent.post("/inbox/bulk", {"case_ids": [str(ids[0])], "kind": "tag", "tag": "x"},
                      csrf=False).status_code in (400, 403)
    assert agent.get("/inbox/bulk/999999").status_code == 404


def test_the_case_page_tags(agent: Agent, client: TestClient, world: World, world_factory: Any) -> None:
    _cases(client, world, 1)
    page = agent.get("/cases/1")
    assert 'id="case-tags"' in page.text and 'hx-get="/cases/1/tags"' in page.text
    added = agent.post("/cases/1/tags", {"tag": "Colis perdu, " + EVIL}, htmx=True)
    assert added.status_code == 200
    assert "Colis perdu" in added.text and EVIL not in added.text and "&lt;script&gt;" in added.text
    removed = agent.post("/cases/1/tags/remove", {"tag": "COLIS PERDU"}, htmx=True)
    assert "Colis perdu" not in removed.text.split("<datalist")[0]
    assert agent.post("/cases/1/tags", {"tag": "x" * 80}, htmx=True).status_code == 422
    assert agent.post("/cases/99/tags", {"tag": "x"}, htmx=True).status_code == 404
    other = world_factory("other")
    customer_writes(client, other, "Bonjour", author="o")
    with other.runtime.db.transaction() as s:
        number = s.scalar(select(Case.number).where(Case.workspace_id == other.workspace_id))
    assert number == 1  # the same number in another workspace: this agent sees their own case 1 only
    timeline = agent.get("/cases/1")
    assert "Tags changed" in timeline.text


def test_admin_tags_page_is_for_supervisors(client: TestClient, world: World, agent: Agent) -> None:
    assert agent.get("/admin/tags").status_code == 403
    admin = Agent(make_client_like(client), world.admin.email)
    assert admin.get("/admin/tags").status_code == 200
    assert admin.post("/admin/tags", {"name": "Retard", "color": "orange"}).status_code == 303
    page = admin.get("/admin/tags")
    assert "Retard" in page.text and "tag-orange" in page.text
    tag_id = re.search(r'action="/admin/tags/(\d+)"', page.text)
    assert tag_id
    assert admin.post(f"/admin/tags/{tag_id.group(1)}", {"name": "Retard livraison", "color": "red"}).status_code == 303
    assert admin.post("/admin/tags", {"name": "retard LIVRAISON"}).status_code == 422
    assert admin.post(f"/admin/tags/{tag_id.group(1)}/delete").status_code == 303
    assert "Retard livraison" not in admin.get("/admin/tags").text


def make_client_like(client: TestClient) -> TestClient:
    return TestClient(client.app, follow_redirects=False)


def test_french_bulk_bar_and_tags(client: TestClient, world: World) -> None:
    with world.runtime.db.transaction() as s:
        agent_row = s.get(User, world.agent.id)
        assert agent_row is not None
        agent_row.language = "fr"
    agent = Agent(client, world.agent.email)
    _cases(client, world, 1)
    page = agent.get("/inbox")
    assert "Tous sur cette page" in page.text and "Appliquer à la sélection" in page.text
    tags = agent.get("/cases/1/tags", headers={"HX-Request": "true"})
    assert "Ajouter une étiquette" in tags.text


def test_the_tag_filter_is_kept_in_the_inbox_address(agent: Agent, client: TestClient, world: World) -> None:
    _cases(client, world, 2)
    agent.post("/cases/1/tags", {"tag": "Colis perdu"}, htmx=True)
    page = agent.get("/inbox", params={"tag": "colis PERDU", "status": "all"})
    assert re.search(r'<option value="Colis perdu" selected>', page.text)
    assert 'data-query="view=all&amp;status=all&amp;sort=needs_answer&amp;tag=colis+PERDU"' in page.text
    assert page.text.count('class="case-row') == 1
    # a tag nobody has: the filter says so (and finds nothing), it does not silently show everything
    page = agent.get("/inbox", params={"tag": "nothing like it"})
    assert '<option value="nothing like it" selected>' in page.text
    assert page.text.count('class="case-row') == 0
