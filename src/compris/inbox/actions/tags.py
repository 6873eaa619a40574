"""Free tags: the workspace's tags (create, rename, recolour, delete) and the tags on a case.

A tag's ``key`` is its normalised name (:func:`tag_key`: accents and case folded, blanks collapsed), unique per
workspace: "Colis perdu", "colis  PERDU" and "Colis perdü" are one tag, shown with the name it was first given
(or renamed to). Agents tag cases freely (a name not yet known creates the tag); renaming, recolouring and deleting a
workspace's tags is for supervisors and admins (checked by the web layer), and leaves an audit row.

Tagging a case writes its ``tagged`` timeline row, emits :class:`~compris.events.CaseTagged` (names as shown) and
publishes the case; nothing is written when nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compris import audit, bus, timeline
from compris.events import CaseTagged
from compris.inbox.tagnames import COLORS, MAX_NAME, MAX_PER_CASE, MAX_TAGS, check_color, clean_name, tag_key
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import Case, CaseTag, Tag, User

__all__ = [
    "COLORS",
    "MAX_NAME",
    "MAX_PER_CASE",
    "MAX_TAGS",
    "TagChange",
    "case_tags",
    "check_color",
    "clean_name",
    "create_tag",
    "delete_tag",
    "ensure_tags",
    "find_tag",
    "get_tag",
    "set_case_tags",
    "tag_case",
    "tag_key",
    "update_tag",
]


def find_tag(session: Session, workspace_id: int, name: str) -> Tag | None:
    """The workspace's tag of that name (normalised), or None."""
    return session.scalar(select(Tag).where(Tag.workspace_id == workspace_id, Tag.key == tag_key(name)))


def _count_tags(session: Session, workspace_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Tag).where(Tag.workspace_id == workspace_id)) or 0)


def ensure_tags(session: Session, workspace_id: int, names: Iterable[str]) -> list[Tag]:
    """The tags named (normalised, in order, once each), created when the workspace has none of that name."""
    wanted: dict[str, str] = {}
    for name in names:
        shown = clean_name(name)
        wanted.setdefault(tag_key(shown), shown)
    if len(wanted) > MAX_PER_CASE:
        raise Invalid.of("at most %(max)s tags at once", max=MAX_PER_CASE)
    if not wanted:
        return []
    found = {t.key: t for t in session.scalars(
        select(Tag).where(Tag.workspace_id == workspace_id, Tag.key.in_(list(wanted))))}
    missing = [k for k in wanted if k not in found]
    if missing and _count_tags(session, workspace_id) + len(missing) > MAX_TAGS:
        raise Invalid.of("a workspace has at most %(max)s tags: delete unused ones first", max=MAX_TAGS)
    for key in missing:
        tag: Tag | None = Tag(workspace_id=workspace_id, name=wanted[key], key=key)
        try:
            with session.begin_nested():  # another request may create the same tag at the same moment
                session.add(tag)
                session.flush()
        except IntegrityError:  # the unique (workspace, key) won the race: take that tag
            tag = session.scalar(select(Tag).where(Tag.workspace_id == workspace_id, Tag.key == key))
            if tag is None:
                raise Conflict("the tag could not be created: try again") from None
        assert tag is not None
        found[key] = tag
    return [found[k] for k in wanted]


# --- the workspace's tags (supervisors and admins) ---------------------------------------------------------------


def create_tag(session: Session, publisher: Publisher, *, actor: User, name: str, color: str | None = None) -> Tag:
    shown = clean_name(name)
    if find_tag(session, actor.workspace_id, shown) is not None:
        raise Conflict.of("the tag %(name)s already exists", name=shown)
    color = check_color(color)
    (tag,) = ensure_tags(session, actor.workspace_id, [shown])
    tag.color = color
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="tag",
                 action="created", entity_id=tag.id, changes=["name", *(["color"] if color else [])])
    publisher.publish(session, actor.workspace_id, "tags", tag_id=tag.id, change="created")
    return tag


def get_tag(session: Session, workspace_id: int, tag_id: int) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.workspace_id == workspace_id, Tag.id == tag_id))
    if tag is None:
        raise NotFound("no such tag")
    return tag


def update_tag(session: Session, publisher: Publisher, *, actor: User, tag: Tag, name: str | None = None,
               color: str | None = None, set_color: bool = False) -> Tag:
    """Rename (the same key or a key no other tag holds) and/or recolour (``set_color``: ``color`` is meant, None
    being the default grey)."""
    if tag.workspace_id != actor.workspace_id:
        raise NotFound("no such tag")
    changes: list[str] = []
    if name is not None:
        shown = clean_name(name)
        key = tag_key(shown)
        other = session.scalar(select(Tag).where(Tag.workspace_id == tag.workspace_id, Tag.key == key,
                                                 Tag.id != tag.id))
        if other is not None:
            raise Conflict.of("the tag %(name)s already exists", name=other.name)
        if shown != tag.name:
            tag.name, tag.key = shown, key
            changes.append("name")
    if set_color:
        new_color = check_color(color)
        if new_color != tag.color:
            tag.color = new_color
            changes.append("color")
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="tag",
                 action="updated", entity_id=tag.id, changes=changes)
    if changes:
        publisher.publish(session, actor.workspace_id, "tags", tag_id=tag.id, change="updated")
    return tag


def delete_tag(session: Session, publisher: Publisher, *, actor: User, tag: Tag) -> int:
    """Delete a tag: it leaves every case that had it (their timelines keep the history). Returns how many cases
    had it."""
    if tag.workspace_id != actor.workspace_id:
        raise NotFound("no such tag")
    cases = int(session.scalar(select(func.count()).select_from(CaseTag).where(
        CaseTag.workspace_id == tag.workspace_id, CaseTag.tag_id == tag.id)) or 0)
    session.execute(delete(CaseTag).where(CaseTag.workspace_id == tag.workspace_id, CaseTag.tag_id == tag.id))
    tag_id = tag.id
    session.delete(tag)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="tag",
                 action="deleted", entity_id=tag_id, changes=["name"])
    publisher.publish(session, actor.workspace_id, "tags", tag_id=tag_id, change="deleted")
    return cases


# --- tags on a case ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagChange:
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def case_tags(session: Session, case: Case) -> list[Tag]:
    """The case's tags, by name."""
    return list(session.scalars(
        select(Tag).join(CaseTag, CaseTag.tag_id == Tag.id)
        .where(CaseTag.workspace_id == case.workspace_id, CaseTag.case_id == case.id)
        .order_by(Tag.key)))


def tag_case(
    session: Session,
    publisher: Publisher,
    *,
    actor: User | None,
    case: Case,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> TagChange:
    """Add the tags ``add`` (created when new) and remove the tags ``remove`` (unknown names are ignored) on
    ``case``. ``actor`` None: the system. One ``tagged`` timeline row and one :class:`CaseTagged` for the whole
    change; nothing when nothing changed."""
    if actor is not None and actor.workspace_id != case.workspace_id:
        raise NotFound("no such case")
    current = {t.key: t for t in case_tags(session, case)}
    remove_keys = {tag_key(n) for n in remove}
    to_add = [t for t in ensure_tags(session, case.workspace_id, add) if t.key not in current
              and t.key not in remove_keys]
    to_remove = [t for k, t in current.items() if k in remove_keys]
    if len(current) - len(to_remove) + len(to_add) > MAX_PER_CASE:
        raise Invalid.of("a case has at most %(max)s tags", max=MAX_PER_CASE)
    actor_id = actor.id if actor is not None else None
    for tag in to_add:
        session.add(CaseTag(workspace_id=case.workspace_id, case_id=case.id, tag_id=tag.id,
                            added_by_user_id=actor_id))
    if to_remove:
        session.execute(delete(CaseTag).where(CaseTag.workspace_id == case.workspace_id, CaseTag.case_id == case.id,
                                              CaseTag.tag_id.in_([t.id for t in to_remove])))
    change = TagChange(tuple(t.name for t in to_add), tuple(t.name for t in to_remove))
    if not change.changed:
        return change
    session.flush()
    timeline.tagged(session, case, added=change.added, removed=change.removed, actor_user_id=actor_id)
    bus.emit(session, publisher, CaseTagged(workspace_id=case.workspace_id, actor_user_id=actor_id, case_id=case.id,
                                            added=change.added, removed=change.removed))
    publish_case(session, publisher, case, "tags")
    return change


def set_case_tags(session: Session, publisher: Publisher, *, actor: User | None, case: Case,
                  names: Sequence[str]) -> TagChange:
    """Make the case's tags exactly ``names`` (the API's PUT, the case page's editor)."""
    wanted = {tag_key(n) for n in names}
    current = case_tags(session, case)
    return tag_case(session, publisher, actor=actor, case=case, add=list(names),
                    remove=[t.name for t in current if t.key not in wanted])
