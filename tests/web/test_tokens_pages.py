"""The pages of API tokens (scopes, expiry, the workspace's tokens for admins) and "Your sessions"."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.config import Settings
from compris.models import ApiToken, User, UserSession
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, make_client

NEW_TOKEN = re.compile(r'id="new-token" type="text" readonly value="(cpr_[^"]+)"')


def _tokens(runtime: Runtime) -> list[ApiToken]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def test_create_with_scope_and_expiry_shown_once(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    page = agent.get("/settings/tokens").text
    assert 'value="admin"' not in page  # an agent is not offered the admin scope
    created = agent.post("/settings/tokens", {"name": "reporting", "scope": "read", "expiry": "30"})
    assert created.status_code == 201
    raw = NEW_TOKEN.search(created.text)
    assert raw and "it will not be shown again" in created.text
    [token] = _tokens(runtime)
    assert token.scopes == "read" and token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - token.created_at <= timedelta(days=30, seconds=5)
    listing = agent.get("/settings/tokens").text
    assert raw.group(1) not in listing and "reporting" in listing and "read only" in listing
    day = datetime.now(UTC).date() + timedelta(days=200)
    dated = agent.post("/settings/tokens", {"name": "dated", "scope": "write", "expiry": "date",
                                            "expires_on": day.isoformat()})
    assert dated.status_code == 201
    expires = _tokens(runtime)[-1].expires_at
    assert expires is not None and expires.date() == day  # the end of that day (the workspace is on UTC)
    never = agent.post("/settings/tokens", {"name": "forever", "scope": "write", "expiry": "never"})
    assert never.status_code == 201 and _tokens(runtime)[-1].expires_at is None


def test_bad_input_is_refused_next_to_the_field(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    for form, field, message in [
        ({"name": "", "scope": "read", "expiry": "30"}, "token-name-error", "give the token a name"),
        ({"name": "x", "scope": "admin", "expiry": "30"}, "token-scope-error",
         "does not allow the &#39;admin&#39; scope"),
        ({"name": "x", "scope": "read", "expiry": "date", "expires_on": "2001-01-01"}, "token-expiry-error",
         "the expiry date is in the past"),
        ({"name": "x", "scope": "read", "expiry": "date", "expires_on": ""}, "token-expiry-error",
         "choose the day the token expires"),
    ]:
        response = agent.post("/settings/tokens", form)
        assert response.status_code == 422, form
        assert f'id="{field}"' in response.text and message in response.text, (form, response.text[-3000:])
        assert f'value="{html.escape(form["name"])}"' in response.text  # nothing lost
    assert _tokens(runtime) == []


def test_expiring_tokens_are_flagged(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        agent_row = session.get(User, world.agent.id)
        assert agent_row is not None
        accounts.create_token(session, agent_row, "nightly export", expires_in_days=3)
        accounts.create_token(session, agent_row, "long lived", expires_in_days=90)
    agent = Agent(make_client(settings, runtime), world.agent.email)
    page = agent.get("/settings/tokens").text
    warning = page[page.index('id="tokens-expiring"'):]
    warning = warning[:warning.index("</div>")]
    assert "nightly export" in warning and "long lived" not in warning
    assert "expires soon" in page


def test_expired_tokens_are_shown_as_such(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        agent_row = session.get(User, world.agent.id)
        assert agent_row is not None
        token, _ = accounts.create_token(session, agent_row, "old one", expires_in_days=1)
        token.expires_at = token.created_at - timedelta(days=1)
    page = Agent(make_client(settings, runtime), world.agent.email).get("/settings/tokens").text
    assert 'class="badge token-expired"' in page


def test_admins_see_and_revoke_every_token_of_the_workspace(settings: Settings, runtime: Runtime, world: World,
                                                            world_factory: object) -> None:
    assert callable(world_factory)
    other = world_factory("globex")
    with runtime.db.transaction() as session:
        agent_row = session.get(User, world.agent.id)
        outsider = session.get(User, other.agent.id)
        assert agent_row is not None and outsider is not None
        token, raw = accounts.create_token(session, agent_row, "agent script")
        foreign, _ = accounts.create_token(session, outsider, "globex script")
        token_id, foreign_id = token.id, foreign.id
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert "API tokens of the workspace" not in agent.get("/settings/tokens").text
    assert agent.post(f"/settings/tokens/workspace/{token_id}/revoke").status_code == 403
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/settings/tokens").text
    section = page[page.index('id="workspace-tokens"'):]
    assert "agent script" in section and "Agent acme" in section and "globex script" not in section
    assert raw not in page
    assert admin.post(f"/settings/tokens/workspace/{foreign_id}/revoke").status_code == 404
    assert admin.post(f"/settings/tokens/workspace/{token_id}/revoke").status_code == 303
    states = {t.id: t.revoked_at for t in _tokens(runtime)}
    assert states[token_id] is not None and states[foreign_id] is None


def test_your_sessions_mark_this_device_and_sign_out_others(settings: Settings, runtime: Runtime,
                                                           world: World) -> None:
    phone = make_client(settings, runtime)
    phone.headers["user-agent"] = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                                   "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
    on_phone = Agent(phone, world.agent.email)
    laptop = make_client(settings, runtime)
    laptop.headers["user-agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    on_laptop = Agent(laptop, world.agent.email)
    third = Agent(make_client(settings, runtime), world.agent.email)
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = on_laptop.get("/settings/sessions").text
    assert "Firefox on Linux" in page and "Safari on iPhone" in page and page.count("this device") == 1
    current = page[page.index('class="current-session"'):]
    assert "Firefox on Linux" in current[:current.index("</tr>")]
    with runtime.db.transaction() as session:
        ids = {s.user_agent[:20]: s.id for s in session.scalars(
            select(UserSession).where(UserSession.user_id == world.agent.id, UserSession.revoked_at.is_(None)))}
        admins = session.scalars(select(UserSession.id).where(UserSession.user_id == world.admin.id)).all()
    # another user's session is "not found"
    assert on_laptop.post(f"/settings/sessions/{admins[0]}/end").status_code == 404
    assert admin.get("/settings/sessions").status_code == 200
    # sign out the phone only
    phone_id = next(i for ua, i in ids.items() if "iPhone" in ua)
    done = on_laptop.post(f"/settings/sessions/{phone_id}/end")
    assert done.status_code == 303
    assert on_phone.get("/settings/sessions").status_code == 303  # signed out: to the login page
    assert third.get("/settings/sessions").status_code == 200
    # then every other one
    assert on_laptop.post("/settings/sessions/others/end").headers["location"] == "/settings/sessions?done=1"
    assert third.get("/settings/sessions").status_code == 303
    page = on_laptop.get("/settings/sessions?done=1").text
    assert "1 session signed out." in page and "You are signed in on this device only." in page
    assert admin.get("/settings/sessions").status_code == 200  # the admin's session was left alone


def test_french_pages(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        row = session.get(User, world.agent.id)
        assert row is not None
        row.language = "fr"
    agent = Agent(make_client(settings, runtime), world.agent.email)
    tokens = agent.get("/settings/tokens").text
    assert "Créer un jeton" in tokens and "lecture seule" in tokens
    assert "Vos sessions" in agent.get("/settings/sessions").text
