"""The Reports pages (/reports, /reports/cases, /reports/objectives) and their CSV exports: figures from real
messages, filters kept in the URL, drill-down to the cases, bad filters answered 422 on the page, roles, escaping,
CSV injection, workspace isolation, French."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

import pytest

from compris.accounts import actions as accounts
from compris.analytics import objectives, queries
from compris.config import Settings
from compris.models import Objective, User
from compris.routing import actions as routing
from compris.runtime import Runtime
from tests.conftest import World
from tests.web import analytics_stub as stub
from tests.web.api.conftest import network  # noqa: F401 (the fake network fixture)
from tests.web.api.helpers import FakeNetwork
from tests.web.api.test_analytics_api import three_cases
from tests.web.test_pages import Agent, make_client


def supervisor(world: World, language: str = "en") -> User:
    with world.runtime.db.transaction() as session:
        from compris.models import Workspace

        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        user = accounts.create_user(session, workspace=workspace, email=f"sup-{language}@{world.workspace.slug}.test",
                                    name="Sue Pervisor", password="correct horse battery", role="supervisor")
        user.language = language
        return user


def tile(page: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}">.*?<span class="kpi-value">(.*?)</span>', page, re.S)
    assert match, f"no tile {key}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def rows(response: object) -> list[list[str]]:
    text = response.text  # type: ignore[attr-defined]
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_dashboard_filters_drill_down_and_csv(settings: Settings, runtime: Runtime, world: World,
                                              network: FakeNetwork) -> None:  # noqa: F811
    client = make_client(settings, runtime)
    three_cases(client, world)
    sup = supervisor(world)
    browser = Agent(client, sup.email)
    page = browser.get("/reports?period=7d")
    assert page.status_code == 200, page.text[-2000:]
    assert tile(page.text, "messages") == "3" and tile(page.text, "new_cases") == "3"
    assert tile(page.text, "response_rate") == "33.3%"
    assert 'href="/reports"' in page.text and 'aria-current="page">Reports</a>' in page.text
    assert page.text.count('role="img"') >= 8  # the charts, each an accessible image with its table
    assert "<details class=\"chart-table\">" in page.text

    # a filter: the figures change, the form keeps it, links and exports carry it
    other = browser.get("/reports?period=7d&network=mastodon&clock=business")
    assert tile(other.text, "messages") == "0"
    assert '<option value="business" selected>' in other.text
    assert "/reports/export/agents.csv?period=7d&amp;network=mastodon&amp;clock=business" in other.text

    # drill-down: the unanswered cases, linking to each case
    link = re.search(r'data-kpi="response_rate">.*?href="(/reports/cases\?[^"]+)"', page.text, re.S)
    assert link and "measure=unanswered" in link.group(1)
    cases = browser.get(html.unescape(link.group(1)))
    assert cases.status_code == 200
    assert 'href="/cases/2"' in cases.text and 'href="/cases/3"' in cases.text and 'href="/cases/1"' not in cases.text
    assert "2 cases from" in cases.text

    exported = browser.get("/reports/cases.csv?period=7d&measure=unanswered")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="compris-cases-unanswered-' in exported.headers["content-disposition"]
    table = rows(exported)
    assert table[0][:4] == ["number", "subject", "contact", "status"]
    assert sorted(r[0] for r in table[1:]) == ["2", "3"]
    assert any("refund" in r[1] for r in table[1:])

    by_network = rows(browser.get("/reports/export/by_network.csv?period=7d"))
    assert by_network == [["key", "label", "count", "previous_count"], ["sandbox", "sandbox", "3", "0"]]
    agents = rows(browser.get("/reports/export/agents.csv?period=7d"))
    assert agents[0][:3] == ["id", "name", "replies"]
    assert [r[1:3] for r in agents[1:]] == [["Admin acme", "1"]]
    assert browser.get("/reports/export/weather.csv").status_code == 404


@pytest.mark.parametrize(("query", "message"), [
    ("period=fortnight", "unknown period fortnight"),
    ("period=custom&from=2026-13-01", "from is not a date (YYYY-MM-DD)"),
    ("from=2026-11-02&to=2026-11-01", "the period ends before it starts"),
    ("from=2024-01-01&to=2026-01-01", "a period covers at most 400 days"),
    ("from=9999-12-30&to=9999-12-31", "dates are between 2000-01-01 and 2999-12-31"),
    ("from=0001-01-01&to=0001-01-02", "dates are between 2000-01-01 and 2999-12-31"),
    ("period=custom", "a custom period needs a first or a last day"),
    ("team=999999", "unknown team"),
    ("agent=1%3B%20DROP", "agent is not a valid id"),
    ("intent=%3Cb%3Erant", "unknown intent &lt;b&gt;rant"),
    ("clock=lunar", "clock is calendar or business"),
])
def test_bad_filters_answer_422_on_the_page(settings: Settings, runtime: Runtime, world: World, query: str,
                                            message: str) -> None:
    browser = Agent(make_client(settings, runtime), world.admin.email)
    for path in ("/reports", "/reports/cases?measure=late&"):
        response = browser.get(f"{path}{'?' if path == '/reports' else ''}{query}")
        assert response.status_code == 422, (path, response.text[-500:])
        assert f'id="report-error">{message}' in response.text
        assert 'id="report-filters"' in response.text  # the form is there to correct it
        assert "<b>" not in response.text.split('id="report-error"')[1][:200]
    export = browser.get(f"/reports/export/agents.csv?{query}")
    assert export.status_code == 422


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_drill_down_beyond_its_cap_says_more_than(settings: Settings, runtime: Runtime, world: World,
                                                    network: FakeNetwork,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    client = make_client(settings, runtime)
    three_cases(client, world)
    monkeypatch.setattr(queries, "DRILL_COUNT_CAP", 1)
    browser = Agent(client, supervisor(world, language).email)
    page = browser.get("/reports/cases?period=7d&measure=unanswered")
    assert page.status_code == 200
    summary = re.search(r'id="drill-summary">(.*?)</p>', page.text, re.S)
    assert summary is not None
    assert summary.group(1).startswith({"en": "More than 1 cases from", "fr": "Plus de 1 dossiers du"}[language])


def test_bad_measure_and_page(settings: Settings, runtime: Runtime, world: World) -> None:
    browser = Agent(make_client(settings, runtime), world.admin.email)
    assert browser.get("/reports/cases?measure=gossip").status_code == 422
    assert browser.get("/reports/cases?measure=late&page=0").status_code == 422
    assert browser.get("/reports/cases?measure=late&page=x").status_code == 422
    assert browser.get("/reports/cases.csv?measure=gossip").status_code == 422


def test_roles(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    assert client.get("/reports").status_code == 303  # to the sign-in page
    agent = Agent(client, world.agent.email)
    for path in ("/reports", "/reports/cases?measure=late", "/reports/export/agents.csv", "/reports/cases.csv",
                 "/reports/objectives"):
        assert agent.get(path).status_code == 403, path
    assert agent.post("/reports/objectives", {"metric": "csat", "target": "80"}).status_code == 403
    assert 'href="/reports"' not in agent.get("/inbox").text  # no nav link for agents


def test_escaping_and_csv_injection(settings: Settings, runtime: Runtime, world: World,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    stub.install(monkeypatch)
    browser = Agent(make_client(settings, runtime), world.admin.email)
    page = browser.get("/reports").text
    assert stub.EVIL not in page and html.escape(stub.EVIL, quote=False) in page.replace("&#34;", '"')
    agents = rows(browser.get("/reports/export/agents.csv"))
    assert agents[1][1] == "'" + stub.FORMULA  # never read as a formula
    teams = rows(browser.get("/reports/export/teams.csv"))
    assert teams[1][1] == stub.EVIL  # plain text in a CSV
    # tiles compare with the previous period (the stub's previous period has half the figures)
    assert tile(page, "messages") == "120"
    assert "+100%" in page and "before: 60" in page


def test_objectives_page(settings: Settings, runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    stub.install(monkeypatch)
    browser = Agent(make_client(settings, runtime), supervisor(world).email)
    assert "No objective yet." in browser.get("/reports").text
    created = browser.post("/reports/objectives", {"name": "Complaints within the hour", "metric":
                                                   "first_response_within", "target": "90", "threshold_minutes": "60",
                                                   "intent": "complaint", "clock": "calendar", "position": "0"})
    assert created.status_code == 303, created.text[-800:]
    median = browser.post("/reports/objectives", {"metric": "first_response_median", "target": "30",
                                                  "clock": "business"})
    assert median.status_code == 303
    with runtime.db.transaction() as s:
        found = objectives.list_objectives(s, world.workspace_id)
    assert [(o.metric, o.target, o.threshold_seconds, o.intent) for o in found] == [
        ("first_response_within", 90, 3600, "complaint"), ("first_response_median", 1800, None, None)]
    page = browser.get("/reports").text
    goals = page.split('id="goals"')[1].split("</ul>")[0]
    assert "Complaints within the hour" in goals and "First response, median at most 30\u00a0min" in goals
    # the stub's first responses: 75% within the hour (3 of 4) < 90%: missed; median 20 min ≤ 30 min: met
    assert goals.count('class="goal card missed"') == 1 and goals.count('class="goal card met"') == 1

    bad = browser.post("/reports/objectives", {"metric": "csat", "target": "250"})
    assert bad.status_code == 422 and "a share&#39;s target is between 0 and 100%" in bad.text
    assert 'value="250"' in bad.text  # the form keeps what was typed
    first = found[0].id
    edited = browser.post(f"/reports/objectives/{first}", {"name": "Complaints", "metric": "first_response_within",
                                                          "target": "70", "threshold_minutes": "60",
                                                          "intent": "complaint", "clock": "calendar"})
    assert edited.status_code == 303
    assert browser.post(f"/reports/objectives/{first}/delete").status_code == 303
    assert browser.post(f"/reports/objectives/{first}/delete").status_code == 303  # a second click: no error
    with runtime.db.transaction() as s:
        assert [o.metric for o in objectives.list_objectives(s, world.workspace_id)] == ["first_response_median"]


def test_other_workspace(settings: Settings, runtime: Runtime, world: World,
                         world_factory: Callable[[str], World], network: FakeNetwork) -> None:  # noqa: F811
    client = make_client(settings, runtime)
    three_cases(client, world)
    other = world_factory("globex")
    with runtime.db.transaction() as s:
        team = routing.create_team(s, runtime.publisher, actor=s.get(User, world.admin.id), name="Care")  # type: ignore[arg-type]
        team_id = team.id
        theirs = Objective(workspace_id=world.workspace_id, metric="csat", target=80, name="Acme's own")
        s.add(theirs)
    browser = Agent(make_client(settings, runtime), other.admin.email)
    page = browser.get("/reports?period=7d")
    assert tile(page.text, "messages") == "0" and "Acme&#39;s own" not in page.text
    assert browser.get(f"/reports?team={team_id}").status_code == 422
    assert rows(browser.get("/reports/cases.csv?measure=messages"))[1:] == []


def test_french(settings: Settings, runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    stub.install(monkeypatch)
    browser = Agent(make_client(settings, runtime), supervisor(world, "fr").email)
    page = browser.get("/reports").text
    assert "<h1>Rapports</h1>" in page and "Taux de réponse" in page
    assert tile(page, "response_rate") == "90\u202f%"
    assert "20\u00a0min" in page and "Période précédente" in page
    assert "Afficher sous forme de tableau" in page and "Show as a table" not in page  # the charts' macro too
    bad = browser.get("/reports?period=fortnight")
    assert bad.status_code == 422 and "période inconnue fortnight" in bad.text
    assert "Objectifs" in browser.get("/reports/objectives").text


def test_every_table_exports(settings: Settings, runtime: Runtime, world: World,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    stub.install(monkeypatch)
    browser = Agent(make_client(settings, runtime), world.admin.email)
    query = "period=custom&from=2026-11-01&to=2026-11-03"
    for name in ("agents", "teams", "sla", "trend", "heatmap", "objectives", "guard", "by_network", "by_account",
                 "by_visibility", "by_intent", "by_sentiment", "by_language", "by_topic", "by_hour"):
        response = browser.get(f"/reports/export/{name}.csv?{query}")
        assert response.status_code == 200, name
        assert (f'filename="compris-{name}-2026-11-01-2026-11-03.csv"'
                in response.headers["content-disposition"]), name
        assert rows(response)[0], name
    trend = rows(browser.get(f"/reports/export/trend.csv?{query}"))
    assert trend[0] == ["at", "messages", "new_cases", "response_rate_percent", "median_first_response_s",
                        "median_resolution_s", "csat_percent"]
    assert [r[0][:10] for r in trend[1:]] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert trend[1][1:3] == ["10", "3"] and trend[3][1] == ""  # a gap stays empty, not 0
    heat = rows(browser.get(f"/reports/export/heatmap.csv?{query}"))
    assert heat[0][:3] == ["weekday", "h00", "h01"] and heat[1][10] == "30" and len(heat) == 8
    sla = rows(browser.get(f"/reports/export/sla.csv?{query}"))
    assert sla[1] == ["first_response", "1", "Standard", "45", "5", "90.0"]
    intents = rows(browser.get(f"/reports/export/by_intent.csv?{query}"))
    assert intents[1:] == [["complaint", "complaint", "70", "35"], ["question", "question", "50", "25"]]
