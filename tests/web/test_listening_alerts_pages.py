"""The listening pages: the supervisors' alerts (spike and high reach, translated reasons, escaped sample
messages, acknowledge, open an incident), the settings, the case's alert panel and the inbox's badge; roles;
French; workspace isolation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from compris import bus
from compris.config import Settings
from compris.listening import alerts
from compris.models import Alert, AlertKind, Case, ListeningSettings, Message, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.listening.alert_helpers import alerts_of, customer_writes
from tests.web.test_pages import Agent, make_client

COMPLAINT = "Your service is a disgrace, my parcel never arrived and nobody answers <script>x</script>"


def _spike(world: World) -> int:
    """A spike alert as the job raises it, with a sample message whose text is hostile."""
    case_id = customer_writes(world, "Colis pas reçu <img src=x onerror=alert(1)>", at=datetime.now(UTC))
    with world.runtime.db.transaction() as s:
        message = s.scalar(select(Message).where(Message.case_id == case_id))
        case = s.get(Case, case_id)
        assert message is not None and case is not None
        alert = alerts.raise_alert(
            s, world.runtime.publisher, workspace_id=world.workspace_id, kind=AlertKind.SPIKE,
            key="spike:test", title="Volume spike on fan page: 41 messages in 60 min (usually 9.2)",
            reasons=[{"code": "spike", "params": {"scope": "kw:colis", "label": "“colis”", "observed": 41,
                                                  "expected": 9.2, "window_minutes": 60, "basis": "week"}}],
            data={"scope": "kw:colis", "observed": 41, "expected": 9.2, "window_minutes": 60,
                  "scopes": [{"scope": "kw:colis", "kind": "kw", "value": "colis", "label": "“colis”",
                              "window_minutes": 60, "observed": 41, "expected": 9.2, "basis": "week"},
                             {"scope": f"account:{world.account.id}", "kind": "account",
                              "value": str(world.account.id), "label": "Fan page", "window_minutes": 15,
                              "observed": 20, "expected": 3.1, "basis": "week"}],
                  "keywords": [{"term": "colis", "observed": 41, "expected": 0.5, "lift": 28.0}],
                  "samples": [{"message_id": message.id, "case_id": case.id, "case_number": case.number}]})
        assert alert is not None
        return alert.id


def test_the_alerts_page_for_supervisors(settings: Settings, runtime: Runtime, world: World) -> None:
    spike_id = _spike(world)
    case_id = customer_writes(world, COMPLAINT, at=datetime.now(UTC), author="star", followers=48000)
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/listening/alerts")
    assert page.status_code == 200
    text = page.text
    assert "Volume spike" in text and "High-reach complaint" in text
    assert "41 messages in 60 min on keyword “colis”, usually 9.2" in text
    assert "48K followers (threshold 10K)" in text
    assert "<img src=x" not in text and "&lt;img src=x" in text  # the sample's text, escaped
    assert f'href="/incidents/new?alert={spike_id}"' in text
    with runtime.db.transaction() as s:
        number = s.get(Case, case_id).number  # type: ignore[union-attr]
    assert f'href="/cases/{number}"' in text
    # acknowledge: gone from "not acknowledged", listed under "acknowledged"; audited
    done = admin.post(f"/listening/alerts/{spike_id}/acknowledge", {"back": "/listening/alerts?state=open"})
    assert done.status_code == 303 and done.headers["location"] == "/listening/alerts?state=open"
    assert f'id="alert-{spike_id}"' not in admin.get("/listening/alerts").text
    assert f'id="alert-{spike_id}"' in admin.get("/listening/alerts?state=acknowledged").text
    assert admin.post("/listening/alerts/999999/acknowledge").status_code == 404
    # an htmx refresh returns the list alone; a hostile "back" does not redirect elsewhere
    assert "<html" not in admin.get("/listening/alerts?state=all", headers={"HX-Request": "true"}).text
    evil = admin.post(f"/listening/alerts/{spike_id}/acknowledge", {"back": "https://evil.example/"})
    assert evil.headers["location"] == "/listening/alerts"


def test_the_case_panel_and_the_inbox_badge(settings: Settings, runtime: Runtime, world: World) -> None:
    case_id = customer_writes(world, COMPLAINT, at=datetime.now(UTC), author="star", followers=48000)
    customer_writes(world, "Where is my parcel?", at=datetime.now(UTC), author="calm")
    with runtime.db.transaction() as s:
        number = s.get(Case, case_id).number  # type: ignore[union-attr]
    agent = Agent(make_client(settings, runtime), world.agent.email)
    case_page = agent.get(f"/cases/{number}")
    assert f'hx-get="/listening/cases/{number}/alerts"' in case_page.text
    panel = agent.get(f"/listening/cases/{number}/alerts")
    assert "High-reach complaint" in panel.text and "48K followers" in panel.text
    assert "/listening/alerts" not in panel.text  # agents do not get the supervisors' link
    rows = agent.get("/inbox").text
    assert rows.count('class="badge alert-kind alert-kind-reach"') == 1
    # the inbox's "high reach only" filter keeps that case alone
    only = agent.get("/inbox?reach=1").text
    assert f'id="case-row-{number}"' in only and only.count('class="case-row') == 1
    assert 'name="reach" value="1" checked' in only
    assert agent.get("/listening/cases/999/alerts").status_code == 404
    # agents may not see the alerts page nor change the thresholds
    assert agent.get("/listening/alerts").status_code == 403
    assert agent.post("/listening/settings", {"spike_min_count": "1"}).status_code == 403


def test_settings_page_saves_validates_and_speaks_french(settings: Settings, runtime: Runtime, world: World
                                                          ) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/listening/settings")
    assert page.status_code == 200 and 'value="10000"' in page.text
    bad = admin.post("/listening/settings", {"spikes_enabled": "1", "spike_sensitivity": "normal",
                                             "spike_min_count": "many", "reach_min_followers": "5000",
                                             "reach_reshares_per_hour": "20"})
    assert bad.status_code == 422 and "whole numbers" in bad.text
    ok = admin.post("/listening/settings", {"spikes_enabled": "1", "spike_sensitivity": "high",
                                            "spike_min_count": "6", "reach_enabled": "1",
                                            "reach_min_followers": "5 000", "reach_verified": "1",
                                            "reach_reshares_per_hour": "0"})
    assert ok.status_code == 303
    with runtime.db.transaction() as s:
        row = s.scalar(select(ListeningSettings).where(ListeningSettings.workspace_id == world.workspace_id))
        assert row is not None and row.reach_min_followers == 5000 and not row.reach_promoted
        assert row.spike_sensitivity == "high" and row.spike_min_count == 6
        user = s.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/listening/settings")
    assert "Pics de volume" in page.text and "Plaintes à forte audience" in page.text and "Écoute" in page.text
    customer_writes(world, COMPLAINT, at=datetime.now(UTC), author="star", followers=48000)
    alerts_page = admin.get("/listening/alerts").text
    assert "Alertes d’écoute" in alerts_page and "48 k abonnés (seuil 5 k)" in alerts_page.replace("\xa0", " ")


def test_another_workspace_sees_nothing(settings: Settings, runtime: Runtime, world: World,
                                        world_factory: object) -> None:
    customer_writes(world, COMPLAINT, at=datetime.now(UTC), author="star", followers=48000)
    [alert] = alerts_of(world)
    other = world_factory("globex")  # type: ignore[operator]
    stranger = Agent(make_client(settings, runtime), other.admin.email)
    assert f'id="alert-{alert.id}"' not in stranger.get("/listening/alerts?state=all").text
    assert stranger.post(f"/listening/alerts/{alert.id}/acknowledge").status_code == 404
    with runtime.db.transaction() as s:
        assert s.get(Alert, alert.id).acknowledged_at is None  # type: ignore[union-attr]
    assert bus  # the events module is loaded (listeners registered)
