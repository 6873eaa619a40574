"""Issue 18, defect 2: every field of every settings and admin form has a label bound to it — ``<label for>``, a
wrapping ``<label>``, ``aria-label`` or ``aria-labelledby`` — so no label can belong to another field (a screen
reader, and the browser test ``tests/e2e/test_admin_forms_browser.py`` for the eye)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from compris.config import Settings
from compris.routing import actions as routing_actions
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, make_client

#: every settings and admin page an admin opens from the settings hub (pages with an id are added by the test)
PAGES = (
    "/settings", "/settings/profile", "/settings/sessions", "/settings/tokens",
    "/admin/people", "/admin/channels", "/admin/channels/connect/email", "/admin/channels/connect/whatsapp",
    "/admin/routing", "/admin/sla", "/admin/tone", "/admin/guard", "/admin/templates", "/admin/tags",
    "/admin/surveys", "/admin/business", "/admin/business/new", "/admin/webhooks", "/admin/mail", "/admin/partners",
    "/admin/privacy", "/admin/retention", "/admin/audit", "/admin/deliveries",
    "/listening/settings",
)
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    in_label: bool

    def describe(self) -> str:
        keys = ("name", "id", "type")
        return f"<{self.tag} " + " ".join(f'{k}="{self.attrs[k]}"' for k in keys if k in self.attrs) + ">"


@dataclass
class Forms(HTMLParser):
    controls: list[Control] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    _labels: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "label":
            self._labels += 1
            if values.get("for"):
                self.label_for.add(values["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and values.get("type", "text").lower() in UNLABELLED_TYPES:
                return
            self.controls.append(Control(tag, values, self._labels > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._labels:
            self._labels -= 1

    def unlabelled(self) -> list[str]:
        out = []
        for c in self.controls:
            bound = (
                c.in_label
                or (c.attrs.get("id") and c.attrs["id"] in self.label_for)
                or c.attrs.get("aria-label", "").strip()
                or all(i in self.ids for i in c.attrs.get("aria-labelledby", "").split() or ["-"])
            )
            if not bound:
                out.append(c.describe())
        return out


def unlabelled_fields(html: str) -> list[str]:
    parser = Forms()
    parser.feed(html)
    return parser.unlabelled()


def test_the_parser_finds_an_unlabelled_field() -> None:
    html = ('<form><label for="a">A</label><input id="a" name="a"><input name="b">'
            '<label><input type="checkbox" name="c"> C</label><select name="d" aria-label="D"></select>'
            '<textarea name="e" id="e"></textarea><input type="hidden" name="f"></form>')
    assert unlabelled_fields(html) == ['<input name="b">', '<textarea name="e" id="e">']


@pytest.fixture
def admin(settings: Settings, runtime: Runtime, world: World) -> Agent:
    with runtime.db.transaction() as session:  # a team shows its own form and the new rule's form
        from compris.models import User

        actor = session.get(User, world.admin.id)
        assert actor is not None
        routing_actions.create_team(session, runtime.publisher, actor=actor, name="Care", timezone="UTC",
                                    is_default=True, shift_lines="daily 00:00-00:00")
    return Agent(make_client(settings, runtime), world.admin.email)


def test_every_field_of_every_settings_page_has_its_own_label(admin: Agent) -> None:
    problems: dict[str, list[str]] = {}
    for path in PAGES:
        response = admin.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        missing = unlabelled_fields(response.text)
        if missing:
            problems[path] = missing
    assert not problems, problems
