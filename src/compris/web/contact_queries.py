"""Reads behind the contact page and the contacts API: one contact with its identities and cases, a search for
another contact to merge into, and the cases a case may be merged into.

Every lookup is scoped to a workspace: another workspace's contact is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import ACTIVE_STATUSES, Case, Contact, Identity

CASES_SHOWN = 50
SEARCH_LIMIT = 20


@dataclass
class ContactView:
    contact: Contact
    identities: list[Identity]
    cases: list[Case]  # newest first, up to CASES_SHOWN
    merged_into: Contact | None = None  # the contact this one was merged into (it then has no identity left)


@dataclass
class ContactMatch:
    contact: Contact
    identities: list[Identity] = field(default_factory=list)


def get_contact(session: Session, workspace_id: int, contact_id: int, *, for_update: bool = False) -> Contact:
    query = select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == contact_id)
    if for_update:
        query = query.with_for_update()
    contact = session.scalar(query)
    if contact is None:
        raise NotFound("no such contact")
    return contact


def get_identity(session: Session, contact: Contact, identity_id: int) -> Identity:
    """One identity of ``contact`` (an identity of any other contact is "not found")."""
    identity = session.scalar(select(Identity).where(Identity.id == identity_id, Identity.contact_id == contact.id,
                                                     Identity.workspace_id == contact.workspace_id))
    if identity is None:
        raise NotFound("no such identity")
    return identity


def merged_into(session: Session, contact: Contact) -> Contact | None:
    """The contact ``contact`` now lives in (following merges of merges), or None when it was never merged."""
    seen = {contact.id}
    current = contact
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        following = session.get(Contact, current.merged_into_id)
        if following is None or following.workspace_id != contact.workspace_id:
            break
        seen.add(following.id)
        current = following
    return current if current.id != contact.id else None


def identities_of(session: Session, contact_id: int) -> list[Identity]:
    return list(session.scalars(select(Identity).where(Identity.contact_id == contact_id).order_by(Identity.id)))


def contact_view(session: Session, workspace_id: int, contact_id: int) -> ContactView:
    contact = get_contact(session, workspace_id, contact_id)
    cases = list(session.scalars(select(Case).where(Case.contact_id == contact.id)
                                 .order_by(Case.id.desc()).limit(CASES_SHOWN)))
    return ContactView(contact, identities_of(session, contact.id), cases, merged_into(session, contact))


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_contacts(session: Session, workspace_id: int, q: str, *, exclude_id: int | None = None,
                    limit: int = SEARCH_LIMIT) -> list[ContactMatch]:
    """Contacts whose name, or one of whose identities' handle, name or network id, contains ``q`` (any case).
    Contacts merged into another are left out (their identities live in that other one)."""
    if not q.strip():
        return []
    like = _like(q)
    by_identity = select(Identity.contact_id).where(
        Identity.workspace_id == workspace_id,
        or_(func.lower(Identity.handle).like(like, escape="\\"), func.lower(Identity.name).like(like, escape="\\"),
            func.lower(Identity.platform_user_id).like(like, escape="\\")),
    )
    query = (select(Contact)
             .where(Contact.workspace_id == workspace_id, Contact.merged_into_id.is_(None),
                    or_(func.lower(Contact.display_name).like(like, escape="\\"), Contact.id.in_(by_identity)))
             .order_by(Contact.display_name, Contact.id).limit(limit))
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    contacts = list(session.scalars(query))
    identities: dict[int, list[Identity]] = {c.id: [] for c in contacts}
    if contacts:
        for identity in session.scalars(select(Identity).where(Identity.contact_id.in_(list(identities)))
                                        .order_by(Identity.id)):
            identities[identity.contact_id].append(identity)
    return [ContactMatch(c, identities[c.id]) for c in contacts]


def merge_targets(session: Session, case: Case) -> list[Case]:
    """The customer's other cases still being worked on (not resolved or closed), newest first: what ``case``
    may be merged into from the case page."""
    return list(session.scalars(
        select(Case).where(Case.workspace_id == case.workspace_id, Case.contact_id == case.contact_id,
                           Case.id != case.id, Case.status.in_([str(s) for s in ACTIVE_STATUSES]))
        .order_by(Case.id.desc()).limit(CASES_SHOWN)
    ))


def check_mergeable(session: Session, source: Contact, target: Contact) -> None:
    """Refuse a merge the merge action would get wrong: a contact already merged away has nothing left to move,
    and one merged away cannot take identities (they would vanish from every view)."""
    if source.merged_into_id is not None:
        raise Conflict("this contact was already merged into another")
    if target.merged_into_id is not None:
        current = merged_into(session, target)
        raise Invalid.of("that contact was merged into another (%(name)s): merge into that one",
                         name=current.display_name if current is not None else "?")
