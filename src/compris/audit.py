"""Administrative writes: their audit row and their domain event, written once here.

Every action that changes a workspace's settings (teams, rules, SLA policies, templates, channel accounts, users,
tokens...) ends with :func:`record` (the generic ``settings_changed`` row and the event) or, when the timeline has a
recorder of its own for that change (``template_created``, ``channel_connected``, ``user_created``...), calls that
recorder and then :func:`announce`. ``publisher`` may be None outside a server (the CLI, the demo loader, a test
world): :meth:`~compris.live.Publisher.outside_server` is used then.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import SettingsChanged
from compris.live import Publisher


def announce(session: Session, publisher: Publisher | None, *, workspace_id: int, actor_user_id: int | None,
             entity: str, action: str, entity_id: int | None, changes: Iterable[str] = ()) -> None:
    """Emit :class:`~compris.events.SettingsChanged` (the caller wrote the audit row with its own recorder)."""
    bus.emit(session, publisher or Publisher.outside_server(session), SettingsChanged(
        workspace_id=workspace_id, actor_user_id=actor_user_id, entity=entity, action=action, entity_id=entity_id,
        changes=tuple(sorted(set(changes)))))


def record(session: Session, publisher: Publisher | None, *, workspace_id: int, actor_user_id: int | None,
           entity: str, action: str, entity_id: int | None, changes: Iterable[str] = ()) -> None:
    """The ``settings_changed`` audit row and the event of one administrative write; an update that changed
    nothing leaves neither."""
    changed = sorted(set(changes))
    if action == "updated" and not changed:
        return
    timeline.settings_changed(session, workspace_id=workspace_id, actor_user_id=actor_user_id, entity=entity,
                              action=action, entity_id=entity_id, changes=changed)
    announce(session, publisher, workspace_id=workspace_id, actor_user_id=actor_user_id, entity=entity,
             action=action, entity_id=entity_id, changes=changed)
