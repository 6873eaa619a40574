"""Survey settings through the API and the admin page; the case page's survey line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.models import CaseEvent, CaseStatus, SurveySettings
from compris.runtime import Runtime
from compris.surveys import actions, queries
from compris.web.app import create_app
from tests.conftest import World
from tests.surveys.helpers import configure, fake_network, handled_case, inbound, set_status, surveys
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    yield TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)


def _admin(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def test_settings_are_off_until_an_admin_turns_them_on(world: World, client: TestClient) -> None:
    headers = _admin(world)
    body = client.get("/api/v1/surveys/settings", headers=headers).json()
    assert body["workspace"]["enabled"] is False and body["workspace"]["own"] is False
    assert body["workspace"]["questions"]["fr"].startswith("Êtes-vous") and body["accounts"] == []
    changed = client.patch("/api/v1/surveys/settings", headers=headers,
                           json={"enabled": True, "delay_minutes": 30, "questions": {"de": "Zufrieden?"}})
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert out["enabled"] is True and out["delay_minutes"] == 30 and out["own"] is True
    assert out["questions"]["de"] == "Zufrieden?" and out["questions"]["en"]  # the shipped ones stay
    with world.runtime.db.transaction() as s:
        audit = s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed")).all()
        assert [e.data["entity"] for e in audit][-1] == "survey_settings"


@pytest.mark.parametrize("body", [
    {"scale": "stars10"}, {"delay_minutes": -1}, {"low_rating": 5}, {"link_days": 0},
    {"questions": {"not a language": "x"}}, {"questions": {"en": "x" * 1001}}, {"unknown": 1},
])
def test_bad_settings_are_refused_with_422(world: World, client: TestClient, body: dict[str, Any]) -> None:
    response = client.patch("/api/v1/surveys/settings", headers=_admin(world), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]


def test_an_account_overrides_the_workspace_and_can_go_back(world: World, client: TestClient) -> None:
    headers = _admin(world)
    client.patch("/api/v1/surveys/settings", headers=headers, json={"enabled": True})
    url = f"/api/v1/surveys/settings/accounts/{world.account.id}"
    inherited = client.get(url, headers=headers).json()
    assert inherited["own"] is False and inherited["enabled"] is True
    assert client.patch(url, headers=headers, json={"scale": "faces5"}).json()["scale"] == "faces5"
    body = client.get("/api/v1/surveys/settings", headers=headers).json()
    assert [a["channel_account_id"] for a in body["accounts"]] == [world.account.id]
    assert body["accounts"][0]["enabled"] is True  # started from the workspace's
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).json()["own"] is False
    assert client.delete(url, headers=headers).status_code == 404
    assert client.get("/api/v1/surveys/settings/accounts/999999", headers=headers).status_code == 404


def test_agents_cannot_change_settings_but_can_read_a_cases_surveys(
        world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = auth(token(world, world.agent))
    assert client.patch("/api/v1/surveys/settings", headers=headers, json={"enabled": True}).status_code == 403
    fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    items = client.get("/api/v1/surveys/cases/1", headers=headers).json()["items"]
    assert [(i["cycle"], i["state"], i["network"]) for i in items] == [(1, "sent", "sandbox")]
    assert client.get("/api/v1/surveys/cases/999", headers=headers).status_code == 404


def test_another_workspaces_account_is_not_found(world: World, world_factory: Any, client: TestClient) -> None:
    other = world_factory("globex")
    response = client.patch(f"/api/v1/surveys/settings/accounts/{other.account.id}", headers=_admin(world),
                            json={"enabled": True})
    assert response.status_code == 404


def test_the_workspace_row_is_created_once_even_when_asked_twice(world: World) -> None:
    configure(world)
    configure(world, delay_minutes=5)
    with world.runtime.db.transaction() as s:
        rows = s.scalars(select(SurveySettings)).all()
        assert len(rows) == 1 and rows[0].delay_minutes == 5
    # the database refuses a second workspace row (the unique constraint alone lets two NULL accounts through)
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError), world.runtime.db.transaction() as s:
        s.add(SurveySettings(workspace_id=world.workspace_id, channel_account_id=None))
        s.flush()


def test_the_admin_page_saves_the_settings(world: World, client: TestClient) -> None:
    admin = Agent(client, world.admin.email)
    page = admin.get("/admin/surveys")
    assert page.status_code == 200 and "Satisfaction surveys" in page.text
    form = {"enabled": "1", "delay_minutes": "15", "scale": "faces5", "question_en": "Happy?",
            "question_fr": "Content ?", "more_questions": "de: Zufrieden?", "ask_comment": "1",
            "comment_en": "Why?", "comment_fr": "Pourquoi ?", "more_comments": "", "quiet_days": "7",
            "low_rating": "1", "reopen_on_low": "1", "link_days": "10"}
    assert admin.post("/admin/surveys/settings", form).status_code == 303
    with world.runtime.db.transaction() as s:
        eff = queries.effective(s, world.workspace_id, None)
    assert (eff.enabled, eff.delay_minutes, eff.scale, eff.low_rating, eff.reopen_on_low) == (True, 15, "faces5",
                                                                                              1, True)
    assert eff.questions["de"] == "Zufrieden?" and eff.comment_questions["fr"] == "Pourquoi ?"
    bad = admin.post("/admin/surveys/settings", {**form, "delay_minutes": "soon"})
    assert bad.status_code == 422 and "delay" in bad.text
    # an account of its own, then back to the workspace's
    assert admin.post("/admin/surveys/accounts", {"channel_account_id": str(world.account.id)}).status_code == 303
    assert f'action="/admin/surveys/accounts/{world.account.id}"' in admin.get("/admin/surveys").text
    assert admin.post(f"/admin/surveys/accounts/{world.account.id}/delete").status_code == 303
    assert f'action="/admin/surveys/accounts/{world.account.id}"' not in admin.get("/admin/surveys").text
    other_browser = TestClient(client.app, follow_redirects=False)
    assert Agent(other_browser, world.agent.email).get("/admin/surveys").status_code == 403


def test_the_case_page_shows_the_rating_and_the_comment_escaped(
        world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    agent = Agent(client, world.agent.email)
    assert "sent, waiting for the answer" in agent.get("/cases/1").text
    inbound(world, "4")
    world.run_jobs()
    inbound(world, "<b>Quick</b> & kind")
    (survey,) = surveys(world)
    assert survey.rating == 4
    page = agent.get("/cases/1").text
    assert "★★★★☆" in page and "&lt;b&gt;Quick&lt;/b&gt; &amp; kind" in page and "<b>Quick</b>" not in page
    assert "Customer rated ★★★★☆ (4/5)" in page
    # the rating message says what it is, without triage chips (a "4" is no complaint); the comment keeps them
    assert page.count("Answer to the satisfaction survey") == 1
    fragment = agent.get("/cases/1/fragments?parts=survey", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="survey"' in fragment.text


def test_the_case_page_says_why_there_was_no_survey_in_french(
        world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world)
    with world.runtime.db.transaction() as s:
        from compris.models import User
        user = s.get(User, world.agent.id)
        assert user is not None
        user.language = "fr"
    from tests.surveys.helpers import customer_writes
    customer_writes(world)
    set_status(world, CaseStatus.RESOLVED)  # nobody answered
    (survey,) = surveys(world)
    assert survey.skip_reason == "no_reply"
    page = Agent(client, world.agent.email).get("/cases/1").text
    assert "Pas d'enquête de satisfaction : aucun agent n'a répondu" in html_unescape(page)


def html_unescape(text: str) -> str:
    import html
    return html.unescape(text)


def test_unknown_settings_keys_are_refused_by_the_action(world: World) -> None:
    from compris.kit.errors import Invalid
    with pytest.raises(Invalid):
        actions.check_settings({"enabled": "yes"})
