"""Survey results over the web: the API (`GET /api/v1/surveys/results`, `GET /api/v1/surveys`, supervisors only)
and the supervisors' page (/supervisor/surveys), with the customer's comment escaped."""

from __future__ import annotations

from typing import Any

from compris.config import Settings
from compris.models import User
from compris.runtime import Runtime
from tests.conftest import World
from tests.surveys.test_results import crafted
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, make_client

RANGE = {"from": "2026-10-01", "to": "2026-11-30"}


def test_results_api(world: World, settings: Settings, runtime: Runtime) -> None:
    data = crafted(world)
    client = make_client(settings, runtime)
    admin = auth(token(world, world.admin))
    response = client.get("/api/v1/surveys/results", params={**RANGE, "group_by": "team"}, headers=admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["from"], body["to"], body["timezone"], body["group_by"]) == ("2026-10-01", "2026-11-30",
                                                                            "Europe/Paris", "team")
    assert body["total"] == {"sent": 5, "answered": 4, "satisfied": 2, "response_rate": 80.0, "csat": 50.0,
                             "average_rating": 3.25, "average_score": 56.2}
    rows = {r["key"]: r for r in body["rows"]}
    assert rows[data.team1]["label"] == "Care" and rows[data.team1]["csat"] == 50.0
    assert rows[data.team2]["response_rate"] == 50.0 and rows[None]["average_rating"] == 1.0

    months = client.get("/api/v1/surveys/results", params={**RANGE, "group_by": "period", "period": "month"},
                        headers=admin).json()
    assert [(r["key"], r["sent"], r["csat"]) for r in months["rows"]] == [("2026-10-01", 1, 100.0),
                                                                         ("2026-11-01", 4, 33.3)]
    empty = client.get("/api/v1/surveys/results", params={"from": "2026-01-01", "to": "2026-01-31"},
                       headers=admin).json()
    assert empty["total"]["csat"] is None and empty["total"]["response_rate"] is None and empty["rows"] == []

    for bad in ({"group_by": "weather"}, {"period": "year"}, {"from": "2026-13-01"},
                {"from": "2026-11-02", "to": "2026-11-01"},
                {"group_by": "period", "period": "day", "from": "2024-01-01", "to": "2026-01-01"}):
        assert client.get("/api/v1/surveys/results", params=bad, headers=admin).status_code == 422, bad
    agent = auth(token(world, world.agent))
    assert client.get("/api/v1/surveys/results", headers=agent).status_code == 403
    assert client.get("/api/v1/surveys", headers=agent).status_code == 403
    assert client.get("/api/v1/surveys/results").status_code == 401


def test_list_api(world: World, settings: Settings, runtime: Runtime) -> None:
    data = crafted(world)
    client = make_client(settings, runtime)
    admin = auth(token(world, world.admin))
    body = client.get("/api/v1/surveys", params={"commented": "true"}, headers=admin).json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["rating"], item["satisfied"], item["comment"], item["case_number"]) == (
        1, False, "Nobody <i>listened</i>", 1)  # plain JSON text, the client escapes it
    agent_rows = client.get("/api/v1/surveys", params={"agent_id": data.agent, "state": "sent"},
                            headers=admin).json()
    assert agent_rows["total"] == 1 and agent_rows["items"][0]["rating"] is None
    assert client.get("/api/v1/surveys", params={"rating": 9}, headers=admin).status_code == 422
    assert client.get("/api/v1/surveys", params={"limit": 2}, headers=admin).json()["total"] == 8


def test_other_workspaces_see_nothing(world: World, settings: Settings, runtime: Runtime,
                                      world_factory: Any) -> None:
    crafted(world)
    other = world_factory("globex")
    client = make_client(settings, runtime)
    theirs = auth(token(other, other.admin))
    assert client.get("/api/v1/surveys", headers=theirs).json() == {"total": 0, "items": []}
    assert client.get("/api/v1/surveys/results", params=RANGE, headers=theirs).json()["total"]["sent"] == 0


def test_supervisor_page(world: World, settings: Settings, runtime: Runtime) -> None:
    crafted(world)
    client = make_client(settings, runtime)
    admin = Agent(client, world.admin.email)
    assert 'href="/supervisor/surveys"' in admin.client.get("/supervisor").text
    page = admin.client.get("/supervisor/surveys", params={**RANGE, "group_by": "agent"})
    assert page.status_code == 200
    html = page.text
    assert "Admin acme" in html and "Agent acme" in html and "50%" in html and "80%" in html and "33.3%" not in html
    assert "<svg class=\"csat-bar\"" in html and "style=" not in html.split('id="survey-rows"')[1]
    assert "Nobody &lt;i&gt;listened&lt;/i&gt;" in html and "<i>listened" not in html
    by_month = admin.client.get("/supervisor/surveys", params={**RANGE, "group_by": "period", "period": "month"})
    assert "2026-10-01" in by_month.text and "2026-11-01" in by_month.text
    empty = admin.client.get("/supervisor/surveys", params={"from": "2026-01-01", "to": "2026-01-31"}).text
    assert "No survey was sent in this range." in empty and "—" in empty
    assert admin.client.get("/supervisor/surveys", params={"from": "yesterday"}).status_code == 422

    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.client.get("/supervisor/surveys").status_code == 403


def test_supervisor_page_in_french(world: World, settings: Settings, runtime: Runtime) -> None:
    crafted(world)
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        admin.language = "fr"
    html = Agent(make_client(settings, runtime), world.admin.email).client.get(
        "/supervisor/surveys", params={**RANGE, "group_by": "period", "period": "month"}).text
    assert "Résultats des enquêtes" in html and "Taux de réponse" in html
    assert "33,3\u202f%" in html and "2,67" in html
