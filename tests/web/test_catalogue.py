"""The French catalogue is complete, and no page shown to a French user leaks English (issue 18, defect 10).

1. Every msgid extracted from the templates and from the Python code (Babel's extractors, the keywords below) has
   a non-empty French translation in ``locale/fr/LC_MESSAGES/messages.po``.
2. The demo workspace is loaded; an admin and an agent, both set to French, walk every page they can reach: every
   GET page route without parameters, then every link found on those pages (one URL per route pattern). For each
   msgid whose French differs from the English and which is at least two words long, the English text must not
   appear in the page's visible text (text nodes, ``placeholder``, ``title``, ``aria-label``, ``alt``), customers'
   own words excepted (the elements marked ``data-customer-text`` or with the classes in :data:`CUSTOMER_TEXT`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select, update

from compris.config import Settings
from compris.demo import ensure_demo
from compris.models import ChannelAccount, Objective, User
from compris.runtime import Runtime
from compris.web import i18n
from compris.web.pages.render import LABELS, REASON_WORDS, TEMPLATES, default_template_names
from tests.reliability.test_route_fuzz import _walk, no_network  # noqa: F401 (a fixture)
from tests.web.test_pages import login, make_client

SRC = Path(i18n.__file__).resolve().parent.parent
PO = Path(i18n.LOCALE_DIR) / "fr" / "LC_MESSAGES" / "messages.po"

#: Python keywords: ``_("…")`` and ``N_("…")`` markers, ``gettext("…")`` / ``i18n.gettext(lang, "…")``,
#: ``ngettext("one", "many", n)`` / ``t.ngettext(...)``, and ``SomeError.of("…", …)`` (a translatable error).
PY_KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "gettext": {1: None, 2: (2,)},
                               "ngettext": {3: (1, 2), 4: (2, 3)}, "of": None}
TEMPLATE_OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                                "newstyle_gettext": "true"}}

#: Elements holding customers' (or other people's) own words, which may be in English whatever the UI's language.
CUSTOMER_TEXT = frozenset({"msg-text", "c-preview", "cluster-text", "sample-text", "suggestion", "s-reply", "raw-body",
                           "post-text", "quote", "customer-text", "alert-keywords", "template-body", "subject",
                           "c-name", "whoami"})
#: English a French page may rightly show: (msgid, path) → why.
ALLOWED: dict[tuple[str, str], str] = {
    ("Thank you!", "/admin/surveys"): "the survey's English wording, shown beside the French one to be edited",
}
#: Routes never walked: streams, downloads, machine answers, other people's pages.
SKIP = re.compile(r"^/(api|live|static|webhooks|sandbox|sandbox-network|media|p|s|sso|privacy|invitations|password|"
                  r"logout|public)(/|$)|/(export|download|csv|events)(\.|/|$)|\.(csv|json|svg|png|js|css)$")


def _catalog() -> Catalog:
    with PO.open("rb") as fh:
        return read_po(fh, locale="fr")


def extracted() -> dict[str | tuple[str, ...], str]:
    """Every msgid of the templates and of the Python code → where it was first seen."""
    found: dict[str | tuple[str, ...], str] = {}
    for file, line, message, _c, _ctx in extract_from_dir(
            str(TEMPLATES), method_map=[("**.html", "jinja2.ext:babel_extract")], options_map=TEMPLATE_OPTIONS):
        found.setdefault(message, f"templates/{file}:{line}")
    for file, line, message, _c, _ctx in extract_from_dir(
            str(SRC), method_map=[("**.py", "python")], keywords=PY_KEYWORDS):
        found.setdefault(message, f"{file}:{line}")
    for group in LABELS.values():
        for value in group.values():
            found.setdefault(value, "web/pages/render.py LABELS")
    for name in default_template_names():
        found.setdefault(name, "replies/rendering.py DEFAULT_TEMPLATES")
    for word in REASON_WORDS:
        found.setdefault(word, "web/pages/render.py REASON_WORDS")
    return found


def test_every_extracted_msgid_has_a_french_translation() -> None:
    catalog = _catalog()
    missing = []
    for msgid, where in sorted(extracted().items(), key=lambda kv: kv[1]):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(f"  {where}: {msgid!r}")
    assert not missing, ("these msgids have no French in locale/fr/LC_MESSAGES/messages.po (add a msgid/msgstr "
                         "pair for each):\n" + "\n".join(missing))


def test_the_extraction_sees_python_and_templates() -> None:
    where = set(extracted().values())
    assert any(w.startswith("templates/") for w in where)
    assert any(w.endswith(".py") or ".py:" in w for w in where)


# --- visible text of a page -------------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees (and hears): text nodes and the labelling attributes, minus scripts, styles and the
    customers' own words."""

    HIDDEN = frozenset({"script", "style", "template", "noscript", "title"})
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: whether its content is skipped

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        skip = (self._skipping() or tag in self.HIDDEN or bool(classes & CUSTOMER_TEXT)
                or "data-customer-text" in values)
        if not skip:
            for name in ("placeholder", "title", "aria-label", "alt"):
                if values.get(name):
                    self.parts.append(str(values[name]))
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.parts.append(str(values["value"]))
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " \n ".join(" ".join(p.split()) for p in parser.parts)


def english_phrases(catalog: Catalog) -> list[tuple[str, re.Pattern[str]]]:
    """The msgids whose French differs, at least two words long, as patterns: a placeholder (``%(name)s``) matches
    any value; a phrase is matched whole (word boundaries)."""
    phrases = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        english = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        french = entry.string[0] if isinstance(entry.string, tuple) else entry.string
        if english == french:
            continue
        fixed = re.sub(r"%\(\w+\)[sdif]|%[sdif]", " ", english)
        if len(re.findall(r"[A-Za-z]{2,}", fixed)) < 2 or "\n" in english:
            continue
        pieces = re.split(r"(%\(\w+\)[sdif]|%[sdif])", " ".join(english.split()).replace("%%", "%"))
        pattern = "".join(r"\S{1,40}" if re.fullmatch(r"%\(\w+\)[sdif]|%[sdif]", p) else re.escape(p)
                          for p in pieces)
        phrases.append((english, re.compile(r"(?<![\w])" + pattern + r"(?![\w])")))
    return phrases


# --- the walk ---------------------------------------------------------------------------------------------------


def _route_patterns(app: Any) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for path, route in _walk(app.routes):
        if "GET" not in route.methods:
            continue
        regex = re.sub(r"\\{(\w+):path\\}", ".+", re.escape(path))
        regex = re.sub(r"\\{(\w+)(?::\w+)?\\}", "[^/]+", regex)
        patterns.append((path, re.compile("^" + regex + "$")))
    # the most specific first: literal segments before parameters
    return sorted(patterns, key=lambda p: (p[0].count("{"), -len(p[0])))


HREF = re.compile(r"""href=["'](/[^"'#]*)["']""")


#: How many URLs of one route pattern are walked: the richest pages several times (cases differ a lot), others once.
PER_PATTERN = {"/cases/{number}": 4, "/contacts/{contact_id}": 2, "/incidents/{number}": 2}


def walk(agent: SignedIn, app: Any) -> Iterator[tuple[str, str]]:
    """(url, html) of every page reachable by ``agent``: one URL per GET route pattern (a few for cases)."""
    patterns = _route_patterns(app)
    seen_patterns: dict[str, int] = {}
    queue = [path for path, _p in patterns if "{" not in path and not SKIP.search(path)]
    queue.insert(0, "/inbox")
    visited: set[str] = set()
    while queue:
        url = queue.pop(0).replace("&amp;", "&")
        path = url.split("?", 1)[0]
        if url in visited or path in visited or SKIP.search(path):
            continue
        pattern = next((p for p, rx in patterns if rx.match(path)), None)
        if pattern is None or seen_patterns.get(pattern, 0) >= PER_PATTERN.get(pattern, 1):
            continue
        visited.update((url, path))
        seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
        response = agent.get(url)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        yield url, response.text
        queue.extend(HREF.findall(response.text))


class SignedIn:
    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str) -> Any:
        return self.client.get(url)


@pytest.fixture
def demo_settings(settings: Settings, db_url: str) -> Settings:
    if not db_url.startswith("sqlite"):
        pytest.skip("the demo is walked once, on SQLite")
    return settings


@pytest.mark.usefixtures("no_network")
def test_no_page_shows_english_to_a_french_user(demo_settings: Settings, runtime: Runtime) -> None:
    # given the demo workspace, its admin and an agent reading French
    admin_email, password = ensure_demo(demo_settings)
    agent_email = "sophie@demo.compris.example"
    with runtime.db.transaction() as s:
        s.execute(update(User).where(User.email.in_([admin_email, agent_email])).values(language="fr"))
    phrases = english_phrases(_catalog())
    with runtime.db.transaction() as s:  # names people gave their accounts and objectives are data, not catalogue
        names = [*s.scalars(select(ChannelAccount.name)), *s.scalars(select(Objective.name))]
        data_names = sorted({" ".join(n.split()) for n in names if n}, key=len, reverse=True)
    leaks: dict[str, set[str]] = {}
    walked = 0
    for email in (admin_email, agent_email):
        client = make_client(demo_settings, runtime)
        assert login(client, email, password).status_code == 303
        agent = SignedIn(client)
        # when they walk every page they can reach
        for url, html in walk(agent, client.app):
            walked += 1
            text = visible_text(html)
            for name in data_names:
                text = text.replace(name, " ")
            path = url.split("?", 1)[0]
            for english, pattern in phrases:
                found = pattern.search(text) if (english, path) not in ALLOWED else None
                if found:
                    context = " ".join(text[max(0, found.start() - 30):found.end() + 30].split())
                    leaks.setdefault(english, set()).add(f"{url} ({email.split('@')[0]}: …{context}…)")
    # then no English of the catalogue shows
    assert walked > 40
    report = "\n".join(f"  {english!r}  on  {'; '.join(sorted(where)[:3])}" for english, where in sorted(leaks.items()))
    assert not leaks, ("English text shown to a French user (wrap the literal in _() or fix the French in "
                       f"messages.po):\n{report}")
