"""Who may call what, route by route, generated from the app's own route table (issue 19).

Every route of the app (pages and API) is read from ``app.routes``: its permission is the ``.permission`` of a
dependency (``deps.page_permission``, ``api.common.api_permission``, ``deps.declared``), found by walking
``route.dependant``. Every route declares exactly one, except the few PUBLIC ones below (each with its reason).
Then every route is called as each role — admin, supervisor, agent, analyst — signed in (session and CSRF header for
pages, a token with every scope for the API), and must be refused (403) exactly when
:data:`compris.accounts.permissions.GRANTS` says no, and never answer 5xx. As another workspace's admin, every route
with ids in its path is called with the ids of workspace B's objects: 403/404 (or 422 before any lookup), never B's
data, and B's rows are unchanged afterwards. API tokens' scopes narrow it further: read-only, read-write and expired.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from compris.accounts import actions as accounts
from compris.accounts.permissions import ADMIN_ONLY, GRANTS, Permission, role_allows
from compris.kit.clock import now
from compris.models import ApiToken, Base, Role, User
from compris.runtime import Runtime
from compris.web.pages import settings_hub
from tests.conftest import World
from tests.reliability.test_route_fuzz import _walk, no_network  # noqa: F401 (a fixture)
from tests.web.api.helpers import auth, deliver, token
from tests.web.test_pages import Agent, make_client

pytestmark = pytest.mark.usefixtures("no_network")

#: Routes anyone may call, signed in or not: (method or "*", path pattern or prefix ending in "*") → why.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/"): "redirects to the inbox, or to the sign-in page",
    ("*", "/login"): "the sign-in page and form",
    ("POST", "/logout"): "ends whatever session the browser has (CSRF-checked)",
    ("*", "/webhooks/{account_id}"): "the networks' deliveries, authenticated by each network's signature",
    ("GET", "/live"): "the live stream checks the browser's session itself (an endless answer)",
    ("GET", "/public/wait/{public_id}"): "the published expected wait, public by design (an unguessable id)",
    ("GET", "/media/*"): "media links sent to customers (a signed, expiring token)",
    ("*", "/p/*"): "the customer portal (a per-case unguessable token)",
    ("*", "/s/*"): "the satisfaction survey page (a per-survey unguessable token)",
    ("*", "/sandbox/*"): "the sandbox network's own pages (demo only)",
    ("*", "/invitations/*"): "accepting an invitation (a single-use token)",
    ("*", "/password/*"): "forgotten password: the request form and the reset link (a single-use token)",
    ("*", "/sso/*"): "single sign-on: the identity provider's redirects",
    ("*", "/privacy/*"): "a network's data-deletion callback and its status page (signed)",
}

ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.ANALYST)
#: what a path parameter is filled with when nothing of that kind exists
UNKNOWN = 999999


def is_public(method: str, path: str) -> bool:
    for (m, pattern), _reason in PUBLIC.items():
        if m not in ("*", method):
            continue
        if (pattern.endswith("*") and path.startswith(pattern[:-1])) or path == pattern:
            return True
    return False


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def permissions_of(route: APIRoute) -> set[Permission]:
    """The permissions a route declares: the ``.permission`` of any dependency, however deep."""
    return {d.call.permission for d in _dependants(route.dependant)
            if d.call is not None and isinstance(getattr(d.call, "permission", None), Permission)}


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    permission: Permission | None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[tuple[str, str]]:
        return re.findall(r"{(\w+)(?::(\w+))?}", self.path)

    def url(self, values: dict[str, object]) -> str:
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(values.get(m.group(1), UNKNOWN)), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def all_targets(app: Any) -> list[Target]:
    found = []
    for path, route in _walk(app.routes):
        declared = permissions_of(route)
        for method in sorted(route.methods - {"HEAD"}):
            found.append(Target(method, path, next(iter(declared)) if len(declared) == 1 else None))
    return found


def _client(settings: Any, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


# --- every route declares its permission ---------------------------------------------------------------------


def test_every_route_declares_exactly_one_permission_or_is_public(settings: Any, runtime: Runtime) -> None:
    app = _client(settings, runtime).app
    problems = []
    seen = 0
    for path, route in _walk(app.routes):
        declared = permissions_of(route)
        for method in route.methods - {"HEAD"}:
            seen += 1
            if is_public(method, path):
                if declared:
                    problems.append(f"{method} {path}: public, yet declares {sorted(declared)}")
            elif len(declared) != 1:
                problems.append(f"{method} {path}: declares {sorted(declared) or 'no permission'}")
    assert seen > 250
    assert not problems, "\n".join(problems)


def test_the_public_list_stays_small_and_explained() -> None:
    assert len(PUBLIC) <= 16 and all(reason.strip() for reason in PUBLIC.values())


# --- the worlds ---------------------------------------------------------------------------------------------


@dataclass
class Caller:
    role: Role
    user: User
    browser: Agent
    api: dict[str, str]

    def call(self, target: Target, values: dict[str, object]) -> Any:
        url = target.url(values)
        if target.api:
            body = {} if target.method in ("POST", "PUT", "PATCH") else None
            return self.browser.client.request(target.method, url, json=body, headers=self.api)
        return self.browser.client.request(target.method, url, headers={"x-csrf-token": self.browser.csrf,
                                                                        "accept": "text/html"})


def _user(world: World, role: Role) -> User:
    if role is Role.ADMIN:
        return world.admin
    if role is Role.AGENT:
        return world.agent
    with world.runtime.db.transaction() as session:
        from compris.models import Workspace

        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        return accounts.create_user(session, workspace=workspace, email=f"{role.value}@{workspace.slug}.test",
                                    name=f"{role.value.title()} {workspace.slug}", password="correct horse battery",
                                    role=role.value)


def callers(settings: Any, runtime: Runtime, world: World) -> dict[Role, Caller]:
    found = {}
    for role in ROLES:
        user = _user(world, role)
        browser = Agent(_client(settings, runtime), user.email)
        found[role] = Caller(role, user, browser, auth(token(world, user)))
    return found


def _refused_by_role(response: Any, target: Target) -> bool:
    if response.status_code != 403:
        return False
    if target.api:
        return bool(response.json() == {"error": "your role does not allow this"})
    return True


# --- each role, each route ------------------------------------------------------------------------------------


def test_each_role_is_refused_exactly_where_the_table_says(settings: Any, runtime: Runtime, world: World) -> None:
    people = callers(settings, runtime, world)
    targets = [t for t in all_targets(people[Role.ADMIN].browser.client.app)
               if t.permission is not None and not is_public(t.method, t.path)]
    values = {name: ("x" if conv not in ("int",) and name in ("name", "network", "key") else UNKNOWN)
              for t in targets for name, conv in t.params}
    wrong = []
    for role in ROLES:
        caller = people[role]
        for target in targets:
            assert target.permission is not None
            response = caller.call(target, values)
            assert response.status_code < 500, f"{role} {target}: {response.status_code} {response.text[:300]}"
            allowed = role_allows(role.value, target.permission)
            if _refused_by_role(response, target) == allowed:
                wrong.append(f"{role.value:10} {target} ({target.permission}): {response.status_code} "
                             f"{response.text[:120]!r}")
    assert not wrong, "\n".join(wrong)


LINK = re.compile(r'(?:href|action|hx-get|hx-post)="(/[^"#?]*)')


def _route_of(targets: list[Target], path: str, method: str) -> Target | None:
    for target in targets:
        pattern = re.sub(r"{(\w+)(?::\w+)?}", "[^/]+", re.escape(target.path).replace(r"\{", "{").replace(r"\}", "}"))
        if target.method == method and re.fullmatch(pattern, path):
            return target
    return None


def test_pages_offer_only_what_the_role_may_open(settings: Any, runtime: Runtime, world: World) -> None:
    """Every link and form of every page a role opens leads to a route that role may call (the same table)."""
    people = callers(settings, runtime, world)
    deliver(people[Role.ADMIN].browser.client, world, "My parcel is late", author="marie")
    targets = all_targets(people[Role.ADMIN].browser.client.app)
    with world.runtime.db.transaction() as session:
        from compris.models import Contact

        contact_id = session.scalars(select(Contact.id).where(Contact.workspace_id == world.workspace_id)).first()
    pages = [t.path for t in targets if t.method == "GET" and not t.api and not t.params and t.permission]
    pages += ["/cases/1", f"/contacts/{contact_id}"]
    wrong = []
    for role in ROLES:
        browser = people[role].browser
        for path in pages:
            response = browser.get(path)
            if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            for link in set(LINK.findall(response.text)):
                method = "POST" if f'action="{link}"' in response.text or f'hx-post="{link}"' in response.text \
                    else "GET"
                target = _route_of(targets, link, method) or _route_of(targets, link, "GET")
                if target is None or target.permission is None or is_public(target.method, target.path):
                    continue
                if not role_allows(role.value, target.permission):
                    wrong.append(f"{role.value}: {path} offers {method} {link} ({target.permission})")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_the_analyst_reads_cases_but_is_offered_no_write(settings: Any, runtime: Runtime, world: World) -> None:
    people = callers(settings, runtime, world)
    deliver(people[Role.ADMIN].browser.client, world, "My parcel is late", author="marie")
    analyst, agent = people[Role.ANALYST].browser, people[Role.AGENT].browser
    page = analyst.get("/cases/1")
    assert page.status_code == 200 and "My parcel is late" in page.text
    for write in ('action="/cases/1/reply"', 'action="/cases/1/status"', 'action="/cases/1/assign"',
                  'action="/cases/1/tags"', 'id="escalate-form"', "data-can-work"):
        assert write not in page.text, write
        assert write in agent.get("/cases/1").text or write == 'action="/cases/1/tags"', write
    inbox = analyst.get("/inbox").text
    assert 'id="bulk-form"' not in inbox and "bulk-check" not in inbox
    assert 'id="bulk-form"' in agent.get("/inbox").text
    assert analyst.post("/cases/1/reply", {"text": "Hello"}).status_code == 403
    assert analyst.post("/cases/1/read").status_code == 403
    assert analyst.get("/reports").status_code == 200 and analyst.get("/contacts/1").status_code in (200, 404)


def test_the_navigation_and_the_hub_follow_the_table(settings: Any, runtime: Runtime, world: World) -> None:
    people = callers(settings, runtime, world)
    nav = {}
    for role, caller in people.items():
        page = caller.browser.get("/settings")
        assert page.status_code == 200
        top = page.text[page.text.index('<nav class="nav"'):page.text.index("</nav>")]
        nav[role] = re.findall(r'<a href="([^"]+)"', top)
        hub = page.text[page.text.index('class="page settings-hub"'):]
        for group in settings_hub.HUB:
            for entry in group.entries:
                shown = f'href="{entry.href}"' in hub
                assert shown == role_allows(role.value, entry.permission), (role, entry.href)
        assert 'href="/settings/profile"' in page.text  # the user's name
    assert nav[Role.ADMIN] == nav[Role.SUPERVISOR] == ["/inbox", "/incidents", "/supervisor", "/listening/alerts",
                                                       "/reports", "/settings"]
    assert nav[Role.AGENT] == ["/inbox", "/incidents", "/settings"]
    assert nav[Role.ANALYST] == ["/inbox", "/incidents", "/reports", "/settings"]


def test_each_hub_entry_names_the_permission_of_its_page(settings: Any, runtime: Runtime) -> None:
    app = _client(settings, runtime).app
    pages = {t.path: t.permission for t in all_targets(app) if t.method == "GET"}
    checked = 0
    for group in settings_hub.HUB:
        for entry in group.entries:
            if entry.href in pages:  # pages other parts add (people, audit...) are checked once they exist
                assert pages[entry.href] == entry.permission, entry.href
                checked += 1
    assert checked >= 15


# --- another workspace's objects -----------------------------------------------------------------------------

MARK = "GLOBEXSECRET"


def _b_objects(client: TestClient, b: World) -> dict[str, object]:
    """Workspace B's objects, one of each kind, made through its admin's API; the path parameters they fill."""
    headers = auth(token(b, b.admin))
    deliver(client, b, f"{MARK} my parcel is late", author="marie")
    deliver(client, b, f"{MARK} my flight is late", author="jean")
    ids: dict[str, object] = {"number": 1, "account_id": b.account.id, "channel_account_id": b.account.id,
                              "user_id": b.agent.id}

    def made(key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code in (200, 201), (path, response.text)
        found: dict[str, Any] = response.json()
        if key:
            ids[key] = found["id"]
        return found

    case = client.get("/api/v1/cases/1", headers=headers).json()
    ids["contact_id"] = case["contact"]["id"]
    messages = [i["message"] for i in case["timeline"] if i["kind"] == "message"]
    ids["message_id"] = messages[0]["id"]
    team = made("team_id", "/teams", {"name": f"{MARK} team"})
    made("rule_id", "/routing-rules", {"team_id": team["id"], "name": f"{MARK} rule", "position": 1,
                                       "conditions": {"languages": ["fr"]}})
    hours = made("hours_id", "/sla/business-hours", {"name": f"{MARK} office", "timezone": "Europe/Paris",
                                                     "hours": "mon-fri 09:00-17:00"})
    made("policy_id", "/sla/policies", {"name": f"{MARK} policy", "networks": ["x"], "first_response_seconds": 600,
                                        "business_hours_id": hours["id"]})
    made("template_id", "/templates", {"name": f"{MARK} template", "bodies": {"en": f"{MARK} sorry"}})
    made("tag_id", "/tags", {"name": f"{MARK}tag"})
    partner = made("partner_id", "/partners", {"name": f"{MARK} hotel", "emails": ["desk@hotel.example"],
                                               "language": "fr", "due_minutes": 240})
    escalation = made("", "/cases/1/escalations", {"partner_id": partner["id"], "brief": f"{MARK} brief"})
    ids["escalation_id"] = escalation["id"]
    made("objective_id", "/analytics/objectives", {"metric": "csat", "target": 80})
    made("subscription_id", "/webhook-subscriptions", {"url": "https://hooks.example/x", "event_types": ["*"]})
    with b.runtime.db.transaction() as session:
        ids["token_id"] = session.scalars(select(ApiToken.id).where(ApiToken.workspace_id == b.workspace_id)).first()
    return ids


def _rows_of(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of workspace ``world`` in every table that has a ``workspace_id``."""
    found = {}
    with world.runtime.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if "workspace_id" not in table.c or table.name in ("api_tokens", "user_sessions"):
                continue  # (tokens note when they were last used)
            key = [c for c in table.primary_key.columns]
            rows = session.execute(select(table).where(table.c.workspace_id == world.workspace_id).order_by(*key))
            found[table.name] = [tuple(r) for r in rows]
    return found


def test_another_workspaces_ids_give_403_or_404(settings: Any, runtime: Runtime, world: World,
                                                 world_factory: Any) -> None:
    b = world_factory("globex")
    client = _client(settings, runtime)
    ids = _b_objects(client, b)
    before = _rows_of(b)
    admin = Agent(_client(settings, runtime), world.admin.email)
    caller = Caller(Role.ADMIN, world.admin, admin, auth(token(world, world.admin)))
    checked = 0
    for target in all_targets(client.app):
        if target.permission is None or not target.params or is_public(target.method, target.path):
            continue
        values = {name: ids.get(name, "x" if name in ("name", "network", "key") else UNKNOWN)
                  for name, _ in target.params}
        if not any(name in ids for name in values):
            continue
        response = caller.call(target, values)
        checked += 1
        assert MARK not in response.text, f"{target}: shows workspace B's data"
        allowed = {403, 404, 422} | ({303, 400, 409} if target.method != "GET" and not target.api else set())
        assert response.status_code in allowed, f"{target} {values}: {response.status_code} {response.text[:200]}"
    assert checked > 100
    assert _rows_of(b) == before


# --- token scopes -----------------------------------------------------------------------------------------------


def _api_targets(client: TestClient) -> list[Target]:
    return [t for t in all_targets(client.app) if t.api and t.permission is not None]


def test_a_tokens_scopes_narrow_what_its_user_may_do(settings: Any, runtime: Runtime, world: World) -> None:
    client = _client(settings, runtime)
    with world.runtime.db.transaction() as session:  # the instance's routes too: only the scope may refuse here
        session.execute(update(User).where(User.id == world.admin.id).values(instance_admin=True))
    read_only = auth(token(world, world.admin, scopes="read"))
    read_write = auth(token(world, world.admin, scopes="read write"))
    wrong = []
    for target in _api_targets(client):
        assert target.permission is not None
        values: dict[str, object] = {}
        body = {} if target.method in ("POST", "PUT", "PATCH") else None
        for name, headers, scopes in (("read", read_only, {"read"}), ("write", read_write, {"read", "write"})):
            response = client.request(target.method, target.url(values), json=body, headers=headers)
            assert response.status_code < 500, (target, response.text)
            needed = ("admin" if target.permission in ADMIN_ONLY
                      else "read" if target.method == "GET" else "write")
            refused = response.status_code == 403 and f"'{needed}' scope" in response.text
            if refused == (needed in scopes):
                wrong.append(f"{name} token, {target}: {response.status_code} {response.text[:100]}")
    assert not wrong, "\n".join(wrong)
    # the scope is named in the refusal
    refused = client.get("/api/v1/mail/settings", headers=read_write)
    assert refused.status_code == 403
    assert refused.json() == {"error": "this token's scopes do not allow this: it needs the 'admin' scope"}
    assert client.post("/api/v1/cases/1/notes", json={"text": "x"}, headers=read_only).json() == {
        "error": "this token's scopes do not allow this: it needs the 'write' scope"}
    assert client.get("/api/v1/cases", headers=read_only).status_code == 200


def test_an_expired_token_is_401(settings: Any, runtime: Runtime, world: World) -> None:
    client = _client(settings, runtime)
    raw = token(world, world.agent)
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    with world.runtime.db.transaction() as session:
        for row in session.scalars(select(ApiToken).where(ApiToken.user_id == world.agent.id)):
            row.expires_at = now() - timedelta(seconds=1)
    response = client.get("/api/v1/me", headers=auth(raw))
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_grants_cover_every_permission() -> None:
    assert set(GRANTS) == set(Permission)


def test_supervisors_set_the_desk_up_and_agents_keep_their_presence(settings: Any, runtime: Runtime,
                                                                    world: World) -> None:
    """What the table changed on purpose: supervisors open routing, SLA, tone (they got 403 before); agents still
    set their presence and signal they are typing."""
    people = callers(settings, runtime, world)
    supervisor, agent = people[Role.SUPERVISOR].browser, people[Role.AGENT].browser
    for path in ("/admin/routing", "/admin/sla", "/admin/tone", "/admin/guard", "/admin/templates", "/admin/surveys",
                 "/admin/tags", "/reports/objectives"):
        assert supervisor.get(path).status_code == 200, path
        assert agent.get(path).status_code == 403, path
    for path in ("/admin/channels", "/admin/mail", "/admin/webhooks", "/admin/partners", "/admin/business"):
        assert supervisor.get(path).status_code == 403, path
    assert agent.post("/presence", {"presence": "away"}).status_code in (200, 204, 303)
    assert agent.post("/presence/heartbeat").status_code == 204
    assert people[Role.ANALYST].browser.post("/presence/heartbeat").status_code == 403
