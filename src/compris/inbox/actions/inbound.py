"""What the networks tell us: customers' messages (into contacts, threads and cases), our own account's messages
seen on the network (echoes), delivery statuses and deletions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.channels.accounts import connector_for
from compris.connectors.base import Attachment, Author, DeliveryStatus, InboundMessage, Visibility
from compris.db import savepoint
from compris.events import (
    CaseOpened,
    Claim,
    DeliveryStatusChanged,
    EchoReceived,
    InboundScreened,
    MessageClaimed,
    MessageDeleted,
    MessageReceived,
    ReplyFailed,
)
from compris.inbox.actions.cases import MAX_TEXT, case_preview, change_status
from compris.inbox.actions.posts import link_thread
from compris.inbox.actions.priority import apply_priority
from compris.inbox.queries import merged_into
from compris.kit.clock import now
from compris.live import Publisher, publish_case
from compris.models import (
    ACTIVE_STATUSES,
    Case,
    CaseStatus,
    ChannelAccount,
    Contact,
    DeliveryState,
    Direction,
    Identity,
    Message,
    Thread,
    Workspace,
)
from compris.triage import step as triage_step
from compris.triage.problems import closing_feedback


def resolve_identity(session: Session, account: ChannelAccount, author: Author) -> Identity:
    """The author's identity on this network (a new contact for a new one), with the platform's latest profile."""
    found = select(Identity).where(
        Identity.workspace_id == account.workspace_id,
        Identity.network == account.network,
        Identity.platform_user_id == author.platform_user_id,
    )
    identity = session.scalar(found)
    if identity is None:
        try:
            # two workers may meet the same new customer at once: the second one's insert fails on the unique
            # identity, is undone (the savepoint), and it takes the identity the first one created
            with savepoint(session, IntegrityError):
                contact = Contact(
                    workspace_id=account.workspace_id,
                    display_name=(author.name or author.handle or author.platform_user_id)[:200],
                )
                session.add(contact)
                session.flush()
                identity = Identity(
                    workspace_id=account.workspace_id,
                    contact_id=contact.id,
                    network=account.network,
                    platform_user_id=author.platform_user_id,
                )
                session.add(identity)
                session.flush()
        except IntegrityError:
            identity = session.scalar(found)
            if identity is None:
                raise
    # The platform's latest word on the profile wins.
    if author.handle:
        identity.handle = author.handle[:200]
    if author.name:
        identity.name = author.name[:200]
    if author.followers is not None:
        identity.followers = author.followers
    identity.verified = author.verified
    if author.avatar_url:
        identity.avatar_url = author.avatar_url[:1000]
    identity.updated_at = now()
    session.flush()
    return identity


def thread_for(
    session: Session, account: ChannelAccount, key: str, visibility: str, title: str | None, contact_id: int | None
) -> Thread:
    """The account's thread of this platform key, created when new."""
    thread = session.scalar(
        select(Thread).where(Thread.channel_account_id == account.id, Thread.platform_thread_key == key)
    )
    if thread is None:
        thread = Thread(
            workspace_id=account.workspace_id,
            channel_account_id=account.id,
            platform_thread_key=key[:300],
            visibility=visibility,
            title=(title or None) and title[:500],
            contact_id=contact_id,
        )
        session.add(thread)
        session.flush()
    return thread


def _inbound_thread_key(session: Session, account: ChannelAccount, inbound: InboundMessage) -> str:
    """The message's own thread key, unless that thread is unknown and the message answers one of ours
    in a known thread: then that thread (an e-mail reply carrying only ``In-Reply-To: <our Message-ID>``
    names our outbound message as its thread root)."""
    if not inbound.reply_to_platform_id:
        return inbound.thread_key
    known = session.scalar(
        select(Thread.id).where(
            Thread.channel_account_id == account.id, Thread.platform_thread_key == inbound.thread_key
        )
    )
    if known is not None:
        return inbound.thread_key
    parent = session.scalar(
        select(Thread)
        .join(Message, Message.thread_id == Thread.id)
        .where(
            Message.channel_account_id == account.id,
            Message.platform_message_id == inbound.reply_to_platform_id,
            Thread.visibility == inbound.visibility,
        )
        .limit(1)
    )
    return parent.platform_thread_key if parent is not None else inbound.thread_key


def _next_case_number(session: Session, workspace_id: int) -> int:
    number = session.scalar(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(case_seq=Workspace.case_seq + 1)
        .returning(Workspace.case_seq)
    )
    assert number is not None
    return int(number)


def _case_for(session: Session, contact_id: int, workspace_id: int, subject: str) -> tuple[Case, str]:
    """The contact's current case (append), their last resolved one (reopen), or a new one."""
    latest = session.scalar(
        select(Case)
        .where(Case.workspace_id == workspace_id, Case.contact_id == contact_id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.last_activity_at.desc(), Case.id.desc())
        .limit(1)
    )
    if latest is not None and latest.status in ACTIVE_STATUSES:
        return latest, "appended"
    if latest is not None and latest.status == CaseStatus.RESOLVED:
        return latest, "reopened"
    case = Case(
        workspace_id=workspace_id,
        number=_next_case_number(session, workspace_id),
        contact_id=contact_id,
        status=CaseStatus.NEW,
        subject=subject[:300],
        last_activity_at=now(),
    )
    session.add(case)
    session.flush()
    return case, "opened"


def record_inbound(
    session: Session,
    publisher: Publisher,
    account: ChannelAccount,
    inbound: InboundMessage,
    *,
    raw_event_id: int | None = None,
) -> Message | None:
    """Store one normalised inbound message; returns None when it was already stored.

    A customer's message opens a case, reopens their resolved one, or is appended to their current one (which
    becomes open again when it waited on them or was snoozed): the case's timeline and
    :class:`~compris.events.MessageReceived` (with :class:`~compris.events.CaseOpened` or
    :class:`~compris.events.StatusChanged` first) say which, once the message and the case are written."""
    exists = session.scalar(
        select(Message.id).where(
            Message.channel_account_id == account.id, Message.platform_message_id == inbound.platform_message_id
        )
    )
    if exists is not None:
        return None
    if inbound.is_own:
        return _record_echo(session, publisher, account, inbound, raw_event_id)
    claim = _screen(session, publisher, account, inbound)
    if claim is not None and not claim.keep:
        return None  # another capability took it (a partner's answer to an escalation): the raw event stays

    identity = resolve_identity(session, account, inbound.author)
    contact = session.get(Contact, identity.contact_id)
    assert contact is not None
    contact = merged_into(session, contact) or contact  # follow merges to the surviving contact
    thread = thread_for(
        session,
        account,
        _inbound_thread_key(session, account, inbound),
        inbound.visibility,
        inbound.thread_title,
        contact.id if inbound.visibility == Visibility.PRIVATE else None,
    )
    if inbound.parent_post is not None and inbound.visibility == Visibility.PUBLIC:
        link_thread(session, publisher, account, connector_for(account), thread, inbound.parent_post)
    # the first non-blank line of the thread's title or of the message (a title of spaces must not break it)
    lines = [*(inbound.thread_title or "").splitlines(), *inbound.text.splitlines()]
    subject = next((line.strip() for line in lines if line.strip()), "(attachment)")
    claimed_case = session.get(Case, claim.case_id) if claim is not None and claim.case_id is not None else None
    if claimed_case is not None and claimed_case.workspace_id == account.workspace_id:
        case, how = claimed_case, "claimed"
    else:
        case, how = _case_for(session, contact.id, account.workspace_id, subject)
    previous_status = None if how == "opened" else case.status
    reply_to_id = None
    if inbound.reply_to_platform_id:
        reply_to_id = session.scalar(
            select(Message.id).where(
                Message.channel_account_id == account.id,
                Message.platform_message_id == inbound.reply_to_platform_id,
            )
        )
    triage = triage_step.triage_message(session, account, inbound, identity)
    if how == "reopened" and _closes_nothing(inbound, triage):
        how = "kept"  # thanks or a satisfied answer on a resolved case: stored there, the case stays resolved
    message = Message(
        workspace_id=account.workspace_id,
        case_id=case.id,
        thread_id=thread.id,
        channel_account_id=account.id,
        direction=Direction.INBOUND,
        visibility=inbound.visibility,
        platform_message_id=inbound.platform_message_id,
        reply_to_platform_id=inbound.reply_to_platform_id,
        reply_to_message_id=reply_to_id,
        author_identity_id=identity.id,
        text=inbound.text[:MAX_TEXT],
        attachments=[attachment_dict(a) for a in inbound.attachments],
        sent_at=inbound.created_at,
        promoted=inbound.promoted,
        reshares=inbound.reshares,
        permalink=inbound.permalink,
        rating=inbound.rating if inbound.rating is not None and 1 <= inbound.rating <= 5 else None,
        platform_extra=json_safe(inbound.extra),
        raw_event_id=raw_event_id,
        language=triage.get("language"),
        triage=triage,
    )
    session.add(message)
    thread.last_inbound_at = max(filter(None, [thread.last_inbound_at, inbound.created_at]))
    if how in ("claimed", "kept"):
        by, kind = (claim.by, claim.reason) if claim is not None and how == "claimed" else (KEPT_BY, "feedback")
        message.platform_extra = {**message.platform_extra, "claimed_by": by, "claimed_as": kind}
        case.last_activity_at = now()
        session.flush()
        timeline.message_received(session, case, message_id=message.id, visibility=inbound.visibility,
                                  network=account.network)
        bus.emit(session, publisher, MessageClaimed(workspace_id=case.workspace_id, case_id=case.id,
                                                    message_id=message.id, channel_account_id=account.id,
                                                    by=by))
        publish_case(session, publisher, case, "message", message_id=message.id)
        return message
    case.first_inbound_at = case.first_inbound_at or inbound.created_at
    case.last_inbound_at = max(filter(None, [case.last_inbound_at, inbound.created_at]))
    case.last_activity_at = now()
    case.last_channel_account_id = account.id
    case.preview = case_preview(inbound.text)
    case.unread = True
    if triage.get("language"):
        case.language = triage["language"]
        contact.language = contact.language or triage["language"]
    case.triage = triage
    session.flush()
    # the case's priority: its most urgent open need + the waiting time (a chaser never lowers it), before routing
    # and the SLA read it
    apply_priority(session, case)
    if how == "reopened":
        change_status(session, publisher, case, CaseStatus.OPEN, reason="new message from the customer",
                      message_id=message.id)
    elif previous_status in (CaseStatus.WAITING_CUSTOMER, CaseStatus.SNOOZED):
        change_status(session, publisher, case, CaseStatus.OPEN, reason="the customer wrote", message_id=message.id)
    elif how == "opened":
        timeline.opened(session, case, channel_account_id=account.id)
        bus.emit(session, publisher, CaseOpened(workspace_id=case.workspace_id, case_id=case.id,
                                                message_id=message.id, channel_account_id=account.id))
    timeline.message_received(session, case, message_id=message.id, visibility=inbound.visibility,
                              network=account.network)
    bus.emit(session, publisher, MessageReceived(workspace_id=case.workspace_id, case_id=case.id,
                                                 message_id=message.id, channel_account_id=account.id, how=how,
                                                 previous_status=previous_status))
    publish_case(session, publisher, case, how, message_id=message.id)
    return message


#: who keeps a customer's thanks on their resolved case (``MessageClaimed.by``; ``claimed_as`` is "feedback")
KEPT_BY = "inbox"


def _closes_nothing(inbound: InboundMessage, triage: dict[str, Any]) -> bool:
    """Thanks or a satisfied answer ("merci, problème réglé", "5 ⭐ très satisfaite") with no new problem, no
    question, no request and no file: it reopens nothing (issue 20). A triage the team corrected to anything but
    praise, or a message with attachments, reopens as before."""
    if inbound.attachments or triage.get("intent", "praise") != "praise":
        return False
    return closing_feedback(inbound.text or "")


def _screen(session: Session, publisher: Publisher, account: ChannelAccount, inbound: InboundMessage) -> Claim | None:
    """Let the capabilities that wait for an answer (surveys, escalations) claim the message first."""
    known = session.execute(
        select(Identity.id, Identity.contact_id).where(
            Identity.workspace_id == account.workspace_id,
            Identity.network == account.network,
            Identity.platform_user_id == inbound.author.platform_user_id,
        )
    ).first()
    event = InboundScreened(workspace_id=account.workspace_id, channel_account_id=account.id,
                            network=account.network, message=inbound,
                            identity_id=known[0] if known else None, contact_id=known[1] if known else None)
    bus.emit(session, publisher, event)
    return event.claims[0] if event.claims else None


def json_safe(data: Any) -> dict[str, Any]:
    """A connector's extra data as plain JSON (dates and the like as strings)."""
    return dict(json.loads(json.dumps(dict(data or {}), default=str)))


def attachment_dict(a: Attachment) -> dict[str, Any]:
    """How an inbound message keeps an attachment the network described."""
    return {
        k: v
        for k, v in {"kind": a.kind, "url": a.url, "name": a.name, "mime_type": a.mime_type, "size": a.size}.items()
        if v is not None
    }


def _record_echo(
    session: Session, publisher: Publisher, account: ChannelAccount, inbound: InboundMessage, raw_event_id: int | None
) -> Message | None:
    """Our own account's message seen on the platform (sent from Compris or elsewhere)."""
    thread = session.scalar(
        select(Thread).where(Thread.channel_account_id == account.id, Thread.platform_thread_key == inbound.thread_key)
    )
    if thread is None:
        return None
    if _is_part_of_our_reply(session, thread, inbound.platform_message_id):
        return None
    case_id = session.scalar(
        select(Message.case_id).where(Message.thread_id == thread.id).order_by(Message.id.desc()).limit(1)
    )
    if case_id is None:
        return None
    message = Message(
        workspace_id=account.workspace_id,
        case_id=case_id,
        thread_id=thread.id,
        channel_account_id=account.id,
        direction=Direction.OUTBOUND,
        visibility=inbound.visibility,
        platform_message_id=inbound.platform_message_id,
        reply_to_platform_id=inbound.reply_to_platform_id,
        text=inbound.text[:MAX_TEXT],
        attachments=[attachment_dict(a) for a in inbound.attachments],
        sent_at=inbound.created_at,
        delivery_state=DeliveryState.SENT,
        raw_event_id=raw_event_id,
    )
    session.add(message)
    session.flush()
    case = session.get(Case, case_id)
    assert case is not None
    timeline.sent_outside_compris(session, case, message_id=message.id)
    bus.emit(session, publisher, EchoReceived(workspace_id=case.workspace_id, case_id=case.id, message_id=message.id))
    publish_case(session, publisher, case, "echo", message_id=message.id)
    return message


def _is_part_of_our_reply(session: Session, thread: Thread, platform_message_id: str) -> bool:
    """A reply the network took as several messages (text, then each attachment) is one message here whose
    ``platform_extra["part_ids"]`` lists them all: the echoes of its other parts are not new messages."""
    recent = session.scalars(
        select(Message.platform_extra).where(Message.thread_id == thread.id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.id.desc()).limit(50)
    )
    return any(platform_message_id in (extra or {}).get("part_ids", []) for extra in recent)


_DELIVERY_PROGRESS: dict[str, int] = {DeliveryState.SENT: 0, DeliveryState.DELIVERED: 1, DeliveryState.READ: 2}


def record_delivery_status(
    session: Session, publisher: Publisher, account: ChannelAccount, status: DeliveryStatus
) -> None:
    """The network's word on one of our messages: delivered, read, failed (a later failure of a sent reply), or
    deleted. A failure also emits :class:`~compris.events.ReplyFailed` (the SLA's clock runs again)."""
    message = session.scalar(
        select(Message).where(
            Message.channel_account_id == account.id, Message.platform_message_id == status.platform_message_id
        )
    )
    if message is not None and status.status == "deleted":
        mark_deleted(session, publisher, message, status.at)
        return
    if message is None or message.direction != Direction.OUTBOUND:
        return
    case = session.get(Case, message.case_id)
    assert case is not None
    newly_failed = False
    if status.status == "failed":
        newly_failed = message.delivery_state != DeliveryState.FAILED
        message.delivery_state = DeliveryState.FAILED
        message.delivery_error = status.reason or "the platform reported a failure"
    elif status.status in _DELIVERY_PROGRESS:
        # statuses may arrive out of order: only ever move forward (sent → delivered → read)
        current = _DELIVERY_PROGRESS.get(message.delivery_state or "", -1)
        if _DELIVERY_PROGRESS[status.status] > current and message.delivery_state != DeliveryState.FAILED:
            message.delivery_state = status.status
    timeline.delivery_status(session, case, message_id=message.id, status=status.status, reason=status.reason)
    bus.emit(session, publisher, DeliveryStatusChanged(workspace_id=case.workspace_id, case_id=case.id,
                                                       message_id=message.id, status=status.status))
    if newly_failed:
        bus.emit(session, publisher, ReplyFailed(workspace_id=case.workspace_id, case_id=case.id,
                                                 message_id=message.id, reason=message.delivery_error or ""))
    publish_case(session, publisher, case, "delivery", message_id=message.id)


def mark_deleted(session: Session, publisher: Publisher, message: Message, at: datetime) -> None:
    """The platform reports the message deleted (a removed comment, an unsent DM): flag it on the
    timeline ("deleted by the author"). A customer's message then loses its content (text, attachments and their
    files, raw delivery: ``compris.privacy`` reacts to :class:`~compris.events.MessageDeleted`); our own reply
    removed by the platform keeps it. Safe to run twice."""
    if message.deleted_at is not None:
        return
    message.deleted_at = at
    case = session.get(Case, message.case_id)
    assert case is not None
    by = "customer" if message.direction == Direction.INBOUND else "platform"
    timeline.message_deleted(session, case, message_id=message.id, by=by)
    bus.emit(session, publisher, MessageDeleted(workspace_id=case.workspace_id, case_id=case.id,
                                                message_id=message.id, by=by))
    publish_case(session, publisher, case, "deleted", message_id=message.id)
