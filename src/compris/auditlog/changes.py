"""Before/after of settings for the audit log.

A ``before_flush`` hook (:func:`install`, once per process) notes, the first time a row of a settings table is
flushed in a transaction, its values as they were before the transaction touched it (nothing for a new row). The
audit listener of :class:`~compris.events.SettingsChanged` then asks :func:`before_after` for the row the event
names: the noted values, and the row's values now (nothing for a deleted row). Secrets are never shown: any column
whose name says secret, password, token, hash, credential, encrypted or private, and every binary column, reads
``"•••"``.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import LargeBinary, event, inspect
from sqlalchemy.orm import Session

MASK = "•••"
KEY = "compris.auditlog.before"

#: SettingsChanged's ``entity`` -> the table of its rows (an entity not listed here: ``<entity>s``)
TABLES: dict[str, str] = {
    "team": "teams",
    "team_member": "team_members",
    "agent_profile": "agent_profiles",
    "routing_rule": "routing_rules",
    "sla_policy": "sla_policies",
    "business_hours": "business_hours",
    "sla_settings": "sla_settings",
    "wait_publication": "wait_publications",
    "template": "reply_templates",
    "reply_settings": "reply_settings",
    "channel_account": "channel_accounts",
    "user": "users",
    "api_token": "api_tokens",
    "survey_settings": "survey_settings",
    "mail_settings": "mail_settings",
    "webhook_subscription": "webhook_subscriptions",
    "objective": "analytics_objectives",
    "listening_settings": "listening_settings",
    "tag": "tags",
    "partner": "partners",
    "business_action": "business_actions",
    "workspace": "workspaces",
    "retention_policy": "retention_policies",
    "invitation": "invitations",
}

#: the tables whose rows are settings (their before/after is worth keeping)
SETTINGS_TABLES = frozenset(TABLES.values())

SECRET_WORDS = ("secret", "password", "passwd", "token", "hash", "credential", "encrypted", "cipher", "private")

#: columns that move on their own (bookkeeping), never worth a before/after
NOISE = frozenset({"id", "workspace_id", "updated_at", "last_used_at", "last_login_at", "last_seen_at",
                   "poll_state", "polled_at", "poll_error", "password_changed_at", "nonce"})


def is_secret(column: str) -> bool:
    name = column.lower()
    return any(word in name for word in SECRET_WORDS)


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON can hold it (dates as ISO 8601, enums by value, bytes hidden), secrets masked in dicts."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value, depth)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return MASK
    if depth > 6:
        return str(value)[:200]
    if isinstance(value, dict):
        return {str(k): MASK if is_secret(str(k)) else json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [json_safe(v, depth + 1) for v in items]
    return str(value)[:500]


def _columns(obj: Any) -> list[tuple[str, bool]]:
    """(attribute key, hidden) of the row's mapped columns worth showing."""
    mapper = inspect(obj).mapper
    found = []
    for attr in mapper.column_attrs:
        if attr.key in NOISE:
            continue
        column = attr.columns[0]
        hidden = is_secret(attr.key) or is_secret(column.name) or isinstance(column.type, LargeBinary)
        found.append((attr.key, hidden))
    return found


def _original(obj: Any) -> dict[str, Any]:
    """The row's values before this flush's changes (as loaded)."""
    state = inspect(obj)
    values: dict[str, Any] = {}
    for key, hidden in _columns(obj):
        history = state.attrs[key].history
        value = history.deleted[0] if history.deleted else history.unchanged[0] if history.unchanged else None
        values[key] = _value(value, hidden)
    return values


def _value(value: Any, hidden: bool) -> Any:
    """A value as noted: a secret as the mask followed by a digest of it (to tell whether it changed; the digest
    never leaves this module)."""
    if not hidden or value in (None, ""):
        return json_safe(value)
    return MASK + hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _shown(values: dict[str, Any] | None) -> dict[str, Any]:
    return {k: MASK if isinstance(v, str) and v.startswith(MASK) else v for k, v in (values or {}).items()}


def current(obj: Any) -> dict[str, Any]:
    """The row's values now (secrets as noted by :func:`_value`)."""
    values: dict[str, Any] = {}
    for key, hidden in _columns(obj):
        values[key] = _value(getattr(obj, key, None), hidden)
    return values


def _table(obj: Any) -> str | None:
    table = getattr(obj, "__tablename__", None)
    return table if isinstance(table, str) else None


def _note(session: Session, _flush_context: Any, _instances: Any) -> None:
    """``before_flush``: remember the pre-transaction values of the settings rows this flush writes."""
    noted: dict[int, tuple[Any, dict[str, Any] | None, bool]] | None = session.info.get(KEY)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if _table(obj) not in SETTINGS_TABLES:
            continue
        if noted is None:
            noted = session.info[KEY] = {}
        deleted = obj in session.deleted
        if id(obj) in noted:
            if deleted:
                held, before, _ = noted[id(obj)]
                noted[id(obj)] = (held, before, True)
            continue
        if obj in session.new:
            noted[id(obj)] = (obj, None, False)
        elif deleted or session.is_modified(obj, include_collections=False):
            noted[id(obj)] = (obj, _original(obj), deleted)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(KEY, None)


_installed = False


def install() -> None:
    """Install the hook on every session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _note)
    event.listen(Session, "after_commit", _forget)
    event.listen(Session, "after_soft_rollback", _forget)
    _installed = True


def before_after(session: Session, entity: str, entity_id: int | None,
                 workspace_id: int | None) -> dict[str, dict[str, Any]] | None:
    """``{"before": {...}, "after": {...}}`` of the row ``entity``/``entity_id`` written in this transaction, only
    the fields that differ (all of them for a created or deleted row); ``None`` when no such row was noted."""
    table = TABLES.get(entity, f"{entity}s")
    if table not in SETTINGS_TABLES:
        return None
    session.flush()  # rows changed since the last flush are noted now
    noted: dict[int, tuple[Any, dict[str, Any] | None, bool]] = session.info.get(KEY) or {}
    candidates = [(obj, before, deleted) for obj, before, deleted in noted.values() if _table(obj) == table
                  and (getattr(obj, "workspace_id", workspace_id) == workspace_id or table == "workspaces")]
    if entity_id is not None:
        candidates = [c for c in candidates if getattr(c[0], "id", None) == entity_id]
    if len(candidates) != 1:
        return None
    obj, before, deleted = candidates[0]
    after = None if deleted else current(obj)
    if before is None or after is None:
        return {"before": _shown(before), "after": _shown(after)}
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {"before": _shown({k: before.get(k) for k in keys}), "after": _shown({k: after[k] for k in keys})}
