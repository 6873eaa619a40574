"""Operations on a case: its status (the one place a status changes), assignment, reading, notes, merging, and the
customer message a reply answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.connectors.base import Visibility
from compris.events import CaseAssigned, CasesMerged, CasesUnmerged, NoteAdded, StatusChanged
from compris.inbox.actions import reads
from compris.kit.clock import now
from compris.kit.errors import Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import ACTIVE_STATUSES, Case, CaseEvent, CaseStatus, Direction, Message, User

MAX_TEXT = 20_000
ALLOWED_STATUSES = {s.value for s in CaseStatus}
FINAL_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


def check_text(text: str, *, may_be_empty: bool = False) -> str:
    """An agent's text, normalised (``\\r\\n``, outer blanks) and checked (not empty unless allowed, not too long)."""
    text = text.replace("\r\n", "\n").strip()
    if not text and not may_be_empty:
        raise Invalid("the message is empty")
    if len(text) > MAX_TEXT:
        raise Invalid(f"the message is longer than {MAX_TEXT} characters")
    return text


def change_status(
    session: Session,
    publisher: Publisher,
    case: Case,
    to_status: str,
    *,
    actor_user_id: int | None = None,
    reason: str | None = None,
    until: datetime | None = None,
    message_id: int | None = None,
) -> None:
    """Move ``case`` to ``to_status``: every status change (an agent's, the customer writing again, a snooze ending,
    a reply to a new case, a merge) goes through here, so each one leaves its timeline row and emits
    :class:`~compris.events.StatusChanged`. ``until``: the end of a snooze; ``message_id``: the customer message
    that caused the change. Checks nothing (the callers do)."""
    previous = case.status
    t = now()
    case.status = to_status
    case.last_activity_at = t
    case.snoozed_until = until if to_status == CaseStatus.SNOOZED else None
    if to_status == CaseStatus.RESOLVED:
        case.resolved_at = t
    elif to_status != CaseStatus.CLOSED:
        case.resolved_at = None
    if to_status == CaseStatus.RESOLVED:
        timeline.resolved(session, case, from_status=previous, actor_user_id=actor_user_id)
    elif to_status == CaseStatus.CLOSED:
        timeline.closed(session, case, from_status=previous, actor_user_id=actor_user_id, reason=reason)
    elif previous in FINAL_STATUSES:
        timeline.reopened(session, case, actor_user_id=actor_user_id, from_status=previous, to_status=to_status,
                          reason=reason, until=until)
    else:
        timeline.status_changed(session, case, from_status=previous, to_status=to_status,
                                actor_user_id=actor_user_id, reason=reason, until=until)
    bus.emit(session, publisher, StatusChanged(workspace_id=case.workspace_id, actor_user_id=actor_user_id,
                                               case_id=case.id, from_status=previous, to_status=to_status,
                                               reason=reason, message_id=message_id))


def set_status(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case: Case,
    status: str,
    snooze_until: datetime | None = None,
) -> None:
    """An agent sets the case's status (a snooze needs its end, in the future; a case is never made new again)."""
    if status not in ALLOWED_STATUSES:
        raise Invalid(f"unknown status {status!r}")
    if status == CaseStatus.NEW:
        raise Invalid("a case cannot be made new again")
    if status == CaseStatus.SNOOZED:
        if snooze_until is None or snooze_until <= now():
            raise Invalid("snooze needs a time in the future")
    elif case.status == status:
        case.snoozed_until = None
        return
    change_status(session, publisher, case, status, actor_user_id=actor.id,
                  until=snooze_until if status == CaseStatus.SNOOZED else None)
    publish_case(session, publisher, case, "status")


def wake_snoozed(session: Session, publisher: Publisher, workspace_id: int | None = None) -> int:
    """Reopen snoozed cases whose time has come (a scheduled job)."""
    query = select(Case).where(Case.status == CaseStatus.SNOOZED, Case.snoozed_until <= now())
    if workspace_id is not None:
        query = query.where(Case.workspace_id == workspace_id)
    count = 0
    for case in session.scalars(query.with_for_update(skip_locked=True)):
        change_status(session, publisher, case, CaseStatus.OPEN, reason="snooze ended")
        publish_case(session, publisher, case, "status")
        count += 1
    return count


def assign(
    session: Session,
    publisher: Publisher,
    *,
    actor: User | None,
    case: Case,
    assignee: User | None,
    reason: str | None = None,
) -> None:
    """Give the case to ``assignee`` (None: unassign). ``actor`` None is the system (routing's automatic
    assignment): an agent's assignment counts as activity on the case, the system's does not."""
    if assignee is not None and (assignee.workspace_id != case.workspace_id or not assignee.is_active):
        raise NotFound("no such agent")
    new_id = assignee.id if assignee else None
    if case.assignee_id == new_id:
        return
    previous = case.assignee_id
    actor_id = actor.id if actor is not None else None
    case.assignee_id = new_id
    if actor is not None:
        case.last_activity_at = now()
    if new_id is not None:
        timeline.assigned(session, case, assignee_id=new_id, previous_assignee_id=previous, actor_user_id=actor_id,
                          reason=reason)
    else:
        timeline.unassigned(session, case, previous_assignee_id=previous, actor_user_id=actor_id)
    bus.emit(session, publisher, CaseAssigned(workspace_id=case.workspace_id, actor_user_id=actor_id, case_id=case.id,
                                              assignee_id=new_id, previous_assignee_id=previous, reason=reason))
    publish_case(session, publisher, case, "assigned")


def mark_read(session: Session, publisher: Publisher, *, actor: User, case: Case) -> None:
    """An agent opened the case: it is no longer unread for them (only them: issue 18, defect 9; the read marks
    live in :mod:`.reads`)."""
    reads.mark_read(session, publisher, actor=actor, case=case)


def add_note(session: Session, publisher: Publisher, *, actor: User, case: Case, text: str) -> Message:
    """An internal note on the case (never sent)."""
    message = Message(
        workspace_id=case.workspace_id,
        case_id=case.id,
        thread_id=None,
        channel_account_id=None,
        direction=Direction.OUTBOUND,
        visibility=Visibility.NOTE,
        author_user_id=actor.id,
        text=check_text(text),
        sent_at=now(),
    )
    session.add(message)
    session.flush()
    case.last_activity_at = now()
    timeline.note_added(session, case, message_id=message.id, actor_user_id=actor.id)
    bus.emit(session, publisher, NoteAdded(workspace_id=case.workspace_id, actor_user_id=actor.id, case_id=case.id,
                                           message_id=message.id))
    publish_case(session, publisher, case, "note", message_id=message.id)
    return message


def merge_cases(session: Session, publisher: Publisher, *, actor: User, source: Case, target: Case) -> None:
    """Fold ``source`` into ``target`` (the same customer's same issue): its messages move, it is closed; a resolved
    or closed target is reopened when the source was still active."""
    if source.id == target.id:
        raise Invalid("a case cannot be merged into itself")
    if source.workspace_id != target.workspace_id or source.workspace_id != actor.workspace_id:
        raise NotFound("no such case")
    if source.contact_id != target.contact_id:
        raise Invalid("only cases of the same customer can be merged (merge the contacts first)")
    moved = list(session.scalars(select(Message).where(Message.case_id == source.id)))
    for message in moved:
        message.case_id = target.id
    target.first_inbound_at = min(filter(None, [target.first_inbound_at, source.first_inbound_at]), default=None)
    if source.last_inbound_at and (target.last_inbound_at is None or source.last_inbound_at > target.last_inbound_at):
        target.last_inbound_at = source.last_inbound_at
        target.preview, target.last_channel_account_id = source.preview, source.last_channel_account_id
    target.priority = max(target.priority, source.priority)
    target.unread = target.unread or source.unread
    target.last_activity_at = now()
    message_ids = [m.id for m in moved]
    timeline.case_merged(session, target, source=source, message_ids=message_ids, actor_user_id=actor.id)
    timeline.case_merged_into(session, source, target=target, actor_user_id=actor.id)
    session.flush()
    if target.status in FINAL_STATUSES and source.status in ACTIVE_STATUSES:
        change_status(session, publisher, target, CaseStatus.OPEN, actor_user_id=actor.id,
                      reason=f"case #{source.number} was merged into it")
    set_status(session, publisher, actor=actor, case=source, status=CaseStatus.CLOSED)
    bus.emit(session, publisher, CasesMerged(workspace_id=target.workspace_id, actor_user_id=actor.id,
                                             case_id=target.id, source_case_id=source.id,
                                             message_ids=tuple(message_ids)))
    publish_case(session, publisher, target, "merged")


def case_preview(text: str | None) -> str:
    """A case's preview line: its latest customer message on one line."""
    return (text or "(attachment)").replace("\n", " ")[:300]


def merged_here(session: Session, target: Case) -> dict[int, CaseEvent]:
    """The cases merged into ``target`` and not taken back out since: source case id → its merge's timeline row
    (the latest one: a case merged, taken out and merged again counts once)."""
    found: dict[int, CaseEvent] = {}
    for event in session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == target.id,
            CaseEvent.kind.in_((timeline.EventKind.CASE_MERGED, timeline.EventKind.CASE_UNMERGED)))
            .order_by(CaseEvent.created_at, CaseEvent.id)):
        source_id = event.data.get("from_case_id")
        if not isinstance(source_id, int):
            continue
        if event.kind == timeline.EventKind.CASE_MERGED:
            found[source_id] = event
        else:
            found.pop(source_id, None)
    return found


def unmerge_case(session: Session, publisher: Publisher, *, actor: User, target: Case, source: Case) -> list[int]:
    """Take ``source`` back out of ``target``, which it was merged into (undo :func:`merge_cases`): the messages
    the merge moved that are still on ``target`` go back to ``source``, ``source`` is open again, both cases' times
    and preview follow their messages. Messages that came after the merge stay on ``target``. Returns the ids of
    the messages moved back."""
    if source.workspace_id != actor.workspace_id or target.workspace_id != actor.workspace_id:
        raise NotFound("no such case")
    merge = merged_here(session, target).get(source.id)
    if merge is None:
        raise Invalid.of("case #%(source)s is not merged into case #%(target)s", source=source.number,
                         target=target.number)
    wanted = [int(i) for i in merge.data.get("message_ids") or [] if isinstance(i, int)]
    moved = list(session.scalars(select(Message).where(Message.id.in_(wanted), Message.case_id == target.id)))
    for message in moved:
        message.case_id = source.id
    session.flush()
    for case in (source, target):
        _follow_messages(session, case)
    message_ids = sorted(m.id for m in moved)
    timeline.case_unmerged(session, target, source=source, message_ids=message_ids, actor_user_id=actor.id)
    timeline.case_unmerged_from(session, source, target=target, actor_user_id=actor.id)
    if source.status in FINAL_STATUSES:
        change_status(session, publisher, source, CaseStatus.OPEN, actor_user_id=actor.id,
                      reason=f"taken back out of case #{target.number}")
    bus.emit(session, publisher, CasesUnmerged(workspace_id=target.workspace_id, actor_user_id=actor.id,
                                               case_id=target.id, source_case_id=source.id,
                                               message_ids=tuple(message_ids)))
    publish_case(session, publisher, target, "merged")
    publish_case(session, publisher, source, "merged")
    return message_ids


def _follow_messages(session: Session, case: Case) -> None:
    """The case's first and last customer message times, its preview and latest account, from its messages."""
    inbound = (Message.case_id == case.id, Message.direction == Direction.INBOUND)
    first, last = session.execute(select(func.min(Message.sent_at), func.max(Message.sent_at))
                                  .where(*inbound)).one()
    case.first_inbound_at, case.last_inbound_at = first, last
    latest = session.scalars(select(Message).where(*inbound).order_by(Message.sent_at.desc(), Message.id.desc())
                             .limit(1)).first()
    if latest is not None:
        case.preview = case_preview(latest.text)
        case.last_channel_account_id = latest.channel_account_id or case.last_channel_account_id
    case.last_activity_at = now()


def reply_target(session: Session, case: Case, visibility: str, reply_to_message_id: int | None) -> Message:
    """The inbound message a reply answers: the one named, else the latest of that visibility."""
    query = select(Message).where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
    if reply_to_message_id is not None:
        target = session.scalar(query.where(Message.id == reply_to_message_id))
        if target is None:
            raise NotFound("the message to reply to is not on this case")
        return target
    target = session.scalar(
        query.where(Message.visibility == visibility).order_by(Message.sent_at.desc(), Message.id.desc()).limit(1)
    )
    if target is None:
        target = session.scalar(query.order_by(Message.sent_at.desc(), Message.id.desc()).limit(1))
    if target is None:
        raise Invalid("this case has no customer message to reply to")
    return target
