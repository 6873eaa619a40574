"""Issue 18's defects that had only server-side tests, now in a real browser too: a chaser never lowering the case's
priority (defect 5), the product's own 404 page (defect 7), the SLA line, "case opened" first and the links between
merged cases (defect 8), unread per agent (defect 9), a supervisor making a routing rule from choices on the pages
that used to answer 403 (defects 12 and 15); and the live region that tells screen readers about a new message
("Look").

Run: ``.venv/bin/pytest -m browser tests/e2e/test_desk_defects_browser.py`` (Debian's Chromium; see
``test_browser.py``).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.inbox.actions.cases import merge_cases
from compris.inbox.actions.contacts import merge_contacts
from compris.models import Case, Contact, RoutingRule, User, Workspace
from compris.routing import actions as routing_actions
from tests.e2e.test_browser import PASSWORD, Server, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, shared with test_browser.py


def _context(browser: Any, width: int = 1440) -> Any:
    return browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")


def _wait_for_cases(server: Server, count: int, timeout: float = 60.0) -> None:
    """Until the worker has opened ``count`` cases of the workspace (simulated messages are processed by a job)."""
    deadline = time.monotonic() + timeout
    while True:
        with server.runtime.db.transaction() as session:
            found = len(session.scalars(select(Case.id).where(Case.workspace_id == server.world.workspace_id)).all())
        if found >= count or time.monotonic() > deadline:
            assert found >= count, f"{found} case(s) after {timeout:.0f} s"
            return
        time.sleep(0.1)


def _row(page: Any, text: str) -> Any:
    row = page.locator("#rows .case-row", has_text=text)
    playwright_sync.expect(row).to_be_visible(timeout=20_000)
    return row


def test_an_unknown_address_shows_the_products_page(server: Server, browser: Any) -> None:
    """Defect 7: not ``{"detail":"Not Found"}`` but Compris's page, with the top bar and the way back."""
    expect = playwright_sync.expect
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)

    response = page.goto(f"{server.base}/no/such/page")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator(".whoami")).to_have_text(server.world.agent.name)
    assert "detail" not in page.locator("body").inner_text()
    page.get_by_role("link", name="Back to the inbox").click()
    expect(page).to_have_url(re.compile(r".*/inbox"))
    context.close()


def test_the_sla_line_case_opened_first_and_merged_cases_link(server: Server, browser: Any) -> None:
    """Defect 8: the SLA line reads as sentences without seconds; "Case opened" comes before a message the
    platform dated earlier; a merged case links to where it went, and back."""
    expect = playwright_sync.expect
    earlier = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    server.simulate("Written two hours ago about my lost bag", author="sam-first", created_at=earlier)
    server.simulate("Another account, same lost bag", author="sam-second")
    _wait_for_cases(server, 2)  # processed before the page loads (under load, a live row could come too late)
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)
    _row(page, "Another account")
    with server.runtime.db.transaction() as session:
        first = session.scalar(select(Case).where(Case.workspace_id == server.world.workspace_id,
                                                  Case.number == 1))
        assert first is not None
        first.sla_status = "ok"
        first.sla_first_response_due = datetime.now(UTC) + timedelta(minutes=25, seconds=30)
        first.sla_resolution_due = datetime.now(UTC) + timedelta(days=3)

    page.goto(f"{server.base}/cases/1")
    line = page.locator("#case-sla-line")
    expect(line).to_contain_text(re.compile(r"First response due in 2[45] min \(at \d\d:\d\d\)"))
    expect(line).to_contain_text(re.compile(r"Resolution due \d{1,2} \w{3} \d\d:\d\d"))
    assert not re.search(r"\d\d:\d\d:\d\d", line.inner_text()), line.inner_text()
    timeline = page.locator("#timeline").inner_text()
    assert timeline.index("Case opened") < timeline.index("Written two hours ago"), timeline

    with server.runtime.db.transaction() as session:
        actor = session.get(User, server.world.agent.id)
        one, two = (session.scalar(select(Case).where(Case.workspace_id == server.world.workspace_id,
                                                      Case.number == n)) for n in (1, 2))
        assert actor is not None and one is not None and two is not None
        source, target = session.get(Contact, two.contact_id), session.get(Contact, one.contact_id)
        assert source is not None and target is not None
        merge_contacts(session, server.runtime.publisher, actor=actor, source=source, target=target)
        merge_cases(session, server.runtime.publisher, actor=actor, source=two, target=one)

    page.goto(f"{server.base}/cases/2")
    note = page.locator("#timeline .merge-into, .merge-note.merge-into").first
    expect(note).to_contain_text("This case was merged into another case:")
    note.get_by_role("link", name="#1").click()
    expect(page).to_have_url(f"{server.base}/cases/1", timeout=30_000)
    back = page.locator(".merge-note.merge-from").first
    expect(back).to_contain_text("Case merged into this one:")
    expect(back.get_by_role("link", name="#2")).to_have_attribute("href", "/cases/2")
    context.close()


def test_unread_is_per_agent_in_two_browsers(server: Server, browser: Any) -> None:
    """Defect 9: the agent opening a case marks it read for them only; the colleague still sees it unread, and a
    new customer message makes it unread again for the one who read it."""
    expect = playwright_sync.expect
    agent_context, admin_context = _context(browser), _context(browser)
    agent, admin = agent_context.new_page(), admin_context.new_page()
    _sign_in(agent, server, server.world.agent.email)
    _sign_in(admin, server, server.world.admin.email)
    server.simulate("Is my seat still booked for tomorrow?", author="una-read")
    for page in (agent, admin):
        expect(_row(page, "seat still booked")).to_have_class(re.compile(r"\bunread\b"))

    # the desk marks it read with a POST once the case is shown (a GET marks nothing: issue 21)
    with agent.expect_response(lambda r: r.url.endswith("/cases/1/read") and r.ok, timeout=20_000):
        _row(agent, "seat still booked").locator("a.case-link").click()
    expect(agent).to_have_url(f"{server.base}/cases/1", timeout=30_000)
    agent.goto(f"{server.base}/inbox")
    expect(_row(agent, "seat still booked")).not_to_have_class(re.compile(r"\bunread\b"))
    admin.reload()
    expect(_row(admin, "seat still booked")).to_have_class(re.compile(r"\bunread\b"))

    # the list is live: the customer's new message makes the case unread again for the agent who had read it
    expect(agent.locator("#live-status")).to_have_attribute("data-state", "on", timeout=10_000)
    server.simulate("Hello? Still waiting about my seat", author="una-read")
    expect(_row(agent, "Still waiting")).to_have_class(re.compile(r"\bunread\b"))
    agent_context.close()
    admin_context.close()


def test_a_supervisor_makes_a_routing_rule_from_choices(server: Server, browser: Any) -> None:
    """Defects 15 and 12: a supervisor opens routing, SLA and tone (403 before), and makes a rule by picking a team,
    an account and an intent by their names (no raw field names, no numeric ids to type)."""
    expect = playwright_sync.expect
    with server.runtime.db.transaction() as session:
        workspace = session.get(Workspace, server.world.workspace_id)
        admin = session.get(User, server.world.admin.id)
        assert workspace is not None and admin is not None
        supervisor = accounts.create_user(session, workspace=workspace, email="sue@e2e.test", name="Sue Pervisor",
                                          password=PASSWORD, role="supervisor")
        routing_actions.create_team(session, server.runtime.publisher, actor=admin, name="Care FR", timezone="UTC",
                                    is_default=True, shift_lines="daily 00:00-00:00")
        email = supervisor.email
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, server, email)
    for path in ("/admin/sla", "/admin/tone", "/admin/routing"):
        response = page.goto(f"{server.base}{path}")
        assert response is not None and response.status == 200, path

    form = page.locator("#rule-form")
    assert "channel_account_ids" not in form.inner_text() and "min_priority" not in form.inner_text()
    form.get_by_label("Name").fill("Acme complaints")
    form.get_by_label("Send to the team").select_option(label="Care FR")
    form.get_by_role("group", name="Account is one of").get_by_label("Acme Air").check()
    form.get_by_role("group", name="Intent is one of").get_by_label("Complaint").check()
    form.get_by_label("Priority at least").select_option(index=2)
    form.get_by_role("button", name="Add the rule").click()

    expect(page.locator("main")).to_contain_text("Account: Acme Air", timeout=10_000)
    expect(page.locator("main")).to_contain_text("Intent: Complaint")
    with server.runtime.db.transaction() as session:
        [rule] = session.scalars(select(RoutingRule).where(RoutingRule.workspace_id == server.world.workspace_id))
        assert rule.name == "Acme complaints" and rule.conditions["intents"] == ["complaint"]
        assert rule.conditions["min_priority"] > 0
    context.close()


def test_a_new_message_is_announced_to_screen_readers(server: Server, browser: Any) -> None:
    """Look: the desk's polite live region says a new message came, in the open case or in another one."""
    expect = playwright_sync.expect
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)
    server.simulate("My bag is still in Lisbon", author="lea-live")
    _row(page, "still in Lisbon").locator("a.case-link").click()
    expect(page).to_have_url(f"{server.base}/cases/1", timeout=30_000)
    region = page.locator("#desk-announce")
    expect(region).to_have_attribute("aria-live", "polite")

    server.simulate("Any news about my bag?", author="lea-live")
    expect(region).to_have_text("New message in this case", timeout=20_000)
    expect(page.locator("#timeline")).to_contain_text("Any news about my bag?")
    server.simulate("A different question about pets", author="pat-other")
    expect(region).to_have_text("New message in case #2", timeout=20_000)  # the workspace's second case
    context.close()


def test_a_customer_who_chases_never_pushes_the_case_down(server: Server, browser: Any) -> None:
    """Defect 5: "répondez vite svp" after a cancellation used to drop the case from 32 to 22; the row keeps the
    priority of the most urgent open need, with its reasons."""
    expect = playwright_sync.expect
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)
    server.simulate("Mon vol AF123 de ce soir est annulé, je suis bloquée à l'aéroport !", author="lea-stranded")
    score = _row(page, "bloquée").locator(".prio-score")
    expect(score).to_have_attribute("aria-label", re.compile(r"complaint"), timeout=20_000)
    before = int(score.inner_text())

    server.simulate("répondez vite svp", author="lea-stranded")
    row = _row(page, "répondez vite svp")  # the same case, its preview the chaser
    after = row.locator(".prio-score")
    expect(after).to_have_attribute("aria-label", re.compile(r"complaint"))
    assert int(after.inner_text()) >= before
    expect(page.locator("#rows .case-row")).to_have_count(1)
    context.close()
