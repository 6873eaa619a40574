"""Reads of notifications, always the signed-in user's own (another user's notification is "not found")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from compris.kit.errors import NotFound
from compris.models import Case, Notification, NotificationPreference, User
from compris.notifications.kinds import GROUPS, group_of

PER_PAGE = 30
MENU_SIZE = 8


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    case_number: int | None
    message_id: int | None
    actor_name: str
    excerpt: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def url(self) -> str:
        """Where it leads: the case, at the note that mentions the user."""
        if self.case_number is None:
            return "/notifications"
        return f"/cases/{self.case_number}" + (f"#message-{self.message_id}" if self.message_id else "")

    def values(self) -> dict[str, Any]:
        """The values of its sentence (``kinds.SENTENCES``)."""
        return {"n": self.case_number if self.case_number is not None else "?", "actor": self.actor_name or "?",
                "partner": str(self.data.get("partner") or "?"), "rating": self.data.get("rating", "?")}


@dataclass(frozen=True)
class Page:
    items: list[Item]
    page: int
    pages: int
    total: int
    unread: int


@dataclass(frozen=True)
class Preferences:
    muted: frozenset[str]
    browser: bool

    def enabled(self, group: str) -> bool:
        return group not in self.muted

    def wants(self, kind: str) -> bool:
        return group_of(kind) not in self.muted


def _select(user: User) -> Select[Notification, int, str]:
    actor = aliased(User)
    return (select(Notification, Case.number, actor.name)
            .outerjoin(Case, Case.id == Notification.case_id)
            .outerjoin(actor, actor.id == Notification.actor_user_id)
            .where(Notification.user_id == user.id, Notification.workspace_id == user.workspace_id))


def _item(row: Notification, number: int | None, actor: str | None) -> Item:
    return Item(id=row.id, kind=row.kind, case_number=number, message_id=row.message_id, actor_name=actor or "",
                excerpt=row.excerpt, data=dict(row.data or {}), created_at=row.created_at, read_at=row.read_at)


def unread_count(session: Session, user: User) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0)


def latest(session: Session, user: User, limit: int = MENU_SIZE) -> list[Item]:
    """The newest notifications, read or not (the bell's menu)."""
    rows = session.execute(_select(user).order_by(Notification.id.desc()).limit(limit))
    return [_item(n, number, actor) for n, number, actor in rows]


def page_of(session: Session, user: User, *, page: int = 1, unread_only: bool = False,
            per_page: int = PER_PAGE) -> Page:
    """One page of the user's notifications, newest first (a page past the end: the last one)."""
    where = [Notification.user_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = int(session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    query = _select(user)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = session.execute(query.order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return Page(items=[_item(n, number, actor) for n, number, actor in rows], page=page, pages=pages, total=total,
                unread=unread_count(session, user))


def before(session: Session, user: User, *, before_id: int | None, limit: int, unread_only: bool) -> list[Item]:
    """Keyset pages for the API: the ``limit`` newest with an id below ``before_id``."""
    query = _select(user)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit))
    return [_item(n, number, actor) for n, number, actor in rows]


def one(session: Session, user: User, notification_id: int) -> Item:
    row = session.execute(_select(user).where(Notification.id == notification_id)).first()
    if row is None:
        raise NotFound("no such notification")
    return _item(*row)


def preferences(session: Session, user: User) -> Preferences:
    row = session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    if row is None:
        return Preferences(muted=frozenset(), browser=False)
    return Preferences(muted=frozenset(str(g) for g in (row.muted or []) if g in GROUPS), browser=bool(row.browser))


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    handle: str


def mentionable(session: Session, workspace_id: int) -> list[Person]:
    """The workspace's active users, by name (the note box's "@" suggestions)."""
    rows = session.execute(select(User.id, User.name, User.email)
                           .where(User.workspace_id == workspace_id, User.is_active.is_(True)).order_by(User.name))
    return [Person(int(uid), str(name), str(email).split("@", 1)[0]) for uid, name, email in rows]
