"""Reads of erasure: what one contact's erasure reaches (their scope), the erasure records, and who a platform's
deletion request names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from compris.inbox.queries import get_contact, merged_into
from compris.kit.errors import NotFound
from compris.models import Case, Contact, Erasure, Identity, Message, User

#: how many records the erasures page and the API list
RECORDS_SHOWN = 200


@dataclass
class Scope:
    """Everything of one person: the contact (and the contacts merged into it), their identities, their cases,
    and the messages of those cases plus any message one of their identities wrote elsewhere."""

    contact: Contact
    contact_ids: list[int]
    identities: list[Identity]
    case_ids: list[int]
    message_ids: list[int]
    #: the messages they wrote (inbound, by one of their identities)
    authored_ids: list[int] = field(default_factory=list)


def _merged_sources(session: Session, workspace_id: int, contact_id: int) -> list[int]:
    """``contact_id`` and every contact merged into it, directly or through merges of merges."""
    found = [contact_id]
    frontier = [contact_id]
    while frontier:
        more = [c for c in session.scalars(select(Contact.id).where(
            Contact.workspace_id == workspace_id, Contact.merged_into_id.in_(frontier))) if c not in found]
        found.extend(more)
        frontier = more
    return found


def scope_of(session: Session, workspace_id: int, contact_id: int) -> Scope:
    """The scope of erasing ``contact_id`` (followed to the contact it was merged into: the same person)."""
    contact = get_contact(session, workspace_id, contact_id)
    contact = merged_into(session, contact) or contact
    contact_ids = _merged_sources(session, workspace_id, contact.id)
    identities = list(session.scalars(select(Identity).where(
        Identity.workspace_id == workspace_id, Identity.contact_id.in_(contact_ids)).order_by(Identity.id)))
    identity_ids = [i.id for i in identities]
    case_ids = list(session.scalars(select(Case.id).where(
        Case.workspace_id == workspace_id, Case.contact_id.in_(contact_ids)).order_by(Case.id)))
    conditions = [Message.case_id.in_(case_ids)] if case_ids else []
    if identity_ids:
        conditions.append(Message.author_identity_id.in_(identity_ids))
    rows = session.execute(select(Message.id, Message.author_identity_id).where(
        Message.workspace_id == workspace_id, or_(*conditions)).order_by(Message.id)).all() if conditions else []
    mine = set(identity_ids)
    authored = [m for m, author in rows if author is not None and author in mine]
    return Scope(contact=contact, contact_ids=contact_ids, identities=identities, case_ids=case_ids,
                 message_ids=[m for m, _ in rows], authored_ids=authored)


def erasures(session: Session, workspace_id: int, limit: int = RECORDS_SHOWN) -> list[Erasure]:
    """The workspace's erasure records, newest first."""
    return list(session.scalars(select(Erasure).where(Erasure.workspace_id == workspace_id)
                                .order_by(Erasure.created_at.desc(), Erasure.id.desc()).limit(limit)))


def requesters(session: Session, rows: Sequence[Erasure]) -> dict[int, str]:
    """The names of the people who asked for ``rows`` (by user id)."""
    ids = {r.requested_by_id for r in rows if r.requested_by_id is not None}
    if not ids:
        return {}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))}


def by_code(session: Session, code: str) -> list[Erasure]:
    """The erasures of this confirmation code (the public status page, any workspace): the record it names and,
    when one deletion request erased several contacts, the others (``<code>-2``, ``<code>-3``...)."""
    if not re.fullmatch(r"[0-9A-F]{8,32}", code or ""):
        raise NotFound("no such erasure")
    found = list(session.scalars(select(Erasure).where(or_(Erasure.confirmation_code == code,
                                                             Erasure.confirmation_code.like(f"{code}-%")))
                                 .order_by(Erasure.id)))
    if not found:
        raise NotFound("no such erasure")
    return found


def contacts_of_platform_user(session: Session, workspace_id: int, networks: Sequence[str],
                              platform_user_id: str) -> list[int]:
    """The contacts whose identity on one of ``networks`` is ``platform_user_id`` (a deletion request)."""
    if not networks or not platform_user_id:
        return []
    return sorted(set(session.scalars(select(Identity.contact_id).where(
        Identity.workspace_id == workspace_id, Identity.network.in_(list(networks)),
        Identity.platform_user_id == platform_user_id))))
