"""Notes about a customer, the keys of "probably the same customer", merging a suggested contact and dismissing a
suggestion; forgetting all of it when a contact's personal data is erased (issue 18)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy.orm import Session

from compris import bus
from compris.events import (
    CustomerNoteAdded,
    CustomerNoteDeleted,
    CustomerNoteEdited,
    SameCustomerDismissed,
    SameCustomerMerged,
)
from compris.inbox import same_customer
from compris.inbox.actions.cases import merge_cases
from compris.inbox.actions.contacts import merge_contacts
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import (
    ACTIVE_STATUSES,
    Case,
    ChannelAccount,
    Contact,
    CustomerKey,
    CustomerNote,
    Direction,
    Identity,
    Message,
    SameCustomerDismissal,
    User,
)

#: the longest note about a customer
MAX_NOTE = 4000


def _note_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise Invalid("write the note first")
    if len(cleaned) > MAX_NOTE:
        raise Invalid.of("a note is at most %(max)s characters", max=MAX_NOTE)
    return cleaned


def _same_workspace(actor: User, *rows: Contact | CustomerNote) -> None:
    if any(row.workspace_id != actor.workspace_id for row in rows):
        raise NotFound("no such contact")


# --- notes -------------------------------------------------------------------------------------------------------


def add_customer_note(session: Session, publisher: Publisher, *, actor: User, contact: Contact,
                      text: str) -> CustomerNote:
    """An internal note about ``contact`` (its author and time kept), shown on every case of theirs."""
    _same_workspace(actor, contact)
    if contact.merged_into_id is not None:
        raise Conflict("this contact was merged into another: write the note there")
    note = CustomerNote(workspace_id=contact.workspace_id, contact_id=contact.id, author_id=actor.id,
                        text=_note_text(text), updated_at=now())
    session.add(note)
    session.flush()
    bus.emit(session, publisher, CustomerNoteAdded(workspace_id=note.workspace_id, actor_user_id=actor.id,
                                                   note_id=note.id, contact_id=contact.id))
    return note


def edit_customer_note(session: Session, publisher: Publisher, *, actor: User, note: CustomerNote,
                       text: str) -> CustomerNote:
    _same_workspace(actor, note)
    cleaned = _note_text(text)
    if cleaned != note.text:
        note.text = cleaned
        note.updated_at = now()
        note.edited_by_id = actor.id
        session.flush()
        bus.emit(session, publisher, CustomerNoteEdited(workspace_id=note.workspace_id, actor_user_id=actor.id,
                                                        note_id=note.id, contact_id=note.contact_id))
    return note


def delete_customer_note(session: Session, publisher: Publisher, *, actor: User, note: CustomerNote) -> None:
    _same_workspace(actor, note)
    note_id, contact_id = note.id, note.contact_id
    session.delete(note)
    session.flush()
    bus.emit(session, publisher, CustomerNoteDeleted(workspace_id=actor.workspace_id, actor_user_id=actor.id,
                                                     note_id=note_id, contact_id=contact_id))


def move_customer_notes(session: Session, *, source_contact_id: int, target_contact_id: int) -> None:
    """A merge carries the merged-away contact's notes to the contact it went into (``ContactsMerged``)."""
    for note in session.scalars(select(CustomerNote).where(CustomerNote.contact_id == source_contact_id)):
        note.contact_id = target_contact_id


# --- the keys of "probably the same customer" ----------------------------------------------------------------------


def record_customer_keys(session: Session, message_id: int, *, reach: str | None = None) -> int:
    """Extract the keys of an inbound message (its text's references, addresses and numbers) and of its author's
    identity (name, address or number) into ``customer_keys``; ``reach``: what the identity's platform id is on
    its network (``Connector.reach_kind``). Safe to run twice. Returns how many keys are new."""
    message = session.get(Message, message_id)
    if message is None or message.author_identity_id is None or message.direction != Direction.INBOUND:
        return 0
    identity = session.get(Identity, message.author_identity_id)
    if identity is None:
        return 0
    keys = same_customer.keys_to_record([message.text or ""])
    keys += same_customer.identity_keys(name=identity.name, handle=identity.handle,
                                        platform_user_id=identity.platform_user_id, reach=reach)
    if not keys:
        return 0
    at = message.sent_at or now()
    wanted = {(k.kind, k.value): k for k in keys}
    existing = {(row.kind, row.value): row for row in session.scalars(
        select(CustomerKey).where(CustomerKey.identity_id == identity.id,
                                  tuple_(CustomerKey.kind, CustomerKey.value).in_(list(wanted))))}
    added = 0
    for pair, key in wanted.items():
        row = existing.get(pair)
        if row is None:
            session.add(CustomerKey(workspace_id=identity.workspace_id, identity_id=identity.id, kind=key.kind,
                                    value=key.value, shown=key.shown or key.value, first_seen_at=at,
                                    last_seen_at=at))
            added += 1
        else:
            row.first_seen_at = min(row.first_seen_at, at)
            row.last_seen_at = max(row.last_seen_at, at)
    session.flush()
    return added


def reach_of_message(session: Session, message_id: int) -> tuple[str, dict[str, object]] | None:
    """The network and the account's non-secret settings a message came through (for ``Connector.reach_kind``)."""
    row = session.execute(select(ChannelAccount.network, ChannelAccount.settings)
                          .join(Message, Message.channel_account_id == ChannelAccount.id)
                          .where(Message.id == message_id)).first()
    return (str(row[0]), dict(row[1] or {})) if row is not None else None


# --- suggestions: merge, dismiss ----------------------------------------------------------------------------------


def merge_same_customer(session: Session, publisher: Publisher, *, actor: User, case: Case, other: Contact,
                        with_open_cases: bool) -> list[Case]:
    """Take a suggestion from ``case``'s panel: ``other`` is merged into the case's contact (its identities and
    cases move; each identity can be split off again), and with ``with_open_cases`` its cases still being worked
    on are merged into ``case`` (when ``case`` itself is). Returns the cases merged into ``case``."""
    if case.workspace_id != actor.workspace_id:
        raise NotFound("no such case")
    _same_workspace(actor, other)
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    if other.id == contact.id:
        raise Invalid("a contact cannot be merged into itself")
    reasons = [s for s in same_customer.suggestions(session, actor.workspace_id, contact.id, limit=50)
               if s.contact.id == other.id]
    kinds = tuple(sorted({r.kind for s in reasons for r in s.reasons}))
    open_cases = [c.id for c in session.scalars(select(Case).where(
        Case.contact_id == other.id, Case.id != case.id, Case.status.in_([str(s) for s in ACTIVE_STATUSES])))]
    merge_contacts(session, publisher, actor=actor, source=other, target=contact)
    folded: list[Case] = []
    if with_open_cases and str(case.status) in {str(s) for s in ACTIVE_STATUSES}:
        for source in session.scalars(select(Case).where(Case.id.in_(open_cases)).order_by(Case.id)):
            merge_cases(session, publisher, actor=actor, source=source, target=case)
            folded.append(source)
    bus.emit(session, publisher, SameCustomerMerged(
        workspace_id=actor.workspace_id, actor_user_id=actor.id, contact_id=contact.id, other_contact_id=other.id,
        case_id=case.id, merged_case_ids=tuple(c.id for c in folded), reasons=kinds))
    return folded


def dismiss_same_customer(session: Session, publisher: Publisher, *, actor: User, contact: Contact,
                          other: Contact) -> None:
    """"Not the same person": the pair is remembered and never suggested again. Safe to repeat."""
    _same_workspace(actor, contact, other)
    if contact.id == other.id:
        raise Invalid("a contact cannot be compared with itself")
    a, b = same_customer.pair(contact.id, other.id)
    found = session.scalar(select(SameCustomerDismissal.id).where(
        SameCustomerDismissal.workspace_id == actor.workspace_id, SameCustomerDismissal.contact_a_id == a,
        SameCustomerDismissal.contact_b_id == b))
    if found is not None:
        return
    session.add(SameCustomerDismissal(workspace_id=actor.workspace_id, contact_a_id=a, contact_b_id=b,
                                      user_id=actor.id))
    session.flush()
    bus.emit(session, publisher, SameCustomerDismissed(workspace_id=actor.workspace_id, actor_user_id=actor.id,
                                                       contact_id=contact.id, other_contact_id=other.id))


# --- erasure ------------------------------------------------------------------------------------------------------


def forget_customer(session: Session, *, workspace_id: int, contact_ids: Sequence[int]) -> dict[str, int]:
    """A contact's personal data was erased (``ContactErased``): their notes, their keys (references, addresses,
    numbers, names) and the pairs dismissed with them go. Returns the counts per kind."""
    ids = _with_merged(session, workspace_id, list(contact_ids))
    identity_ids = list(session.scalars(select(Identity.id).where(Identity.contact_id.in_(ids))))
    notes = session.execute(delete(CustomerNote).where(CustomerNote.workspace_id == workspace_id,
                                                       CustomerNote.contact_id.in_(ids)))
    keys = session.execute(delete(CustomerKey).where(CustomerKey.workspace_id == workspace_id,
                                                     CustomerKey.identity_id.in_(identity_ids or [-1])))
    pairs = session.execute(delete(SameCustomerDismissal).where(
        SameCustomerDismissal.workspace_id == workspace_id,
        or_(SameCustomerDismissal.contact_a_id.in_(ids), SameCustomerDismissal.contact_b_id.in_(ids))))
    return {"customer_notes": notes.rowcount or 0, "customer_keys": keys.rowcount or 0,  # type: ignore[attr-defined]
            "same_customer_dismissals": pairs.rowcount or 0}  # type: ignore[attr-defined]


def _with_merged(session: Session, workspace_id: int, ids: list[int]) -> list[int]:
    """``ids`` and every contact merged into one of them, at any depth."""
    found = set(ids)
    frontier = set(ids)
    while frontier:
        frontier = set(session.scalars(select(Contact.id).where(
            Contact.workspace_id == workspace_id, Contact.merged_into_id.in_(frontier)))) - found
        found |= frontier
    return sorted(found)
