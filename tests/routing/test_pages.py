"""Routing and SLA pages: admin forms, presence, collision signals, supervisor views, the public wait."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from compris.config import Settings
from compris.models import (
    AgentProfile,
    BusinessHours,
    Case,
    RoutingRule,
    SlaPolicy,
    SlaSettings,
    Team,
    TeamMember,
    User,
    WaitPublication,
)
from compris.runtime import Runtime
from compris.sla import clocks as sla
from compris.sla import wait
from tests.conftest import World
from tests.routing.helpers import agent, frozen, inbound, team
from tests.web.test_pages import Agent, make_client


def _admin(settings: Settings, runtime: Runtime, world: World) -> Agent:
    return Agent(make_client(settings, runtime), world.admin.email)


def test_admin_builds_teams_members_agents_and_rules(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _admin(settings, runtime, world)
    r = admin.post("/admin/routing/teams", {"name": "Care", "timezone": "Europe/Paris", "is_default": "1",
                                             "shift_lines": "mon-fri 09:00-17:00\nholiday 2026-12-25"})
    assert r.status_code == 303, r.text
    with runtime.db.transaction() as s:
        care = s.scalars(select(Team)).one()
        assert care.is_default and care.shifts["weekly"]["0"] == ["09:00-17:00"]
        care_id = care.id
    assert admin.post("/admin/routing/members", {"team_id": care_id, "user_id": world.agent.id}).status_code == 303
    assert admin.post(f"/admin/routing/agents/{world.agent.id}",
                      {"capacity": "7", "languages": "FR, en", "networks": "x"}).status_code == 303
    r = admin.post("/admin/routing/rules", {"team_id": care_id, "name": "French", "position": "1",
                                            "languages": "fr", "min_priority": "40", "keywords": "vol, valise"})
    assert r.status_code == 303, r.text
    with runtime.db.transaction() as s:
        assert s.scalars(select(TeamMember)).one().user_id == world.agent.id
        profile = s.scalars(select(AgentProfile)).one()
        assert profile.capacity == 7 and profile.skills == {"languages": ["en", "fr"], "networks": ["x"]}
        rule = s.scalars(select(RoutingRule)).one()
        assert rule.conditions == {"languages": ["fr"], "keywords": ["valise", "vol"], "min_priority": 40}
    page = admin.get("/admin/routing")
    assert page.status_code == 200 and "Care" in page.text and "valise" in page.text
    # bad input is shown, not stored
    r = admin.post("/admin/routing/teams", {"name": "X", "timezone": "Mars/Olympus", "shift_lines": ""})
    assert r.status_code == 422 and "Mars/Olympus" in r.text
    r = admin.post("/admin/routing/teams", {"name": "Y", "timezone": "UTC", "shift_lines": "funday 9-5"})
    assert r.status_code == 422


def test_agents_cannot_open_admin_or_supervisor_pages(settings: Settings, runtime: Runtime, world: World) -> None:
    agent_ = Agent(make_client(settings, runtime), world.agent.email)
    for path in ("/admin/routing", "/admin/sla", "/supervisor", "/supervisor/coverage", "/supervisor/staffing"):
        assert agent_.get(path).status_code == 403, path
    assert agent_.post("/admin/sla/settings", {"webhook_url": "https://x.test"}).status_code == 403


def test_admin_sets_policies_hours_alerts_and_publishes_the_wait(settings: Settings, runtime: Runtime,
                                                                 world: World) -> None:
    admin = _admin(settings, runtime, world)
    assert admin.post("/admin/sla/hours", {"name": "Office", "timezone": "Europe/Paris",
                                           "lines": "mon-fri 09:00-17:00"}).status_code == 303
    with runtime.db.transaction() as s:
        hours_id = s.scalars(select(BusinessHours)).one().id
    r = admin.post("/admin/sla/policies", {"name": "Complaints on X", "networks": "x", "intents": "complaint",
                                           "first_response": "10", "resolution": "1440", "business_hours_id": ""})
    assert r.status_code == 303, r.text
    r = admin.post("/admin/sla/policies", {"name": "Office", "first_response": "60",
                                           "business_hours_id": str(hours_id)})
    assert r.status_code == 303
    with runtime.db.transaction() as s:
        first, office = s.scalars(select(SlaPolicy).order_by(SlaPolicy.id)).all()
        assert (first.networks, first.intents, first.first_response_s, first.warn_before_s) == (
            ["x"], ["complaint"], 600, 120)
        assert office.business_hours_id == hours_id
    assert admin.post("/admin/sla/settings", {"webhook_url": "ftp://nope"}).status_code == 422
    assert admin.post("/admin/sla/settings", {"webhook_url": "https://hooks.test/a"}).status_code == 303
    assert admin.post(f"/admin/sla/publications/{world.account.id}", {"auto_ack": "1"}).status_code == 303
    with runtime.db.transaction() as s:
        assert s.scalars(select(SlaSettings)).one().webhook_url == "https://hooks.test/a"
        pub = s.scalars(select(WaitPublication)).one()
        assert pub.auto_ack and pub.public_id.startswith("w_") and len(pub.public_id) > 20
    page = admin.get("/admin/sla")
    assert page.status_code == 200 and f"/public/wait/{pub.public_id}.svg" in page.text
    assert "Complaints on X" in page.text


def test_admin_deletes_business_hours_no_policy_uses(settings: Settings, runtime: Runtime, world: World) -> None:
    # given business hours a policy counts its time in
    admin = _admin(settings, runtime, world)
    assert admin.post("/admin/sla/hours", {"name": "Office", "timezone": "UTC", "lines": ""}).status_code == 303
    with runtime.db.transaction() as s:
        hours_id = s.scalars(select(BusinessHours)).one().id
    assert admin.post("/admin/sla/policies", {"name": "Office policy", "first_response": "60",
                                              "business_hours_id": str(hours_id)}).status_code == 303
    page = admin.get("/admin/sla")
    assert f'action="/admin/sla/hours/{hours_id}/delete"' in page.text and "Delete the business hours" in page.text
    # when the admin deletes them: refused, with the policy named
    refused = admin.post(f"/admin/sla/hours/{hours_id}/delete")
    assert refused.status_code == 422 and "used by the SLA policies: Office policy" in refused.text
    # then, once the policy is gone, they can be deleted (a second click is no error)
    with runtime.db.transaction() as s:
        policy_id = s.scalars(select(SlaPolicy)).one().id
    assert admin.post(f"/admin/sla/policies/{policy_id}/delete").status_code == 303
    assert admin.post(f"/admin/sla/hours/{hours_id}/delete").status_code == 303
    assert admin.post(f"/admin/sla/hours/{hours_id}/delete").status_code == 303
    with runtime.db.transaction() as s:
        assert s.scalars(select(BusinessHours)).all() == []


def test_public_wait_json_and_svg(settings: Settings, runtime: Runtime, world: World) -> None:
    wait.clear_cache()
    now = datetime.now(UTC)
    with runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "Alice", capacity=0, teams=(care,))  # online, but full: cases queue
        account = s.get(type(world.account), world.account.id)
        assert account is not None
        pub = wait.set_publication(s, account)
        public_id = pub.public_id
    # history: enough cases (wait.MIN_HISTORY) answered in 10 and 20 minutes by Alice
    for i, minutes in enumerate((10, 20) * (wait.MIN_HISTORY // 2)):
        cid = inbound(runtime, world.account.id, f"old {i}", author=f"old-{i}")
        with runtime.db.transaction() as s:
            c = s.get(wait.Case, cid)
            assert c is not None
            c.first_inbound_at = now - timedelta(hours=2, minutes=minutes)
            c.first_response_at = now - timedelta(hours=2)
            c.status = "resolved"
    inbound(runtime, world.account.id, "waiting", author="w1")
    client = make_client(settings, runtime)
    r = client.get(f"/public/wait/{public_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    assert data["queue_ahead"] == 1 and data["online_agents"] == 1
    assert data["expected_wait_minutes"] is not None and data["expected_wait_seconds"] > 0
    assert "response time is about" in data["text"]
    assert r.headers["cache-control"].startswith("public")
    svg = client.get(f"/public/wait/{public_id}.svg?lang=fr")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "Temps de réponse" in svg.text and "<script" not in svg.text
    # no auth needed, but nothing found for a guessed or internal id
    assert client.get(f"/public/wait/{world.account.id}").status_code == 404
    assert client.get("/public/wait/w_guess").status_code == 404


def test_presence_toggle_heartbeat_and_collision(settings: Settings, runtime: Runtime, world: World) -> None:
    events: list[dict[str, Any]] = []
    runtime.hub.add_listener(events.append)
    cid = inbound(runtime, world.account.id, "hello", author="c")
    with runtime.db.transaction() as s:
        number = s.get(wait.Case, cid).number  # type: ignore[union-attr]
    a = Agent(make_client(settings, runtime), world.agent.email)
    assert 'id="presence"' in a.get("/inbox").text
    fragment = a.get("/presence")
    assert fragment.status_code == 200 and 'value="online" selected' in fragment.text
    assert a.post("/presence", {"presence": "away"}, htmx=True).status_code == 204
    assert a.post("/presence/heartbeat").status_code == 204
    with runtime.db.transaction() as s:
        profile = s.scalars(select(AgentProfile).where(AgentProfile.user_id == world.agent.id)).one()
        assert profile.presence == "away" and profile.last_seen_at is not None
    assert a.post(f"/cases/{number}/signal", {"action": "typing"}).status_code == 204
    assert a.post(f"/cases/{number}/signal", {"action": "dance"}).status_code == 422
    assert a.post("/cases/999/signal", {"action": "viewing"}).status_code == 404
    assert a.post(f"/cases/{number}/signal", {"action": "viewing"}, csrf=False).status_code == 403
    if runtime.db.dialect == "sqlite":
        collision = [e for e in events if e["kind"] == "collision"]
        assert collision == [{"workspace_id": world.workspace_id, "kind": "collision", "case_id": cid,
                              "number": number, "user_id": world.agent.id, "name": world.agent.name,
                              "action": "typing"}]
    page = a.get(f"/cases/{number}")
    assert 'id="collision"' in page.text and "{name} is viewing this case" in page.text


def test_supervisor_views_and_coverage_warning(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True, tz="Europe/Paris",
                    shifts={"weekly": {str(d): ["09:00-17:00"] for d in range(5)}})
        agent(s, world.workspace_id, "Sam", role="supervisor", teams=(care,))
        s.add(SlaPolicy(workspace_id=world.workspace_id, name="All", first_response_s=60, warn_before_s=30))
    cid = inbound(runtime, world.account.id, "late", author="late")
    with runtime.db.transaction() as s:
        c = s.get(wait.Case, cid)
        assert c is not None
        c.sla_status = "breached"
    admin = _admin(settings, runtime, world)
    page = admin.get("/supervisor")
    assert page.status_code == 200 and f'id="risk-{1}"' in page.text
    cov = admin.get("/supervisor/coverage")
    assert cov.status_code == 200
    hours = re.search(r"Nobody covers this 24/7 channel for ([\d.]+) hours this week", cov.text)
    assert hours and float(hours.group(1)) in (127.0, 128.0, 129.0)  # 168 - 5 × 8 (± a DST change)
    staff = admin.get("/supervisor/staffing")
    assert staff.status_code == 200 and "Erlang C" in staff.text
    # in French too
    with runtime.db.transaction() as s:
        s.execute(wait.Case.__table__.update().values(subject="x"))
        from compris.models import User

        u = s.get(User, world.admin.id)
        assert u is not None
        u.language = "fr"
    assert "Personne ne couvre ce canal" in admin.get("/supervisor/coverage").text


def test_transfer_to_another_team_from_the_case_page(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        content = team(s, world.workspace_id, "Content")
        care_id, content_id = care.id, content.id
    case_id = inbound(runtime, world.account.id, "Your ad is wrong")
    with runtime.db.transaction() as s:
        c = s.get(Case, case_id)
        assert c is not None and c.team_id == care_id
        number = c.number
    agent_session = Agent(make_client(settings, runtime), world.agent.email)
    page = agent_session.get(f"/cases/{number}")
    assert page.status_code == 200 and f'action="/cases/{number}/transfer"' in page.text
    assert 'name="team"' in page.text and "Content" in page.text
    # without the CSRF token: refused
    assert agent_session.post(f"/cases/{number}/transfer", {"team": content_id}, csrf=False).status_code == 403
    r = agent_session.post(f"/cases/{number}/transfer", {"team": content_id}, htmx=True)
    assert r.status_code == 200, r.text
    assert 'id="case-actions"' in r.text and 'id="case-team">Content' in r.text
    assert 'hx-swap-oob="true"' in r.text and "Transferred to Content" in r.text  # the timeline, out of band
    with runtime.db.transaction() as s:
        c = s.get(Case, case_id)
        assert c is not None and c.team_id == content_id
    # an unknown team is an error shown in the fragment, not a change
    r = agent_session.post(f"/cases/{number}/transfer", {"team": "999999"}, htmx=True)
    assert r.status_code == 422 and "no such team" in r.text
    # a supervisor too, and without JavaScript: back to the case
    with runtime.db.transaction() as s:
        sup = agent(s, world.workspace_id, "Sue", role="supervisor")
        known = s.get(User, world.agent.id)
        assert known is not None
        sup.password_hash = known.password_hash  # the test password
        sup_email = sup.email
    supervisor = Agent(make_client(settings, runtime), sup_email)
    r = supervisor.post(f"/cases/{number}/transfer", {"team": care_id})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{number}"
    page = supervisor.get(f"/cases/{number}")
    assert "Transferred to Content" in page.text and "Transferred to Care" in page.text


def test_the_case_fragments_carry_the_sla_line_for_the_live_refresh(settings: Settings, runtime: Runtime,
                                                                     world: World) -> None:
    with runtime.db.transaction() as s:
        s.add(SlaPolicy(workspace_id=world.workspace_id, name="Default", first_response_s=600, warn_before_s=120))
    t0 = datetime.now(UTC)
    with frozen(t0) as clock:
        case_id = inbound(runtime, world.account.id, "Where is my refund?")
        with runtime.db.transaction() as s:
            c = s.get(Case, case_id)
            assert c is not None and c.sla_status == "ok"
            number = c.number
        browser = Agent(make_client(settings, runtime), world.agent.email)
        page = browser.get(f"/cases/{number}")
        assert 'id="case-sla-line"' in page.text and 'data-sla="ok"' in page.text
        clock.advance(minutes=9)
        with runtime.db.transaction() as s:
            assert sla.run_pass(s, runtime.publisher).checked == 1
        # what app.js fetches on the live ``case`` event: the SLA line comes out of band with the new status
        r = browser.get(f"/cases/{number}/fragments?parts=timeline,actions,customer,sla",
                        headers={"HX-Request": "true"})
        assert r.status_code == 200
        line = r.text[r.text.index('id="case-sla-line"') - 30:]
        assert 'hx-swap-oob="true"' in line[:200] and 'data-sla="at_risk"' in line and "SLA at risk" in line
        only = browser.get(f"/cases/{number}/fragments?parts=sla", headers={"HX-Request": "true"})
        assert only.text.lstrip().startswith('<p class="sla-line" id="case-sla-line"')


def test_a_refused_page_is_the_not_allowed_page_in_the_users_language(settings: Settings, runtime: Runtime,
                                                                      world: World) -> None:
    agent_ = Agent(make_client(settings, runtime), world.agent.email)
    for path in ("/admin/routing", "/admin/templates", "/supervisor"):
        page = agent_.get(path)
        assert page.status_code == 403
        assert "Your role does not allow this page." in page.text
        assert f'data-user-id="{world.agent.id}"' in page.text  # the menu is still there
    with runtime.db.transaction() as s:
        u = s.get(User, world.agent.id)
        assert u is not None
        u.language = "fr"
    assert "Votre rôle ne permet pas" in agent_.get("/admin/sla").text
    api = agent_.get("/api/v1/teams", headers={"Authorization": "Bearer nope"})
    assert api.status_code == 401  # the API answers in JSON, never with the page


def test_page_writes_are_audited(settings: Settings, runtime: Runtime, world: World) -> None:
    from compris.models import CaseEvent

    admin = _admin(settings, runtime, world)
    assert admin.post("/admin/routing/teams", {"name": "Care", "timezone": "UTC"}).status_code == 303
    assert admin.post("/admin/sla/settings", {"webhook_url": "https://hooks.test/a"}).status_code == 303
    assert admin.post("/admin/routing/rules/999999/delete").status_code == 303  # already gone: no error
    with runtime.db.transaction() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed",
                                                 CaseEvent.actor_user_id == world.admin.id)).all()
        assert [(r.data["entity"], r.data["action"]) for r in rows] == [("team", "created"),
                                                                         ("sla_settings", "updated")]
