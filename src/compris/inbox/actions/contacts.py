"""Merging contacts (the same person on several networks) and undoing it, one identity at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import ContactsMerged, IdentityUnmerged
from compris.inbox.queries import merged_into
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import Case, Contact, Identity, User


def merge_contacts(session: Session, publisher: Publisher, *, actor: User, source: Contact, target: Contact) -> None:
    """Merge ``source`` into ``target``: its identities and cases move; the merge can be undone per identity."""
    if source.id == target.id:
        raise Invalid("a contact cannot be merged into itself")
    if source.workspace_id != target.workspace_id or source.workspace_id != actor.workspace_id:
        raise NotFound("no such contact")
    # a contact already merged away has nothing left to move, and one merged away cannot take identities (they
    # would vanish from every view)
    if source.merged_into_id is not None:
        raise Conflict("this contact was already merged into another")
    if target.merged_into_id is not None:
        current = merged_into(session, target)
        raise Invalid.of("that contact was merged into another (%(name)s): merge into that one",
                         name=current.display_name if current is not None else "?")
    moved = list(session.scalars(select(Identity).where(Identity.contact_id == source.id)))
    for identity in moved:
        identity.contact_id = target.id
    cases = list(session.scalars(select(Case).where(Case.contact_id == source.id)))
    for case in cases:
        case.contact_id = target.id
    source.merged_into_id = target.id
    for case in cases:
        timeline.contact_merged(session, case, workspace_id=case.workspace_id, source_contact_id=source.id,
                                target_contact_id=target.id, actor_user_id=actor.id)
        publish_case(session, publisher, case, "contact")
    identity_ids = [i.id for i in moved]
    timeline.contact_merged(session, None, workspace_id=target.workspace_id, source_contact_id=source.id,
                            target_contact_id=target.id, actor_user_id=actor.id, identity_ids=identity_ids)
    bus.emit(session, publisher, ContactsMerged(workspace_id=target.workspace_id, actor_user_id=actor.id,
                                                source_contact_id=source.id, target_contact_id=target.id,
                                                case_ids=tuple(c.id for c in cases),
                                                identity_ids=tuple(identity_ids)))


def unmerge_identity(session: Session, publisher: Publisher, *, actor: User, identity: Identity) -> Contact:
    """Split one identity off into a contact of its own (its future messages go to new cases)."""
    if identity.workspace_id != actor.workspace_id:
        raise NotFound("no such identity")
    others = session.scalar(
        select(Identity.id).where(Identity.contact_id == identity.contact_id, Identity.id != identity.id).limit(1)
    )
    if others is None:
        raise Invalid("this identity is the contact's only one")
    contact = Contact(
        workspace_id=identity.workspace_id,
        display_name=(identity.name or identity.handle or identity.platform_user_id)[:200],
    )
    session.add(contact)
    session.flush()
    previous = identity.contact_id
    identity.contact_id = contact.id
    timeline.identity_unmerged(session, workspace_id=identity.workspace_id, identity_id=identity.id,
                               from_contact_id=previous, to_contact_id=contact.id, actor_user_id=actor.id)
    bus.emit(session, publisher, IdentityUnmerged(workspace_id=identity.workspace_id, actor_user_id=actor.id,
                                                  identity_id=identity.id, from_contact_id=previous,
                                                  to_contact_id=contact.id))
    return contact
