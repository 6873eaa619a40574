"""Templates, reply settings, channel accounts, users and tokens: every write leaves its audit row and emits
SettingsChanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.channels import actions as channels
from compris.channels.actions import store_renewed_secrets
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import CaseEvent, ChannelAccount, User, Workspace
from compris.replies import actions as reply_actions
from compris.runtime import Runtime
from tests.conftest import SECRET, World
from tests.routing.test_admin_actions import recorded


def kinds(runtime: Runtime, workspace_id: int, after: int) -> list[tuple[str, int | None, dict[str, object]]]:
    with runtime.db.transaction() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == workspace_id, CaseEvent.id > after,
                                                 CaseEvent.case_id.is_(None)).order_by(CaseEvent.id))
        return [(r.kind, r.actor_user_id, dict(r.data)) for r in rows]


def last_event_id(runtime: Runtime) -> int:
    with runtime.db.transaction() as s:
        return int(s.scalar(select(CaseEvent.id).order_by(CaseEvent.id.desc()).limit(1)) or 0)


def test_templates_and_reply_settings(runtime: Runtime, world: World) -> None:
    start = last_event_id(runtime)
    with recorded() as seen, runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        t = reply_actions.create_template(s, actor=admin, name="Hello", bodies={"en": "Hi {first_name}"},
                                          publisher=runtime.publisher)
        reply_actions.update_template(s, actor=admin, template=t, name="Hello", bodies={"en": "Hello {first_name}"},
                                      is_active=False, publisher=runtime.publisher)
        template_id = t.id
        reply_actions.delete_template(s, actor=admin, template=t, publisher=runtime.publisher)
        reply_actions.save_reply_settings(s, actor=admin, tone_guide="Warm.", guard_data={},
                                          permissions={"agent": ["refund"]}, publisher=runtime.publisher)
    assert [(e.entity, e.action, e.entity_id, e.changes) for e in seen] == [
        ("template", "created", template_id, ("bodies", "name", "purpose", "shortcut", "team")),
        ("template", "updated", template_id, ("bodies", "is_active")),
        ("template", "deleted", template_id, ()),
        ("reply_settings", "updated", seen[-1].entity_id, ("guard", "permissions", "tone_guide")),
    ]
    assert [(k, actor) for k, actor, _ in kinds(runtime, world.workspace_id, start)] == [
        ("template_created", world.admin.id), ("template_updated", world.admin.id),
        ("template_deleted", world.admin.id), ("reply_settings_changed", world.admin.id)]


def test_channel_accounts_connect_update_test_and_renew(runtime: Runtime, world: World) -> None:
    start = last_event_id(runtime)
    with recorded() as seen, runtime.db.transaction() as s:
        account = channels.connect(s, SECRET, workspace_id=world.workspace_id, network="sandbox", name="Second",
                                   external_id="brand-2", form={"secret_webhook_secret": "w", "secret_api_token": "t",
                                                                "setting_api_base": "http://sandbox.invalid"},
                                   actor_user_id=world.admin.id, publisher=runtime.publisher)
        changed = channels.update(s, SECRET, account, name="Second brand", external_id="brand-2", active=False,
                                  form={"secret_api_token": "t2"}, actor_user_id=world.admin.id,
                                  publisher=runtime.publisher)
        channels.record_check(s, account, channels.CheckResult(False, "refused"), world.admin.id,
                              publisher=runtime.publisher)
        store_renewed_secrets(s, SECRET, account, {"api_token": "t3"}, publisher=runtime.publisher)
        account_id = account.id
    assert set(changed) >= {"name", "active", "api_token (secret)"}
    assert [(e.entity, e.action, e.entity_id) for e in seen] == [
        ("channel_account", "connected", account_id), ("channel_account", "updated", account_id),
        ("channel_account", "tested", account_id), ("channel_account", "credentials_renewed", account_id)]
    assert seen[-1].changes == ("api_token (secret)",)  # names, never values
    rows = kinds(runtime, world.workspace_id, start)
    assert [k for k, _, _ in rows] == ["channel_connected", "channel_updated", "channel_tested",
                                       "channel_credentials_renewed"]
    assert "t3" not in str(rows) and "t2" not in str(rows)
    with runtime.db.transaction() as s:
        stored = s.get(ChannelAccount, account_id)
        assert stored is not None and not stored.is_active and stored.check_ok is False


def test_users_and_tokens(runtime: Runtime, world: World) -> None:
    start = last_event_id(runtime)
    with recorded() as seen, runtime.db.transaction() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        user = accounts.create_user(s, workspace=workspace, email="Sue@Acme.test", name="Sue", password="x" * 12,
                                    role="supervisor", actor_user_id=world.admin.id, publisher=runtime.publisher)
        token, raw = accounts.create_token(s, user, "reporting", publisher=runtime.publisher)
        assert accounts.user_for_token(s, raw) is user
        accounts.revoke_token(s, user, token.id, publisher=runtime.publisher)
        accounts.revoke_token(s, user, token.id, publisher=runtime.publisher)  # already revoked: nothing more
        assert accounts.user_for_token(s, raw) is None
        ids = user.id, token.id
    assert [(e.entity, e.action, e.entity_id) for e in seen] == [
        ("user", "created", ids[0]), ("api_token", "created", ids[1]), ("api_token", "revoked", ids[1])]
    assert [(k, actor) for k, actor, _ in kinds(runtime, world.workspace_id, start)] == [
        ("user_created", world.admin.id), ("api_token_created", ids[0]), ("settings_changed", ids[0])]


def test_role_and_deactivation_keep_an_active_admin(runtime: Runtime, world: World) -> None:
    start = last_event_id(runtime)
    # given the world's only admin
    with recorded() as seen, runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        # when they try to demote or deactivate themselves: refused, nothing written
        for change in ({"role": "agent"}, {"active": False}, {"role": "supervisor", "active": False}):
            with pytest.raises(Conflict, match="needs an active admin"):
                accounts.update_user(s, actor=admin, user_id=admin.id, publisher=runtime.publisher, **change)
        with pytest.raises(Invalid, match="unknown role 'owner'"):
            accounts.update_user(s, actor=admin, user_id=world.agent.id, role="owner")
        # but once the agent is made admin, the first one may step down, then be deactivated and come back
        accounts.update_user(s, actor=admin, user_id=world.agent.id, role="admin", publisher=runtime.publisher)
        accounts.update_user(s, actor=admin, user_id=admin.id, role="supervisor", publisher=runtime.publisher)
        accounts.update_user(s, actor=admin, user_id=admin.id, active=False, publisher=runtime.publisher)
        accounts.update_user(s, actor=admin, user_id=admin.id, active=False, publisher=runtime.publisher)  # no-op
        accounts.update_user(s, actor=admin, user_id=admin.id, active=True, publisher=runtime.publisher)
        assert (admin.role, admin.is_active) == ("supervisor", True)
    assert [(e.entity, e.action, e.entity_id, e.changes) for e in seen] == [
        ("user", "updated", world.agent.id, ("role",)), ("user", "updated", world.admin.id, ("role",)),
        ("user", "updated", world.admin.id, ("is_active",)), ("user", "updated", world.admin.id, ("is_active",))]
    assert [(k, actor, d["changes"]) for k, actor, d in kinds(runtime, world.workspace_id, start)] == [
        ("settings_changed", world.admin.id, ["role"]), ("settings_changed", world.admin.id, ["role"]),
        ("settings_changed", world.admin.id, ["is_active"]), ("settings_changed", world.admin.id, ["is_active"])]


def test_a_user_of_another_workspace_is_not_found(runtime: Runtime, world: World,
                                                  world_factory: Callable[[str], World]) -> None:
    other = world_factory("globex")
    with runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        with pytest.raises(NotFound):
            accounts.update_user(s, actor=admin, user_id=other.agent.id, active=False)
