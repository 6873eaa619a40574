"""Supervisors' follow-up of escalations: the page (overdue and due soon, live refresh) and
``GET /api/v1/escalations?state=...``; supervisors and admins only; one workspace; French."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from compris.config import Settings
from compris.models import Case, User
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World
from tests.escalation import followup_helpers as h
from tests.routing.helpers import Clock, frozen, inbound
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, make_client

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def setup(world: World, clock: Clock) -> tuple[int, int, int, int]:
    """Three escalations: overdue (reminded once), due in 2 hours, due in 2 days; one answered."""
    clock.at = T0 - timedelta(hours=3)
    case_a = inbound(world.runtime, world.account.id, author="a")
    case_b = inbound(world.runtime, world.account.id, author="b")
    with world.runtime.db.transaction() as s:
        case = s.get(Case, case_a)
        assert case is not None
        case.assignee_id = world.agent.id
    hotel = h.partner(world, reminders={"after_minutes": [0]})
    carrier = h.partner(world, name="Carrier <Air>")
    late = h.escalate(world, case_a, hotel, T0 - timedelta(hours=2))
    clock.at = T0
    soon = h.escalate(world, case_b, carrier, T0 + timedelta(hours=2))
    later = h.escalate(world, case_b, hotel, T0 + timedelta(days=2))
    answered = h.escalate(world, case_a, carrier, T0 - timedelta(hours=1))
    h.answer(world, answered)
    h.run_pass(world)
    return late, soon, later, answered


def test_the_api_lists_overdue_due_soon_and_open(settings: Settings, runtime: Runtime, world: World,
                                                 world_factory: Callable[[str], World]) -> None:
    client = TestClient(create_app(settings, runtime, workers=0))
    with frozen(T0) as clock:
        late, soon, later, answered = setup(world, clock)
        supervisor = auth(token(world, world.admin))
        overdue = client.get("/api/v1/escalations?state=overdue", headers=supervisor)
        assert overdue.status_code == 200, overdue.text
        (item,) = overdue.json()["items"]
        assert item["id"] == late and item["state"] == "overdue" and item["late_minutes"] == 120
        assert item["partner"] == "Hotel du Lac" and item["reminders_sent"] == 1 and item["overdue_at"]
        assert item["assignee"] == f"Agent {world.workspace.slug}" and item["case_number"] >= 1
        due_soon = client.get("/api/v1/escalations?state=due_soon", headers=supervisor).json()["items"]
        assert [i["id"] for i in due_soon] == [soon] and due_soon[0]["late_minutes"] is None
        everything = client.get("/api/v1/escalations?state=open", headers=supervisor).json()["items"]
        assert [i["id"] for i in everything] == [late, answered, soon, later]
        assert client.get("/api/v1/escalations?state=late", headers=supervisor).status_code == 422
        assert client.get("/api/v1/escalations", headers=auth(token(world, world.agent))).status_code == 403
        other = world_factory("globex")
        assert client.get("/api/v1/escalations?state=open", headers=auth(token(other, other.admin))).json() == {
            "items": []}


def test_the_supervisor_page(settings: Settings, runtime: Runtime, world: World) -> None:
    with frozen(T0) as clock:
        late, soon, later, _answered = setup(world, clock)
        admin = Agent(make_client(settings, runtime), world.admin.email)
        assert 'href="/supervisor/escalations"' in admin.get("/supervisor").text
        page = admin.get("/supervisor/escalations")
        assert page.status_code == 200
        assert f'id="escalation-{late}"' in page.text and f'id="escalation-{soon}"' in page.text
        assert f'id="escalation-{later}"' not in page.text
        assert "Carrier &lt;Air&gt;" in page.text and 'hx-trigger="every 30s"' in page.text
        fragment = admin.get("/supervisor/escalations", headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<div id="escalations-follow-up"')
        agent = Agent(make_client(settings, runtime), world.agent.email)
        assert agent.get("/supervisor/escalations").status_code == 403
        with runtime.db.transaction() as s:
            user = s.get(User, world.admin.id)
            assert user is not None
            user.language = "fr"
        assert "Escalades à suivre" in admin.get("/supervisor/escalations").text
