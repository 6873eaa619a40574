"""The case page's escalations panel and escalate form (shortcut p), the partners admin page, in English and
French; customer and partner text escaped."""

from __future__ import annotations

import re

from sqlalchemy import select

from compris.config import Settings
from compris.models import Case, CaseEvent, Escalation, Message, Partner, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.escalation.core_helpers import partner
from tests.web.test_pages import Agent, customer_writes, make_client


def _case(world: World) -> Case:
    with world.runtime.db.transaction() as s:
        case = s.scalar(select(Case).where(Case.workspace_id == world.workspace_id))
        assert case is not None
        s.expunge(case)
        return case


def test_the_case_page_offers_the_escalate_form_with_its_shortcut(settings: Settings, runtime: Runtime,
                                                                  world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Booking 4521 <b>lost</b>, mail jane@example.com", kind="dm")
    pid = partner(world, due_minutes=240)
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1").text
    assert 'id="escalations"' in page and "Not escalated." in page
    assert 'data-shortcut="p"' in page and 'aria-keyshortcuts="p"' in page
    assert f'<option value="{pid}"' in page and "Hôtel des Arts" in page
    assert 'name="personal_data" value="1" >' in page or 'name="personal_data" value="1"  >' in page \
        or re.search(r'name="personal_data" value="1"\s*>', page)  # unticked by default
    assert "<b>lost</b>" not in page
    help_overlay = agent.get("/inbox").text
    assert "<kbd>p</kbd>" in help_overlay and "Escalate the case to a partner or team" in help_overlay


def test_escalating_from_the_form(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Booking lost, mail jane@example.com", kind="dm")
    pid = partner(world)
    case = _case(world)
    with runtime.db.transaction() as s:
        mid = s.scalar(select(Message.id).where(Message.case_id == case.id))
    agent = Agent(client, world.agent.email)
    # a refusal keeps what was typed, with the error, nothing written
    refused = agent.post("/cases/1/escalations", {"partner_id": str(pid), "brief": "Keep <this>",
                                                  "due_at": "2001-01-01T10:00"}, htmx=True)
    assert refused.status_code == 422
    assert "the due time must be in the future" in refused.text and "Keep &lt;this&gt;" in refused.text
    assert refused.text.count('id="escalate-form"') == 1 and "open" in refused.text.split('id="escalate-form"')[1][:40]
    # then it goes through: the panel, the timeline and the actions come back
    done = agent.post("/cases/1/escalations", {"partner_id": str(pid), "brief": "Please check <booking>",
                                               "message_ids": str(mid), "due_at": "2099-01-02T10:30"}, htmx=True)
    assert done.status_code == 200, done.text
    assert 'id="escalations"' in done.text and 'id="timeline"' in done.text and 'id="case-actions"' in done.text
    assert "Hôtel des Arts" in done.text and "Waiting for the partner" in done.text
    assert "Please check &lt;booking&gt;" in done.text and "<booking>" not in done.text
    assert "Personal data masked" in done.text and "Escalated to Hôtel des Arts" in done.text
    with runtime.db.transaction() as s:
        e = s.scalars(select(Escalation)).one()
        assert e.shared == {"message_ids": [mid], "upload_ids": [], "personal_data": False}
        assert e.due_at is not None and e.due_at.isoformat() == "2099-01-02T10:30:00+00:00"  # workspace zone: UTC
        assert s.get(Case, case.id).status == "waiting_partner"  # type: ignore[union-attr]
        eid = e.id
    # close and reopen from the panel
    closed = agent.post(f"/cases/1/escalations/{eid}/close", htmx=True)
    assert closed.status_code == 200 and "Closed" in closed.text
    reopened = agent.post(f"/cases/1/escalations/{eid}/reopen", {"due_at": ""}, htmx=True)
    assert reopened.status_code == 200 and "Waiting for the partner" in reopened.text
    # without JavaScript: a redirect back to the case
    plain = agent.post(f"/cases/1/escalations/{eid}/cancel")
    assert plain.status_code == 303 and plain.headers["location"] == "/cases/1"


def test_another_workspaces_case_or_escalation(settings: Settings, runtime: Runtime, world: World,
                                               world_factory: object) -> None:
    other = world_factory("globex")  # type: ignore[operator]
    client = make_client(settings, runtime)
    customer_writes(client, other, "Bonjour", kind="dm")
    theirs = partner(other)
    agent = Agent(client, world.agent.email)
    assert agent.post("/cases/1/escalations", {"partner_id": str(theirs), "brief": "x"}, htmx=True).status_code == 404


def test_partners_admin_page(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    agent = Agent(client, world.agent.email)
    assert agent.get("/admin/partners").status_code == 403
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/partners")
    assert page.status_code == 200 and 'href="/settings" aria-current="page"' in page.text
    assert 'href="/admin/partners"' in admin.get("/settings").text  # listed in the settings hub
    form = {"name": "Hôtel des Arts", "kind": "partner", "emails": "reservations@hotel-des-arts.example",
            "language": "fr", "business_hours_id": "", "due_minutes": "240", "before_minutes": "60",
            "after_minutes": "0, 240", "repeat_minutes": "1440", "link_days": "14", "notes": "<i>night</i>"}
    bad = admin.post("/admin/partners", {**form, "emails": "not-an-address", "after_minutes": "-5"})
    assert bad.status_code == 422 and "a reminder after the due time cannot be negative" in bad.text
    assert 'value="Hôtel des Arts"' in bad.text  # what was typed stays
    bad = admin.post("/admin/partners", {**form, "emails": "not-an-address"})
    assert bad.status_code == 422 and "is not an e-mail address" in bad.text
    assert admin.post("/admin/partners", form).status_code == 303
    with runtime.db.transaction() as s:
        p = s.scalars(select(Partner)).one()
        assert p.reminders == {"before_minutes": [60], "after_minutes": [0, 240], "repeat_minutes": 1440}
        pid = p.id
    listed = admin.get("/admin/partners").text
    assert "reservations@hotel-des-arts.example" in listed and "<i>night</i>" not in listed
    edit = admin.get(f"/admin/partners?edit={pid}").text
    assert "&lt;i&gt;night&lt;/i&gt;" in edit
    assert admin.post("/admin/partners", {**form, "partner_id": str(pid), "due_minutes": "60"}).status_code == 303
    assert admin.post(f"/admin/partners/{pid}/active", {"active": "0"}).status_code == 303
    with runtime.db.transaction() as s:
        p2 = s.get(Partner, pid)
        assert p2 is not None and p2.due_minutes == 60 and not p2.is_active
        actions = [e.data.get("action") for e in s.scalars(select(CaseEvent).where(
            CaseEvent.kind == "settings_changed").order_by(CaseEvent.id)) if e.data.get("entity") == "partner"]
    assert actions == ["created", "updated", "deactivated"]


def test_french(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None
        user.language = "fr"
    client = make_client(settings, runtime)
    customer_writes(client, world, "Bonjour", kind="dm")
    partner(world)
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1").text
    assert "Escalades" in page and "Escalader" in page and "Partager les données personnelles du client" in page
    refused = agent.post("/cases/1/escalations", {"partner_id": "", "brief": "x"}, htmx=True)
    assert "choisissez un partenaire ou une équipe" in refused.text
