"""The demo's audit log: sign-ins from browsers (one failed), a settings change with its before/after, a token
from the command line, and everything sealed: the chain verifies. Loading twice adds nothing."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from compris.auditlog import actions
from compris.demo_admin import audit
from compris.models import AuditEntry
from compris.runtime import Runtime
from tests.conftest import World


def test_the_demo_audit_log(runtime: Runtime, world: World) -> None:
    users = {"admin": world.admin.id, "agent-fr": world.agent.id}
    started = time.monotonic()
    audit.load(runtime, world.workspace_id, users)
    assert time.monotonic() - started < 1.0
    with runtime.db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.workspace_id == world.workspace_id)
                              .order_by(AuditEntry.seq)))
        assert all(r.seq is not None for r in rows)
        kinds = {(r.event, r.via) for r in rows}
        assert {("LoginFailed", "session"), ("UserSignedIn", "session"), ("SettingsChanged", "cli")} <= kinds
        team = [r for r in rows if r.entity == "team" and r.action == "updated"]
        assert team[0].data["before"]["timezone"] == "UTC" and team[0].data["after"]["timezone"] == "Europe/Paris"
        assert team[0].ip == audit.OFFICE_IP
        result = actions.verify(s, world.workspace_id)
        assert result.ok and result.checked == len(rows)
    audit.load(runtime, world.workspace_id, users)
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.workspace_id == world.workspace_id)) == len(rows)
