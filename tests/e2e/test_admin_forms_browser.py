"""Issue 18, defect 2, in a real browser: on every settings and admin form each label is visually next to its own
field — left of it on the same row, directly above it, or wrapping it (a checkbox and its text) — at 1,440 px and
at 390 px. The SLA, routing and tone forms had every label beside the next field (the heading took a grid cell)."""

from __future__ import annotations

from typing import Any

import pytest

from compris.models import User
from compris.routing import actions as routing_actions
from tests.e2e.test_browser import SHOTS, Server, _sign_in, browser, server  # noqa: F401
from tests.web.test_admin_forms_labels import PAGES

pytestmark = pytest.mark.browser

#: each visible field whose labels are all away from it: ``[page, field, label, boxes]``
MISPLACED = """() => {
  const out = [];
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
                       && getComputedStyle(el).visibility !== 'hidden'; };
  const skip = ['hidden', 'submit', 'button', 'reset', 'image'];
  for (const c of document.querySelectorAll('main form input, main form select, main form textarea')) {
    if (c.tagName === 'INPUT' && skip.includes((c.type || '').toLowerCase())) continue;
    if (!seen(c)) continue;
    const labels = [...(c.labels || [])].filter(seen);
    if (!labels.length) continue;  // aria-label: the server-side test checks it is there
    const f = c.getBoundingClientRect();
    const box = c.type === 'checkbox' || c.type === 'radio';
    const near = labels.some(l => {
      if (l.contains(c)) return true;
      const b = l.getBoundingClientRect();
      const sameRow = b.top < f.bottom && f.top < b.bottom;
      const row = c.closest('tr');  // a table: the label in the row's first cell, the field in another
      const leftOf = sameRow && b.right <= f.left + 4 && (f.left - b.right < 480 || (row && l.closest('tr') === row));
      const rightOfBox = box && sameRow && b.left >= f.right - 4 && b.left - f.right < 48;
      const above = b.bottom <= f.top + 4 && f.top - b.bottom < 28 && b.left < f.right && f.left < b.right + 24;
      return leftOf || rightOfBox || above;
    });
    if (!near) {
      const l = labels[0].getBoundingClientRect();
      out.push(`${c.name || c.id}: label "${labels[0].textContent.trim().slice(0, 40)}" at `
               + `${Math.round(l.left)},${Math.round(l.top)} field at ${Math.round(f.left)},${Math.round(f.top)}`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1440, 390])
def test_every_label_is_next_to_its_own_field(server: Server, browser: Any, width: int) -> None:  # noqa: F811
    with server.runtime.db.transaction() as session:  # a team: its own form and the new rule's form show
        actor = session.get(User, server.world.admin.id)
        assert actor is not None
        routing_actions.create_team(session, server.runtime.publisher, actor=actor, name="Care", timezone="UTC",
                                    is_default=True, shift_lines="daily 00:00-00:00")
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, server, server.world.admin.email)
    problems: dict[str, list[str]] = {}
    for path in PAGES:
        response = page.goto(f"{server.base}{path}")
        assert response is not None and response.status == 200, path
        found = page.evaluate(MISPLACED)
        if found:
            problems[path] = found
            name = path.strip("/").replace("/", "_")
            page.screenshot(path=str(SHOTS / f"admin-forms-{name}-{width}.png"), full_page=True)
    context.close()
    assert not problems, "\n".join(f"{path} {line}" for path, lines in problems.items() for line in lines)
