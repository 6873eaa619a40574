"""The agent UI through its page endpoints (TestClient, as a browser without JavaScript or with HTMX)."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from compris.config import Settings
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World

PASSWORD = "correct horse battery"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def make_client(settings: Settings, runtime: Runtime) -> TestClient:
    return TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = META_CSRF.search(page.text)
    assert match, page.text[:500]
    return html.unescape(match.group(1))


def login(client: TestClient, email: str, password: str = PASSWORD, next_: str = "/inbox") -> Any:
    token = csrf_of(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next_})


class Agent:
    """A signed-in browser session of one user."""

    def __init__(self, client: TestClient, email: str) -> None:
        self.client = client
        response = login(client, email)
        assert response.status_code == 303, response.text
        self.csrf = csrf_of(client, "/inbox")

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False, csrf: bool = True) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        return self.client.post(path, data=form, headers=headers)


def customer_writes(client: TestClient, world: World, text: str, **kw: Any) -> None:
    """A signed delivery through the real webhook endpoint, then the pipeline job."""
    raw, headers = world.body(world.payload(text, **kw))
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    world.run_jobs()


# --- sign in -------------------------------------------------------------------------------------


def test_login_page_and_redirects(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    assert client.get("/").headers["location"] == "/inbox"
    assert client.get("/inbox").headers["location"].startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_login_ok_goes_to_next_local_path_only(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    response = login(client, world.agent.email, next_="/settings/tokens")
    assert response.status_code == 303 and response.headers["location"] == "/settings/tokens"
    assert client.get("/inbox").status_code == 200
    other = make_client(settings, runtime)
    for evil in ("https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"):
        response = login(other, world.agent.email, next_=evil)
        assert response.headers["location"] == "/inbox", evil
        other.cookies.clear()


def test_login_failure_is_generic(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    wrong_password = login(client, world.agent.email, "not the password")
    unknown_user = login(client, "nobody@acme.test", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "Wrong e-mail or password." in wrong_password.text
    assert "Wrong e-mail or password." in unknown_user.text
    assert client.get("/inbox").status_code == 303


def test_login_rate_limited_is_a_friendly_429(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    for _ in range(settings.login_max_failures):
        assert login(client, world.agent.email, "wrong password!").status_code == 401
    response = login(client, world.agent.email)  # even the right password, for now
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_logout(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.post("/logout").headers["location"] == "/login"
    assert agent.get("/inbox").status_code == 303


def test_csrf_missing_or_wrong_is_403(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello?")
    agent = Agent(client, world.agent.email)
    assert agent.post("/cases/1/note", {"text": "forged-note-zq"}, csrf=False).status_code == 403
    forged = {"text": "forged-note-zq", "csrf_token": "forged"}
    assert agent.post("/cases/1/note", forged, csrf=False).status_code == 403
    assert agent.post("/cases/1/status", {"status": "resolved"}, csrf=False, htmx=True).status_code == 403
    assert agent.post("/logout", csrf=False).status_code == 403
    anonymous = make_client(settings, runtime)
    assert anonymous.post("/login", data={"email": world.agent.email, "password": PASSWORD}).status_code == 403
    page = agent.get("/cases/1")
    assert "forged-note-zq" not in page.text.split('id="timeline"')[1].split("</section>")[0]


# --- inbox ---------------------------------------------------------------------------------------


def test_inbox_filters_and_counts(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "My bag is lost", author="alice")
    customer_writes(client, world, "Flight cancelled", author="bob")
    customer_writes(client, world, "Refund please", author="carol")
    agent = Agent(client, world.agent.email)
    agent.post("/cases/2/assign", {"assignee": "me"})
    agent.post("/cases/3/status", {"status": "resolved"})

    page = agent.get("/inbox")
    assert page.status_code == 200
    assert re.search(r'id="count-all">2<', page.text) and re.search(r'id="count-mine">1<', page.text)
    assert re.search(r'id="count-unassigned">1<', page.text)
    assert "Alice" in page.text and "Bob" in page.text and "Carol" not in page.text
    assert "Sandbox network" in page.text and "acme on Sandbox" in page.text

    mine = agent.get("/inbox/rows?view=mine")
    assert "Bob" in mine.text and "Alice" not in mine.text
    assert 'hx-swap-oob="true"' in mine.text  # the counts follow
    unassigned = agent.get("/inbox/rows?view=unassigned")
    assert "Alice" in unassigned.text and "Bob" not in unassigned.text
    resolved = agent.get("/inbox/rows?status=resolved")
    assert "Carol" in resolved.text and "Alice" not in resolved.text
    everything = agent.get("/inbox/rows?status=all&sort=oldest")
    assert everything.text.index("Alice") < everything.text.index("Bob") < everything.text.index("Carol")
    newest = agent.get("/inbox/rows?status=all&sort=newest")
    assert newest.text.index("Carol") < newest.text.index("Alice")
    search = agent.get("/inbox/rows?q=cancelled")
    assert "Bob" in search.text and "Alice" not in search.text
    by_account = agent.get(f"/inbox/rows?account={world.account.id}")
    assert "Alice" in by_account.text
    assert "Alice" not in agent.get(f"/inbox/rows?account={world.account.id + 999}").text
    # junk in the query string falls back to defaults rather than failing
    assert agent.get("/inbox?view=nope&status=nope&sort=nope&account=x&page=y").status_code == 200
    # the row shows status, assignee and age, and the unread mark
    row = mine.text.split('id="case-row-2"')[1].split("</li>")[0]
    assert "Open" in row or "New" in row
    assert world.agent.name in row


def test_opening_a_case_marks_it_read_by_post_never_by_get(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    assert 'case-row unread' in agent.get("/inbox").text
    # GETs have no side effects: neither the page nor its live-refresh fragments mark the case read
    assert agent.get("/cases/1").status_code == 200
    assert agent.get("/cases/1/fragments?parts=timeline,actions").status_code == 200
    assert 'case-row unread' in agent.get("/inbox").text
    # the page's script POSTs /read (CSRF header): without the token it is refused
    assert client.post("/cases/1/read").status_code == 403
    assert client.post("/cases/1/read", headers={"X-CSRF-Token": agent.csrf}).status_code == 204
    assert 'case-row unread' not in agent.get("/inbox").text
    assert client.post("/cases/999/read", headers={"X-CSRF-Token": agent.csrf}).status_code == 404


# --- case view and actions -----------------------------------------------------------------------


def test_case_view_renders_timeline_and_customer(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "First line\nSecond line", author="marie",
                    attachments=[{"kind": "image", "url": "https://cdn.example/x.png", "name": "photo.png"},
                                 {"kind": "file", "url": "javascript:alert(1)", "name": "evil"}])
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1")
    assert page.status_code == 200
    text = page.text
    assert "First line\nSecond line" in text  # line breaks kept by CSS, not by markup
    assert "@marie" in text and "10 followers" in text
    assert 'href="https://cdn.example/x.png"' in text and "photo.png" in text
    assert "javascript:" not in text
    assert 'name="idempotency_key"' in text
    assert "1000" in text  # the sandbox's public length limit for the counter
    assert 'value="public"' in text and 'value="private"' in text
    assert "Previous cases" in text
    assert agent.get("/cases/999").status_code == 404


def test_private_only_customer_is_not_offered_public(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "DM only", kind="dm", author="dora")
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1").text
    assert 'name="visibility" value="private"' in page
    assert 'name="visibility" value="public"' not in page
    assert "a public reply is not offered" in page


def test_reply_note_assign_resolve_reopen_snooze(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Where is my refund?")
    agent = Agent(client, world.agent.email)

    # reply without JS: a redirect back to the case; with HTMX: fragments
    response = agent.post("/cases/1/reply", {"text": "Sorry for the wait, we are on it.", "visibility": "public",
                                             "idempotency_key": "k-1"})
    assert response.status_code == 303 and response.headers["location"] == "/cases/1"
    again = agent.post("/cases/1/reply", {"text": "Sorry for the wait, we are on it.", "visibility": "public",
                                          "idempotency_key": "k-1"}, htmx=True)
    assert again.status_code == 200
    assert 'id="composer"' in again.text and 'id="timeline"' in again.text
    assert again.text.count("Sorry for the wait, we are on it.") == 1  # a double submit is one reply
    assert "Queued" in again.text
    with runtime.db.transaction() as s:
        from sqlalchemy import func, select

        from compris.models import Case, Message

        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound")) == 1

    note = agent.post("/cases/1/note", {"text": "Customer is VIP"}, htmx=True)
    assert note.status_code == 200 and "Customer is VIP" in note.text and "Internal note" in note.text

    unassign = agent.post("/cases/1/assign", {"assignee": "none"}, htmx=True)
    assert unassign.status_code == 200 and "Assignment removed" in unassign.text
    to_admin = agent.post("/cases/1/assign", {"assignee": str(world.admin.id)}, htmx=True)
    assert f"Assigned to {world.admin.name}" in to_admin.text
    to_me = agent.post("/cases/1/assign", {"assignee": "me"}, htmx=True)
    assert f"Assigned to {world.agent.name}" in to_me.text

    resolved = agent.post("/cases/1/status", {"status": "resolved"}, htmx=True)
    assert 'data-status="resolved"' in resolved.text and "Reopen" in resolved.text
    reopened = agent.post("/cases/1/status", {"status": "open"}, htmx=True)
    assert 'data-status="open"' in reopened.text and "Case reopened" in reopened.text
    waiting = agent.post("/cases/1/status", {"status": "waiting_customer"}, htmx=True)
    assert 'data-status="waiting_customer"' in waiting.text

    snoozed = agent.post("/cases/1/status", {"status": "snoozed", "snooze": "1h"}, htmx=True)
    assert 'data-status="snoozed"' in snoozed.text
    tomorrow = agent.post("/cases/1/status", {"status": "snoozed", "snooze": "tomorrow"})
    assert tomorrow.status_code == 303
    with runtime.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        assert case.snoozed_until is not None and case.snoozed_until.hour == 9  # the workspace is on UTC
    custom = agent.post("/cases/1/status", {"status": "snoozed", "snooze": "custom", "until": "2999-01-02T10:30"},
                        htmx=True)
    assert custom.status_code == 200
    past = agent.post("/cases/1/status", {"status": "snoozed", "snooze": "custom", "until": "2001-01-02T10:30"},
                      htmx=True)
    assert past.status_code == 422 and "snooze needs a time in the future" in past.text


def test_domain_errors_are_shown_inline(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hi")
    agent = Agent(client, world.agent.email)
    too_long = agent.post("/cases/1/reply", {"text": "x" * 1001, "visibility": "public"}, htmx=True)
    assert too_long.status_code == 422
    assert too_long.headers["content-type"].startswith("text/html")
    assert "accepts at most 1000 characters" in too_long.text
    assert 'id="reply-error"' in too_long.text and "x" * 1001 in too_long.text  # the draft is kept
    empty = agent.post("/cases/1/note", {"text": "   "}, htmx=True)
    assert empty.status_code == 422 and "the message is empty" in empty.text
    # without JavaScript: the whole page again, with the error
    page = agent.post("/cases/1/reply", {"text": "y" * 1001, "visibility": "public"})
    assert page.status_code == 422 and "<html" in page.text and "accepts at most 1000 characters" in page.text
    with runtime.db.transaction() as s:
        from sqlalchemy import func, select

        from compris.models import Message

        assert s.scalar(select(func.count()).select_from(Message)) == 1


def test_live_fragments_endpoint(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hi there")
    agent = Agent(client, world.agent.email)
    response = agent.get("/cases/1/fragments?parts=timeline,actions,customer", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.startswith('<section id="timeline"')
    assert response.text.count('hx-swap-oob="true"') == 2
    assert 'id="composer"' not in response.text


# --- escaping ------------------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script> and <img src=x onerror=alert(1)>'


def test_customer_text_is_escaped_everywhere(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, HOSTILE, author="mallory",
                    thread_title='<b onmouseover="x">title</b>')
    with runtime.db.transaction() as s:
        from sqlalchemy import select

        from compris.models import Contact

        s.scalars(select(Contact)).one().display_name = "<script>alert('name')</script>"
    agent = Agent(client, world.agent.email)
    for path in ("/inbox", "/inbox/rows", "/cases/1", "/cases/1/fragments?parts=timeline,actions,customer"):
        text = agent.get(path).text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "<b onmouseover" not in text, path
    case_page = agent.get("/cases/1").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in case_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in case_page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in case_page
    inbox = agent.get("/inbox").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox
    # the agent's own words are escaped too
    note = agent.post("/cases/1/note", {"text": "<script>alert(2)</script>"}, htmx=True).text
    assert "<script>alert(2)" not in note and "&lt;script&gt;alert(2)&lt;/script&gt;" in note


# --- workspaces ----------------------------------------------------------------------------------


def test_another_workspace_cannot_see_or_act(settings: Settings, runtime: Runtime, world: World,
                                            world_factory: Any) -> None:
    other = world_factory("globex")
    client = make_client(settings, runtime)
    customer_writes(client, world, "Acme-only secret text", author="acme-customer")
    with runtime.db.transaction() as s:
        from sqlalchemy import select

        from compris.models import Message

        message_id = s.scalars(select(Message)).one().id
    intruder = Agent(make_client(settings, runtime), other.agent.email)
    assert "Acme-only secret text" not in intruder.get("/inbox?status=all").text
    assert "Acme-only secret text" not in intruder.get("/inbox/rows?status=all&q=secret").text
    assert intruder.get("/cases/1").status_code == 404
    assert intruder.get("/cases/1/fragments").status_code == 404
    actions = [
        ("/cases/1/reply", {"text": "pwned", "visibility": "public"}),
        ("/cases/1/note", {"text": "pwned"}),
        ("/cases/1/assign", {"assignee": "me"}),
        ("/cases/1/status", {"status": "resolved"}),
        ("/cases/1/status", {"status": "snoozed", "snooze": "1h"}),
        (f"/cases/1/messages/{message_id}/retry", {}),
    ]
    for path, data in actions:
        for htmx in (False, True):
            response = intruder.post(path, data, htmx=htmx)
            assert response.status_code == 404, (path, htmx, response.status_code)
            assert "Acme-only" not in response.text
    # and assigning to another workspace's agent fails
    owner = Agent(client, world.agent.email)
    response = owner.post("/cases/1/assign", {"assignee": str(other.agent.id)}, htmx=True)
    assert response.status_code == 422 and "no such user" in response.text
    with runtime.db.transaction() as s:
        from compris.models import Case, Message

        case = s.scalars(select(Case)).one()
        assert case.status == "new" and case.assignee_id is None
        assert len(list(s.scalars(select(Message)))) == 1


# --- tokens and admin ----------------------------------------------------------------------------


def test_tokens_create_shown_once_and_revoke(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    created = agent.post("/settings/tokens", {"name": "reporting"})
    assert created.status_code == 201
    token = re.search(r'id="new-token" type="text" readonly value="(cpr_[^"]+)"', created.text)
    assert token
    listing = agent.get("/settings/tokens").text
    assert "reporting" in listing and token.group(1) not in listing
    with runtime.db.transaction() as s:
        from sqlalchemy import select

        from compris.models import ApiToken

        token_id = s.scalars(select(ApiToken)).one().id
    assert agent.post(f"/settings/tokens/{token_id}/revoke").status_code == 303
    assert "revoked" in agent.get("/settings/tokens").text
    intruder = Agent(make_client(settings, runtime), world.admin.email)
    assert intruder.post(f"/settings/tokens/{token_id}/revoke").status_code == 404


def test_admin_pages_are_for_admins(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/admin/channels").status_code == 403
    assert agent.get("/admin/raw-events").status_code == 403
    assert agent.post("/admin/channels/sandbox", {"name": "x", "external_id": "y",
                                                  "api_base": "http://x"}).status_code == 403
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/channels")
    assert page.status_code == 200
    assert f"http://testserver/webhooks/{world.account.id}" in page.text
    assert "whsec" not in page.text and "tok-acme" not in page.text  # secrets never rendered
    created = admin.post("/admin/channels/sandbox", {"name": "Second", "external_id": "brand-2",
                                                     "api_base": "http://testserver/sandbox-network"})
    assert created.status_code == 303
    assert "Second" in admin.get("/admin/channels").text
    bad = admin.post("/admin/channels/sandbox", {"name": "Third", "external_id": "b3", "api_base": "ftp://x"})
    assert bad.status_code == 422


def test_raw_events_page_shows_unprocessable_escaped(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    payload = {"event_id": "evt-bad", "type": "message", "data": {"text": "<script>alert(1)</script>" + "z" * 3000}}
    raw, headers = world.body(payload)
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()
    admin = Agent(client, world.admin.email)
    page = admin.get("/admin/deliveries").text
    assert "evt-bad" in page and "bad message" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "truncated" in page


# --- languages -----------------------------------------------------------------------------------


def test_french_ui_for_a_french_user(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        from compris.models import User

        user = s.get(User, world.agent.id)
        assert user is not None
        user.language = "fr"
    client = make_client(settings, runtime)
    customer_writes(client, world, "Bonjour, ma valise est perdue")
    agent = Agent(client, world.agent.email)
    inbox = agent.get("/inbox").text
    assert '<html lang="fr">' in inbox
    assert "Boîte de réception" in inbox and "Non assignés" in inbox
    case = agent.get("/cases/1").text
    assert "Résoudre" in case and "Note interne" in case and "Envoyer la réponse" in case
    error = agent.post("/cases/1/note", {"text": " "}, htmx=True).text
    assert "le message est vide" in error


def test_login_page_follows_accept_language(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    french = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}).text
    assert '<html lang="fr">' in french and "Se connecter" in french
    english = client.get("/login", headers={"Accept-Language": "de-DE,en;q=0.5,fr;q=0.4"}).text
    assert '<html lang="en">' in english and "Sign in" in english
