"""Writes of the workspace's reply settings (tone of voice, the guard, which role may promise what)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import audit, timeline
from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.models import ReplySettings, Role, User
from compris.replies.settings import PERMISSIONS, normalised_guard, validate_guard


def save_reply_settings(
    session: Session,
    *,
    actor: User,
    tone_guide: str,
    guard_data: Mapping[str, Any],
    permissions: Mapping[str, Sequence[str]],
    publisher: Publisher | None = None,
) -> ReplySettings:
    """Replace the workspace's reply settings; audited (``reply_settings_changed``) and announced
    (``SettingsChanged``, entity ``reply_settings``). ``publisher`` may be left out outside a web process."""
    if len(tone_guide) > 5000:
        raise Invalid("the tone-of-voice guide is limited to 5,000 characters")
    guard_data = normalised_guard(guard_data)
    validate_guard(guard_data)
    perms: dict[str, list[str]] = {}
    for role, names in permissions.items():
        if role not in {r.value for r in Role}:
            raise Invalid(f"unknown role {role!r}")
        unknown = sorted(set(names) - set(PERMISSIONS))
        if unknown:
            raise Invalid(f"unknown permissions: {', '.join(unknown)}")
        perms[role] = sorted(set(names))
    row = session.scalar(
        select(ReplySettings).where(ReplySettings.workspace_id == actor.workspace_id).with_for_update()
    )
    if row is None:
        row = ReplySettings(workspace_id=actor.workspace_id)
        session.add(row)
    new: dict[str, Any] = {"tone_guide": tone_guide.strip(), "guard": dict(guard_data), "permissions": perms}
    changes = [key for key, value in new.items() if getattr(row, key, None) != value]
    for key, value in new.items():
        setattr(row, key, value)
    row.updated_by_id = actor.id
    session.flush()
    timeline.reply_settings_changed(session, workspace_id=actor.workspace_id, actor_user_id=actor.id)
    audit.announce(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                   entity="reply_settings", action="updated", entity_id=row.id, changes=changes)
    return row
