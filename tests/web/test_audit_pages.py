"""The audit log seen from the web: entries of real requests (sign-in, a failed sign-in, a settings change, a
reply, an assignment) with their origin (the browser's address and session, the API token), the page (filters,
before/after escaped, the chain's banner, French, 390 px-friendly markup), the exports and the API; bad filters
answer 422, never 500."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import select, update

from compris.auditlog import actions
from compris.config import Settings
from compris.models import AuditEntry, Case, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, customer_writes, login, make_client


@pytest.fixture(autouse=True)
def _no_kept_result() -> None:
    actions.forget_results()


def audit(runtime: Runtime, workspace_id: int, **where: Any) -> list[AuditEntry]:
    with runtime.db.transaction() as s:
        query = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        rows = list(s.scalars(query))
        s.expunge_all()
        return rows


def first_case(runtime: Runtime, world: World) -> Case:
    with runtime.db.transaction() as s:
        case = s.scalar(select(Case).where(Case.workspace_id == world.workspace_id).order_by(Case.id))
        assert case is not None
        s.expunge(case)
        return case


def test_sign_ins_replies_and_assignments_with_their_origin(settings: Settings, runtime: Runtime,
                                                            world: World) -> None:
    client = make_client(settings, runtime)
    assert login(client, world.agent.email, "wrong password").status_code == 401
    (failed,) = audit(runtime, world.workspace_id, event="LoginFailed")
    assert (failed.actor_user_id, failed.data["user_id"], failed.via, failed.ip) == (None, world.agent.id,
                                                                                    "session", "testclient")
    agent = Agent(client, world.agent.email)
    (signed_in,) = audit(runtime, world.workspace_id, event="UserSignedIn")
    assert (signed_in.actor_user_id, signed_in.via, signed_in.ip) == (world.agent.id, "session", "testclient")
    assert signed_in.ref and signed_in.ref.startswith("session:") and len(signed_in.ref) == len("session:") + 12
    assert signed_in.actor_label == f"Agent acme <{world.agent.email}>" and signed_in.summary == "Signed in"

    customer_writes(client, world, "My parcel is late")
    case = first_case(runtime, world)
    response = agent.post(f"/cases/{case.number}/reply", {"text": "We are on it.", "visibility": "public",
                                                          "send_anyway": "1"})
    assert response.status_code == 303, response.text
    (reply,) = audit(runtime, world.workspace_id, event="ReplyQueued")
    assert (reply.actor_user_id, reply.via, reply.ref, reply.case_id) == (world.agent.id, "session",
                                                                          signed_in.ref, case.id)
    assert reply.request_id and reply.data["case_number"] == case.number
    assert reply.summary == f"Case #{case.number}: reply queued"
    assert "We are on it" not in json.dumps(reply.data)  # never a message's text
    assert reply.contact_id == case.contact_id

    raw = token(world, world.admin)
    response = client.post(f"/api/v1/cases/{case.number}/assign", headers=auth(raw),
                           json={"assignee_id": world.admin.id})
    assert response.status_code == 200, response.text
    assigned = audit(runtime, world.workspace_id, event="CaseAssigned")[-1]
    with runtime.db.transaction() as s:
        from compris.models import ApiToken

        token_id = s.scalar(select(ApiToken.id).where(ApiToken.user_id == world.admin.id))
    assert (assigned.actor_user_id, assigned.via, assigned.ref) == (world.admin.id, "token", f"token:{token_id}")
    assert (assigned.entity, assigned.entity_id, assigned.action) == ("case", case.id, "assigned")

    agent.post("/logout")
    (signed_out,) = audit(runtime, world.workspace_id, event="UserSignedOut")
    assert (signed_out.actor_user_id, signed_out.ref) == (world.agent.id, signed_in.ref)


def _settings_change(settings: Settings, runtime: Runtime, world: World) -> Agent:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    response = admin.post("/admin/routing/teams", {"name": "Care", "timezone": "UTC"})
    assert response.status_code in (200, 303), response.text
    with runtime.db.transaction() as s:
        from compris.models import Team

        team = s.scalar(select(Team).where(Team.workspace_id == world.workspace_id))
        assert team is not None
        team_id = team.id
    response = admin.post("/admin/routing/teams", {"team_id": str(team_id), "name": "Care <script>x</script>",
                                                   "timezone": "Europe/Paris"})
    assert response.status_code in (200, 303), response.text
    return admin


def test_the_page_shows_before_and_after_escaped(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _settings_change(settings, runtime, world)
    updated = audit(runtime, world.workspace_id, event="SettingsChanged", entity="team", action="updated")[-1]
    assert updated.data["before"] == {"name": "Care", "timezone": "UTC"}
    assert updated.via == "session" and updated.ip == "testclient"
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    text = page.text
    assert "Audit log" in text and f"Settings: team #{updated.entity_id} updated" in text
    assert "<script>x</script>" not in text and "Care &lt;script&gt;x&lt;/script&gt;" in text
    assert 'class="audit-diff"' in text and "Europe/Paris" in text
    assert "not been verified" in text
    # the chain: verified on demand, the banner says up to where
    assert admin.post("/admin/audit/verify").status_code == 303
    text = admin.get("/admin/audit").text
    result = actions.last_result(world.workspace_id)
    assert result is not None and result.ok and result.verified_to >= 3
    assert f"Chain verified up to entry {result.verified_to}" in text
    with runtime.db.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.workspace_id == world.workspace_id, AuditEntry.seq == 2)
                  .values(ip="198.51.100.1"))
    admin.post("/admin/audit/verify")
    assert "Chain broken at entry 2" in admin.get("/admin/audit").text


def test_filters_paging_and_bad_filters(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _settings_change(settings, runtime, world)
    text = admin.get("/admin/audit?event=UserSignedIn").text
    assert "Signed in" in text and "Settings: team" not in text
    text = admin.get("/admin/audit?q=team&via=session").text
    assert "Settings: team" in text and "Signed in</span>" not in text
    assert "Settings: team" not in admin.get("/admin/audit?via=token").text
    assert "Settings: team" in admin.get(f"/admin/audit?actor={world.admin.id}&ip=testcl").text
    assert "No entry matches" in admin.get(f"/admin/audit?actor={world.agent.id}").text
    assert "No entry matches" in admin.get("/admin/audit?from=2001-01-01&to=2001-01-02").text
    assert "Settings: team" in admin.get("/admin/audit?from=2001-01-01").text
    for bad, message in (("from=2024-13-45", "2024-13-45 is not a date (YYYY-MM-DD)"),
                         ("from=2025-02-02&to=2025-01-01", "The end date is before the start date"),
                         ("via=carrier-pigeon", "Unknown origin"), ("actor=abc", "must be a whole number")):
        response = admin.get(f"/admin/audit?{bad}")
        assert response.status_code == 422, bad
        assert message in response.text
        assert admin.get(f"/admin/audit/export.csv?{bad}").status_code == 422
    # keyset paging: the next page's link carries the filters
    from compris.auditlog import queries

    original = queries.PAGE_SIZE
    queries.PAGE_SIZE = 2
    try:
        text = admin.get("/admin/audit?via=session").text
        assert "via=session&amp;before=" in text
    finally:
        queries.PAGE_SIZE = original


def test_exports_of_the_filtered_entries(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _settings_change(settings, runtime, world)
    response = admin.get("/admin/audit/export.csv?entity=team")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["action"] for r in rows] == ["updated", "created"]  # newest first
    assert json.loads(rows[0]["data"])["after"]["name"] == "Care <script>x</script>"
    assert rows[0]["actor_label"] == f"Admin acme <{world.admin.email}>"
    from compris.auditlog import queries

    original = queries.EXPORT_BATCH
    queries.EXPORT_BATCH = 1  # every entry in a batch (and a transaction) of its own
    try:
        batched = admin.get("/admin/audit/export.jsonl")
    finally:
        queries.EXPORT_BATCH = original
    ids = [json.loads(line)["id"] for line in batched.text.splitlines()]
    assert len(ids) == len(audit(runtime, world.workspace_id)) >= 4 and ids == sorted(ids, reverse=True)
    response = admin.get("/admin/audit/export.jsonl?event=UserSignedIn")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["event"] for line in lines] == ["UserSignedIn"]
    assert lines[0]["ip"] == "testclient" and lines[0]["at"].endswith("Z")


def test_french_page(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        s.execute(update(User).where(User.id == world.admin.id).values(language="fr"))
    admin = _settings_change(settings, runtime, world)
    text = admin.get("/admin/audit").text
    assert "Journal d’audit" in text and "Connexion" in text
    assert "équipe" in text and "Audit log" not in text
    response = admin.get("/admin/audit?from=demain")
    assert response.status_code == 422 and "n’est pas une date" in response.text


def test_who_may_see_it_and_isolation(settings: Settings, runtime: Runtime, world: World,
                                      world_factory: Any) -> None:
    other = world_factory("globex")
    _settings_change(settings, runtime, world)
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/admin/audit").status_code == 403
    assert agent.get("/admin/audit/export.csv").status_code == 403
    assert make_client(settings, runtime).get("/admin/audit").status_code in (303, 401)
    outsider = Agent(make_client(settings, runtime), other.admin.email)
    text = outsider.get("/admin/audit").text
    assert "Settings: team" not in text and world.admin.email not in text
    response = make_client(settings, runtime).get("/api/v1/audit", headers=auth(token(world, world.agent)))
    assert response.status_code == 403


def admin_token(world: World) -> str:
    """An admin's token with the ``admin`` scope (the audit log is admin-only)."""
    from compris.models import ApiToken

    raw = token(world, world.admin, "audit")
    with world.runtime.db.transaction() as s:
        s.execute(update(ApiToken).where(ApiToken.user_id == world.admin.id).values(scopes="read write admin"))
    return raw


def test_the_api(settings: Settings, runtime: Runtime, world: World) -> None:
    _settings_change(settings, runtime, world)
    client = make_client(settings, runtime)
    narrow = auth(token(world, world.admin, scopes="read write"))  # no admin scope
    assert client.get("/api/v1/audit", headers=narrow).status_code == 403
    headers = auth(admin_token(world))
    response = client.get("/api/v1/audit?entity=team&limit=1", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["action"] for i in body["items"]] == ["updated"] and body["next_before"]
    item = body["items"][0]
    assert item["data"]["before"]["name"] == "Care" and item["via"] == "session" and item["at"][:2] == "20"
    body = client.get(f"/api/v1/audit?entity=team&before={body['next_before']}", headers=headers).json()
    assert [i["action"] for i in body["items"]] == ["created"] and body["next_before"] is None
    for bad in ("from=yesterday", "via=fax", "limit=0", "to=2024-02-30"):
        response = client.get(f"/api/v1/audit?{bad}", headers=headers)
        assert response.status_code == 422, (bad, response.text)
    assert "not a date" in client.get("/api/v1/audit?from=yesterday", headers=headers).text
    chain = client.get("/api/v1/audit/chain", headers=headers).json()
    assert chain["ok"] is True and chain["broken_seq"] is None
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/audit" in schema["paths"] and "AuditEntryOut" in schema["components"]["schemas"]


def test_every_sentence_of_an_entry_is_in_french() -> None:
    from compris.auditlog import describe
    from compris.web import i18n
    from compris.web.pages.audit_log import VIA_LABELS

    t = i18n.translations("fr")
    missing = [m for m in describe.every_msgid() | set(VIA_LABELS.values()) if t.gettext(m) == m and m != "webhook"
               and m != "invitation"]
    assert not missing
