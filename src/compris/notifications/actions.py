"""Every write of notifications: create them (from the listeners, inside the event's transaction; once per user and
occurrence), mark them read, save a user's preferences, purge the old ones.

A notification is the user's own UI state, like presence: reading one emits no domain event (the audit log would
fill with clicks); saving preferences is a profile change (the ``user`` settings entry of the audit log). The
user's open pages are told after commit (a live ``notification`` event naming the user; the bell fetches its own
fragment, so no text travels to the workspace's other browsers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from compris import audit
from compris.kit.clock import now
from compris.kit.errors import Invalid, NotFound
from compris.live import Publisher
from compris.models import Case, Notification, NotificationPreference, User
from compris.notifications.kinds import GROUPS, KINDS, group_of

EXCERPT_MAX = 140
LIVE_KIND = "notification"
PURGE_BATCH = 5000


def excerpt(text: str | None, limit: int = EXCERPT_MAX) -> str:
    """A short plain-text excerpt: white space folded, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _muted(session: Session, user_ids: Sequence[int]) -> dict[int, set[str]]:
    rows = session.execute(select(NotificationPreference.user_id, NotificationPreference.muted)
                           .where(NotificationPreference.user_id.in_(user_ids)))
    return {int(uid): {str(g) for g in (muted or [])} for uid, muted in rows}


def notify(
    session: Session,
    publisher: Publisher,
    *,
    case: Case,
    user_ids: Iterable[int | None],
    kind: str,
    key: str,
    actor_user_id: int | None = None,
    message_id: int | None = None,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> list[int]:
    """One notification of ``kind`` about ``case`` for each of ``user_ids`` that is an active user of the case's
    workspace, is not the actor and has not muted the kind; ``key`` names the occurrence, so the same occurrence
    never notifies anyone twice. Returns the ids of the new notifications (told to their users after commit)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    wanted = sorted({int(u) for u in user_ids if u is not None and u != actor_user_id})
    if not wanted:
        return []
    active = [int(u) for u in session.scalars(select(User.id).where(
        User.id.in_(wanted), User.workspace_id == case.workspace_id, User.is_active.is_(True)))]
    muted = _muted(session, active)
    group = group_of(kind)
    table: Table = Notification.__table__  # type: ignore[assignment]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    made: list[int] = []
    at = now()
    for user_id in sorted(active):
        if group in muted.get(user_id, set()):
            continue
        stmt = (insert(table).values(workspace_id=case.workspace_id, created_at=at, user_id=user_id, kind=kind,
                                     case_id=case.id, message_id=message_id, actor_user_id=actor_user_id,
                                     excerpt=excerpt(text), data=data or {}, dedupe_key=key[:200], read_at=None)
                .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"]).returning(table.c.id))
        new_id = session.execute(stmt).scalar()
        if new_id is None:
            continue  # this occurrence was already notified
        made.append(int(new_id))
        publisher.publish(session, case.workspace_id, LIVE_KIND, user_id=user_id, notification_id=int(new_id),
                          change="new", notification_kind=kind, number=case.number)
    return made


def _own(session: Session, user: User, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user.id or row.workspace_id != user.workspace_id:
        raise NotFound("no such notification")
    return row


def mark_read(session: Session, publisher: Publisher, user: User, notification_id: int) -> Notification:
    """One of the user's notifications read (another user's, or none: 404). Already read: unchanged."""
    row = _own(session, user, notification_id)
    if row.read_at is None:
        row.read_at = now()
        session.flush()
        publisher.publish(session, user.workspace_id, LIVE_KIND, user_id=user.id, notification_id=row.id,
                          change="read")
    return row


def mark_all_read(session: Session, publisher: Publisher, user: User, *, up_to: int | None = None) -> int:
    """Every unread notification of the user read (``up_to``: only those with an id up to it — what the user saw;
    one that arrived meanwhile stays unread). Returns how many."""
    where = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if up_to is not None:
        where.append(Notification.id <= up_to)
    count = int(session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
    if count:
        session.execute(update(Notification).where(*where).values(read_at=now()))
        publisher.publish(session, user.workspace_id, LIVE_KIND, user_id=user.id, change="read_all")
    return count


def save_preferences(session: Session, publisher: Publisher | None, user: User, *, enabled: Iterable[str],
                     browser: bool) -> NotificationPreference:
    """The groups the user wants (every other one muted) and whether they want browser notifications. An unknown
    group is refused (422)."""
    wanted = {str(g) for g in enabled}
    unknown = sorted(wanted - set(GROUPS))
    if unknown:
        raise Invalid(f"unknown notification kind: {', '.join(unknown)}")
    muted = sorted(set(GROUPS) - wanted)
    row = session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    if row is None:
        row = NotificationPreference(workspace_id=user.workspace_id, user_id=user.id, muted=[], browser=False)
        session.add(row)
    changes = []
    if sorted(row.muted or []) != muted:
        row.muted = muted
        changes.append("notification_kinds")
    if row.browser != browser:
        row.browser = browser
        changes.append("browser_notifications")
    if changes:
        row.updated_at = now()
        session.flush()
        audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=user.id, entity="user",
                     action="updated", entity_id=user.id, changes=changes)
    return row


def purge_before(session: Session, cutoff: datetime, *, batch: int = PURGE_BATCH) -> int:
    """Delete up to ``batch`` notifications created before ``cutoff`` (read or not); returns how many."""
    ids = list(session.scalars(select(Notification.id).where(Notification.created_at < cutoff)
                               .order_by(Notification.id).limit(batch)))
    if not ids:
        return 0
    session.execute(delete(Notification).where(Notification.id.in_(ids)))
    return len(ids)
