"""The reply box in the agent UI: the guard as you type, refusals, overrides, templates, move to private,
suggestions, and the admin pages; the JSON API's reply endpoint with the guard."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from compris.config import Settings
from compris.models import GuardEvent, Message, ReplyTemplate
from compris.replies import suggestions
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, customer_writes, make_client

COMPLAINT = "My flight was cancelled and nobody at your airport helps, worst airline ever!"
DEFLECTION = "Please contact customer service between 9am and 5pm."


def _count(runtime: Runtime, model: type, **where: object) -> int:
    with runtime.db.transaction() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(s.scalar(query) or 0)


def _outbound(runtime: Runtime) -> int:
    return _count(runtime, Message, direction="outbound")


def test_the_guard_fragment_as_the_draft_is_typed(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, COMPLAINT)
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1")
    assert 'data-guard-url="/cases/1/guard"' in page.text and 'id="guard-panel"' in page.text
    response = agent.post("/cases/1/guard", {"text": DEFLECTION, "visibility": "public"}, htmx=True)
    assert response.status_code == 200
    assert 'data-rule="office_hours"' in response.text and 'data-rule="send_elsewhere"' in response.text
    assert "Office-hours deflection" in response.text and "Ignore this warning" in response.text
    assert 'data-fix-kind="replace_draft"' in response.text  # the apology for the complaint
    clean = agent.post("/cases/1/guard", {"text": "So sorry about this, I have rebooked you on the 6pm flight.",
                                          "visibility": "public"}, htmx=True)
    assert "sees no problem" in clean.text
    assert _count(runtime, GuardEvent) == 0  # typing stores nothing


def test_a_block_refuses_the_send_and_warnings_need_a_click(settings: Settings, runtime: Runtime,
                                                           world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, COMPLAINT)
    agent = Agent(client, world.agent.email)
    blocked = agent.post("/cases/1/reply", {"text": "Sorry! Please reply with your booking reference.",
                                            "visibility": "public", "send_anyway": "1"}, htmx=True)
    assert blocked.status_code == 422
    assert "The reply guard blocks this reply" in blocked.text and 'data-rule="asks_personal_data"' in blocked.text
    assert 'data-fix-action="move_to_private"' in blocked.text
    assert "Send anyway" not in blocked.text
    assert _outbound(runtime) == 0

    warned = agent.post("/cases/1/reply", {"text": DEFLECTION, "visibility": "public", "idempotency_key": "k-9"},
                        htmx=True)
    assert warned.status_code == 422 and "Send anyway" in warned.text
    assert _outbound(runtime) == 0
    sent = agent.post("/cases/1/reply", {"text": DEFLECTION, "visibility": "public", "idempotency_key": "k-9",
                                         "send_anyway": "1"}, htmx=True)
    assert sent.status_code == 200, sent.text
    assert _outbound(runtime) == 1
    assert _count(runtime, GuardEvent, rule="office_hours") == 1
    assert _count(runtime, GuardEvent, rule="office_hours", overridden=True) == 1
    assert _count(runtime, GuardEvent, rule="asks_personal_data", overridden=False) == 1

    admin = Agent(make_client(settings, runtime), world.admin.email)
    stats = admin.get("/admin/guard?days=30")
    assert stats.status_code == 200 and 'data-rule="office_hours"' in stats.text
    assert agent.get("/admin/guard").status_code == 403


def test_templates_picker_and_usage(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello, any news about my parcel?", author="marie")
    admin = Agent(make_client(settings, runtime), world.admin.email)
    bad = admin.post("/admin/templates", {"name": "Bad", "body_en": "Hi {firstname}"})
    assert bad.status_code == 422 and "unknown variables: {firstname}" in html.unescape(bad.text)
    created = admin.post("/admin/templates", {"name": "Parcel <update>", "shortcut": "parcel",
                                              "body_en": "Hi {first_name}, your parcel <b>ships</b> {wait_time}.",
                                              "body_fr": "Bonjour {first_name}, votre colis part {wait_time}."})
    assert created.status_code == 303
    agent = Agent(client, world.agent.email)
    assert agent.get("/admin/templates").status_code == 403
    listing = agent.get("/cases/1/templates?q=parcel")
    assert listing.status_code == 200
    assert "Hi Marie, your parcel &lt;b&gt;ships&lt;/b&gt; {wait_time}." in listing.text  # filled and escaped
    assert "Parcel &lt;update&gt;" in listing.text and "To fill in before sending" in listing.text
    with runtime.db.transaction() as s:
        template_id = s.scalar(select(ReplyTemplate.id).where(ReplyTemplate.name == "Parcel <update>"))
    missing = agent.post("/cases/1/reply", {"text": "Hi Marie, your parcel ships {wait_time}.", "visibility": "public",
                                            "template_id": str(template_id)}, htmx=True)
    assert missing.status_code == 422 and "Fill in before sending: {wait_time}" in missing.text
    ok = agent.post("/cases/1/reply", {"text": "Hi Marie, your parcel ships tomorrow.", "visibility": "public",
                                       "template_id": str(template_id)}, htmx=True)
    assert ok.status_code == 200, ok.text
    with runtime.db.transaction() as s:
        row = s.get(ReplyTemplate, template_id)
        assert row is not None and row.usage_count == 1


def test_move_to_private_from_the_reply_box(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "My order never arrived and I was charged twice!")
    agent = Agent(client, world.agent.email)
    assert 'id="move-private-form"' in agent.get("/cases/1").text
    response = agent.post("/cases/1/move-private", {"text": "So sorry! Could you send me your order number?",
                                                    "idempotency_key": "mv-7"}, htmx=True)
    assert response.status_code == 200, response.text
    with runtime.db.transaction() as s:
        rows = list(s.execute(select(Message.visibility, Message.text, Message.case_id)
                              .where(Message.direction == "outbound").order_by(Message.id)))
    assert [(v, t) for v, t, _ in rows] == [("public", "We have sent you a private message."),
                                           ("private", "So sorry! Could you send me your order number?")]
    assert len({c for _, _, c in rows}) == 1


def test_suggestions_panel_escapes_customer_text(settings: Settings, runtime: Runtime, world: World) -> None:
    suggestions.clear_cache()
    client = make_client(settings, runtime)
    customer_writes(client, world, "<script>alert(1)</script> my suitcase never arrived in Lisbon", author="c1")
    agent = Agent(client, world.agent.email)
    assert agent.post("/cases/1/reply", {"text": "So sorry, I have opened a <trace> for your bag.",
                                         "visibility": "public"}, htmx=True).status_code == 200
    assert agent.post("/cases/1/status", {"status": "resolved"}, htmx=True).status_code == 200
    customer_writes(client, world, "My suitcase never arrived in Lisbon either", author="c2")
    panel = agent.get("/cases/2/suggestions")
    assert panel.status_code == 200 and "#1" in panel.text
    assert "<script>" not in panel.text and "&lt;script&gt;" in panel.text
    assert 'data-use-reply="So sorry, I have opened a &lt;trace&gt; for your bag."' in panel.text


def test_tone_settings_page(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello, what time is check-in tomorrow?")
    admin = Agent(client, world.admin.email)
    assert admin.get("/admin/tone").status_code == 200
    bad = admin.post("/admin/tone", {"signoff_pattern": "([", "tone_guide": "Be kind"})
    assert bad.status_code == 422 and "not a valid regular expression" in bad.text
    saved = admin.post("/admin/tone", {"tone_guide": "Warm, short, <no> jargon.", "severity_tone_emoji": "block",
                                       "signoff_required": "1", "signoffs": "^{agent_initials}",
                                       "perm_agent_refund": "1", "perm_supervisor_refund": "1"})
    assert saved.status_code == 303
    agent = Agent(make_client(settings, runtime), world.agent.email)
    page = agent.get("/cases/1")
    assert "Warm, short, &lt;no&gt; jargon." in page.text
    findings = agent.post("/cases/1/guard", {"text": "Check-in opens at 5am 🙂", "visibility": "public"}, htmx=True)
    assert 'data-rule="tone_emoji"' in findings.text and 'data-rule="tone_signoff"' in findings.text
    assert agent.get("/admin/tone").status_code == 403


def test_api_reply_runs_the_guard(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, COMPLAINT)
    headers = auth(token(world, world.agent))
    blocked = client.post("/api/v1/cases/1/replies", headers=headers, json={
        "text": "Sorry! Please reply with your booking reference.", "override_warnings": True})
    assert blocked.status_code == 422
    body = blocked.json()
    assert "asks_personal_data" in {f["rule"] for f in body["findings"]} and body["error"]
    warned = client.post("/api/v1/cases/1/replies", headers=headers,
                         json={"text": DEFLECTION, "override_warnings": False})
    assert warned.status_code == 422 and {f["severity"] for f in warned.json()["findings"]} == {"warning"}
    sent = client.post("/api/v1/cases/1/replies", headers=headers, json={"text": DEFLECTION})  # default: send
    assert sent.status_code == 201, sent.text
    assert {"office_hours", "send_elsewhere"} <= {f["rule"] for f in sent.json()["guard_warnings"]}
    assert _count(runtime, GuardEvent, source="api", overridden=True) >= 2


def test_the_picker_fills_the_expected_wait_when_it_is_known(settings: Settings, runtime: Runtime,
                                                             world: World) -> None:
    from datetime import timedelta

    from compris.kit.clock import now
    from compris.models import Case
    from compris.sla.prediction import MIN_HISTORY
    from tests.routing.helpers import agent as online_agent
    from tests.routing.helpers import team

    client = make_client(settings, runtime)
    with runtime.db.transaction() as s:  # someone online (nobody online: the wait is not known)
        online_agent(s, world.workspace_id, "Alice", capacity=0, teams=(team(s, world.workspace_id, "Care",
                                                                                  default=True),))
    for n in range(1, MIN_HISTORY + 1):  # history: the account's cases were answered in 25 minutes
        customer_writes(client, world, f"Hello, my suitcase did not arrive in Lisbon ({n}).", author=f"old-{n}")
        with runtime.db.transaction() as s:
            first = s.scalar(select(Case).where(Case.workspace_id == world.workspace_id, Case.number == n))
            assert first is not None
            first.first_inbound_at = now() - timedelta(minutes=40)
            first.first_response_at = now() - timedelta(minutes=15)
            first.status = "resolved"
    customer_writes(client, world, "Hello, any news about my parcel?", author="marie")
    admin = Agent(make_client(settings, runtime), world.admin.email)
    assert admin.post("/admin/templates", {"name": "Parcel", "shortcut": "parcel",
                                           "body_en": "Hi {first_name}, an answer in {wait_time}."}).status_code == 303
    listing = Agent(client, world.agent.email).get(f"/cases/{MIN_HISTORY + 1}/templates?q=parcel")
    assert listing.status_code == 200
    assert "Hi Marie, an answer in about 25 minutes." in listing.text
    assert "To fill in before sending" not in listing.text


def test_no_private_message_is_offered_where_the_network_has_none(
    settings: Settings, runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compris.connectors.sandbox import SandboxConnector

    monkeypatch.setattr(SandboxConnector, "private_messages", False)
    with make_client(settings, runtime) as client:
        customer_writes(client, world, "Chambre bruyante, décevant.", author="rev", rating=2)
        page = Agent(client, world.agent.email).get("/cases/1").text
        assert 'name="visibility" value="public"' in page
        assert 'name="visibility" value="private"' not in page
        assert 'id="move-private-button"' not in page
