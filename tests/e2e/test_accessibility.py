"""Accessibility and the top navigation in Chromium, on the demo workspace (issue 18: "Look", defect 11).

1. axe-core (vendored under ``tests/e2e/vendor/axe-core``, injected by Playwright, never fetched) finds no serious or
   critical violation on the main pages: the inbox, a case, a contact, the settings hub, the profile, supervision,
   reports, listening, incidents and the admin pages (SLA, routing, templates, people) — as the English admin at
   1,440 px, and as French users (an agent, a supervisor) at 1,440 px and 390 px with the menu open.
2. The top bar stays on one line at 1,440 px in English and French, shows the user's whole name, and keeps the agent's
   items (Inbox, Incidents) apart from supervision and reporting and from Settings; at 390 px a menu button (keyboard:
   Enter opens, Escape closes and gives the focus back) replaces the bar, and nothing overflows.
3. Tab from the top of the inbox and of a case moves through the controls, each visibly focused (an outline or a
   ring; never a stop on something hidden), at 1,440 px and 390 px.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select, update

from compris import migrate
from compris.config import Settings
from compris.db import Database
from compris.demo import ensure_demo
from compris.models import Case, Contact, Incident, User
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import SECRET
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, playwright_sync

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ADMIN = "admin@demo.compris.example"
AGENT = "sophie@demo.compris.example"  # French
SUPERVISOR = "ines@demo.compris.example"  # French

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + "  " + n.html.slice(0, 140))}));
}"""


@dataclass
class Demo:
    base: str
    runtime: Runtime
    password: str
    case: int
    contact: int
    incident: int | None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data = tmp_path_factory.mktemp("a11y")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'demo.db'}", secret_key=SECRET, workers=0,
                        sandbox=False, base_url=base, password_hash_cost="minimal", triage_accurate="off")
    db = Database(settings.database_url)
    migrate.upgrade(db.engine)
    db.dispose()
    _email, password = ensure_demo(settings)
    runtime = Runtime.create(settings)
    with runtime.db.transaction() as session:
        case = session.scalars(select(Case.number).order_by(Case.number.desc())).first()
        contact = session.scalars(select(Contact.id).order_by(Contact.id)).first()
        incident = session.scalars(select(Incident.number)).first()
    assert case is not None and contact is not None
    app = create_app(settings, runtime, workers=0)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="uvicorn-a11y", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Demo(base, runtime, password, case, contact, incident)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        with contextlib.suppress(Exception):
            runtime.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page(chromium: Any, demo: Demo, email: str, width: int) -> Any:
    # axe is injected as a script: the page's Content-Security-Policy (script-src 'self') is bypassed for the test
    context = chromium.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{demo.base}/login")
    page.fill("#email", email)
    page.fill("#password", demo.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo.base}/inbox*")
    return page


def _violations(page: Any) -> list[dict[str, Any]]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return found


def _pages(demo: Demo, role: str) -> list[str]:
    desk = ["/inbox", f"/cases/{demo.case}", f"/contacts/{demo.contact}", "/settings", "/settings/profile",
            "/incidents"] + ([f"/incidents/{demo.incident}"] if demo.incident else [])
    lead = ["/supervisor", "/reports", "/listening/alerts", "/admin/sla", "/admin/routing", "/admin/templates"]
    return {"admin": desk + lead + ["/admin/people"], "agent": desk, "supervisor": lead}[role]


def test_the_main_pages_have_no_serious_accessibility_violation(demo: Demo, chromium: Any) -> None:
    problems: list[str] = []
    for email, role, widths in ((ADMIN, "admin", (1440,)), (AGENT, "agent", (1440, 390)),
                                (SUPERVISOR, "supervisor", (1440,))):
        for width in widths:
            page = _page(chromium, demo, email, width)
            for path in _pages(demo, role):
                page.goto(f"{demo.base}{path}")
                if width < 900:  # the phone's menu, open
                    page.click("#nav-toggle")
                for v in _violations(page):
                    problems.append(f"{path} ({role}, {width} px): {v['impact']} {v['id']} — {v['help']}\n      "
                                    + "\n      ".join(v["nodes"]))
            page.context.close()
    assert not problems, "axe-core finds serious or critical violations:\n  " + "\n  ".join(problems)


NAV = """() => {
  const items = [...document.querySelectorAll('nav.nav a')].filter(a => a.offsetParent !== null);
  const name = document.querySelector('.whoami');
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  return {
    lines: new Set(items.map(a => Math.round(a.getBoundingClientRect().top))).size,
    groups: [...document.querySelectorAll('nav.nav .nav-group')].map(g => [...g.querySelectorAll('a')]
      .map(a => a.getAttribute('href'))),
    nameCut: name ? name.scrollWidth > name.clientWidth + 1 || name.getBoundingClientRect().width < 2 : true,
    barHeight: bar.height,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    last: Math.max(...[...document.querySelectorAll('.topbar *')].filter(e => e.offsetParent !== null)
      .map(e => e.getBoundingClientRect().right)) - window.innerWidth,
  };
}"""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_top_navigation_fits_and_groups_its_items(demo: Demo, chromium: Any, language: str) -> None:
    with demo.runtime.db.transaction() as session:
        session.execute(update(User).where(User.email == ADMIN).values(language=language,
                                                                           name="Marie-Charlotte Delacroix"))
    expect = playwright_sync.expect
    # desktop: one line, the whole name, three groups
    page = _page(chromium, demo, ADMIN, 1440)
    for path in ("/inbox", "/settings", "/admin/routing", "/reports"):
        page.goto(f"{demo.base}{path}")
        nav = page.evaluate(NAV)
        assert nav["lines"] == 1 and nav["barHeight"] < 60, (language, path, nav)
        assert not nav["nameCut"], (language, path, "the user's name is cut")
        assert nav["overflow"] <= 0 and nav["last"] <= 0, (language, path, nav)
        assert nav["groups"] == [["/inbox", "/incidents"], ["/supervisor", "/listening/alerts", "/reports"],
                                 ["/settings"]]
    expect(page.locator("#nav-toggle")).to_be_hidden()
    page.context.close()
    # phone: a menu button, keyboard reachable
    page = _page(chromium, demo, ADMIN, 390)
    for path in ("/inbox", f"/cases/{demo.case}", "/settings"):
        page.goto(f"{demo.base}{path}")
        toggle = page.locator("#nav-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.locator("nav.nav")).to_be_hidden()
        bar = page.evaluate(NAV)
        assert bar["barHeight"] < 60 and bar["last"] <= 1, (language, path, bar)
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("nav.nav a[href='/settings']")).to_be_visible()
    expect(page.locator(".menu-user button[type=submit]")).to_be_visible()  # sign out, inside the menu
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.locator("nav.nav")).to_be_hidden()
    page.context.close()


# the element that has the keyboard focus: where it is, and whether a focus indicator is drawn on it (an outline or
# a ring), on the label wrapping it (a visually hidden radio in a tab), or on the label it is styled through
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const ring = e => { if (!e) { return false; } const s = getComputedStyle(e);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; };
  const r = el.getBoundingClientRect();
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? `[name=${el.name}]` : '')
    + (el.getAttribute('href') ? `[href=${el.getAttribute('href')}]` : '');
  return {name, ring: ring(el) || ring(el.closest('label')) || [...(el.labels || [])].some(ring),
          shown: r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'};
}"""


def test_every_control_reached_with_tab_shows_where_the_focus_is(demo: Demo, chromium: Any) -> None:
    """Look: "focus states, keyboard reachable" — Tab from the top of the inbox and of a case reaches the controls
    one after the other, each visibly focused (never an invisible stop), at 1,440 px and 390 px."""
    problems: list[str] = []
    for width in (1440, 390):
        page = _page(chromium, demo, AGENT, width)
        for path in ("/inbox", f"/cases/{demo.case}"):
            page.goto(f"{demo.base}{path}")
            page.wait_for_load_state("networkidle")
            seen: list[str] = []
            for _ in range(40):
                page.keyboard.press("Tab")
                focused = page.evaluate(FOCUSED)
                if focused is None:
                    continue
                seen.append(focused["name"])
                if not focused["shown"]:
                    problems.append(f"{path} at {width} px: the focus is on {focused['name']}, which is not shown")
                elif not focused["ring"]:
                    problems.append(f"{path} at {width} px: {focused['name']} shows no focus indicator")
            assert len(set(seen)) >= 10, (path, width, seen)  # Tab moves through the page's controls
        page.context.close()
    assert not problems, "\n".join(problems)
