"""Helpers of the retention tests: cases, messages, stored files, deliveries and audit entries written straight
into the tables at chosen times, and a stand-in for the audit log's purge until it is merged."""

from __future__ import annotations

import sys
import types
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from compris.models import AuditEntry, Case, Message, RawEvent, Upload
from compris.uploads import store
from compris.uploads.actions import store_file
from tests.analytics.helpers import message, new_case
from tests.conftest import World

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

__all__ = ["audit_entry", "clear_audit_log", "closed_case", "fake_audit_purge", "message", "new_case", "raw_event",
           "stored_file"]


def closed_case(s: Session, world: World, at: datetime, *, status: str = "resolved", text: str = "My order",
                inbound_messages: int = 1) -> Case:
    """A case opened and last active at ``at``, in ``status``, with ``inbound_messages`` customer messages and
    an agent's answer, all at ``at``."""
    case = new_case(s, world, at)
    case.status = status
    case.preview = text
    case.triage = {"intent": "complaint", "personal_data": [{"kind": "email", "value": "jo@example.com"}]}
    for i in range(inbound_messages):
        message(s, world, case.id, at, inbound=True, text=f"{text} {i} jo@example.com", permalink="https://x.test/1",
                triage={"intent": "complaint", "sentiment": "negative", "language": "en",
                        "personal_data": [{"kind": "email", "value": "jo@example.com"}]},
                attachments=[{"kind": "image", "url": "https://cdn.test/p.png", "name": "p.png"}])
    message(s, world, case.id, at, inbound=False, text="Sorry about that", author_user_id=world.agent.id)
    s.flush()
    return case


def stored_file(s: Session, world: World, msg: Message, at: datetime, tag: str) -> Upload:
    """A file stored for ``msg`` (carried in its attachments), first stored at ``at``."""
    upload = store_file(s, world.runtime.settings.data_dir, workspace_id=world.workspace_id, uploaded_by_id=None,
                        data=PNG + tag.encode() * 8, name=f"{tag}.png", max_bytes=1_000_000)
    upload.message_id = msg.id
    upload.created_at = at
    upload.last_uploaded_at = at
    msg.attachments = [*msg.attachments, {"kind": "image", "name": upload.name, "mime_type": upload.mime_type,
                                          "size": upload.size, "upload_id": upload.id, "state": "stored"}]
    s.flush()
    return upload


def file_exists(world: World, upload: Upload) -> bool:
    return store.path_for(world.runtime.settings.data_dir, upload.workspace_id, upload.sha256).is_file()


def raw_event(s: Session, world: World, at: datetime, status: str, key: str) -> RawEvent:
    row = RawEvent(workspace_id=world.workspace_id, channel_account_id=world.account.id, event_key=key,
                   body=b"{}", status=status, created_at=at)
    s.add(row)
    s.flush()
    return row


def audit_entry(s: Session, world: World, at: datetime) -> AuditEntry:
    row = AuditEntry(workspace_id=world.workspace_id, at=at, event="SettingsChanged", summary="test")
    s.add(row)
    s.flush()
    return row


def clear_audit_log(world: World) -> None:
    """Start the workspace's audit log empty (so that entries backdated by a test come first in the chain)."""
    with world.runtime.db.transaction() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.workspace_id == world.workspace_id))


def fake_audit_purge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the audit log's ``compris.auditlog.actions.purge_before(session, workspace_id, before)`` is merged, a
    stand-in with its signature (deletes the workspace's entries recorded before ``before``, returns how many)."""
    try:
        from compris.auditlog import actions
    except ImportError:
        actions = None  # type: ignore[assignment]
    if actions is not None and hasattr(actions, "purge_before"):
        return

    def purge_before(session: Session, workspace_id: int, before: datetime) -> int:
        # as the real one: the oldest run of the chain (ids' order) whose entries are all older than ``before``
        first_kept = session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.workspace_id == workspace_id,
                                                                          AuditEntry.at >= before))
        older = [AuditEntry.workspace_id == workspace_id, AuditEntry.at < before]
        if first_kept is not None:
            older.append(AuditEntry.id < first_kept)
        found = int(session.scalar(select(func.count()).select_from(AuditEntry).where(*older)) or 0)
        session.execute(delete(AuditEntry).where(*older))
        return found

    fake: Any = types.ModuleType("compris.auditlog.actions")
    fake.purge_before = purge_before
    monkeypatch.setitem(sys.modules, "compris.auditlog.actions", fake)
