"""Every write to contacts, threads, cases and messages goes through these functions.

They assume their input was checked by the caller (permissions, workspace), never commit (the edge
does), write the case timeline, and publish live events that are delivered after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from compris.connectors.base import Attachment, Author, DeliveryStatus, InboundMessage, Visibility
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound, Translatable
from compris.live import Publisher
from compris.models import (
    ACTIVE_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    ChannelAccount,
    Contact,
    DeliveryState,
    Direction,
    Identity,
    Message,
    Outbox,
    Thread,
    TriageCorrection,
    Upload,
    User,
    Workspace,
)
from compris.uploads import actions as upload_actions
from compris.worker.queue import enqueue

if TYPE_CHECKING:
    from compris.triage.core import TriageResult

SEND_REPLY = "inbox.send_reply"
MAX_TEXT = 20_000


def log_event(
    session: Session, case: Case | None, kind: str, actor_user_id: int | None = None, *, workspace_id: int, **data: Any
) -> CaseEvent:
    event = CaseEvent(
        workspace_id=workspace_id, case_id=case.id if case else None, actor_user_id=actor_user_id, kind=kind, data=data
    )
    session.add(event)
    return event


def _publish_case(session: Session, publisher: Publisher, case: Case, change: str, **extra: Any) -> None:
    publisher.publish(
        session,
        case.workspace_id,
        "case",
        case_id=case.id,
        number=case.number,
        change=change,
        status=case.status,
        assignee_id=case.assignee_id,
        **extra,
    )


# --- inbound -----------------------------------------------------------------------------------


def resolve_identity(session: Session, account: ChannelAccount, author: Author) -> Identity:
    identity = session.scalar(
        select(Identity).where(
            Identity.workspace_id == account.workspace_id,
            Identity.network == account.network,
            Identity.platform_user_id == author.platform_user_id,
        )
    )
    if identity is None:
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


def _thread(
    session: Session, account: ChannelAccount, key: str, visibility: str, title: str | None, contact_id: int | None
) -> Thread:
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


def _case_for(
    session: Session, publisher: Publisher, contact_id: int, workspace_id: int, subject: str
) -> tuple[Case, str]:
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
    """Store one normalised inbound message; returns None when it was already stored."""
    exists = session.scalar(
        select(Message.id).where(
            Message.channel_account_id == account.id, Message.platform_message_id == inbound.platform_message_id
        )
    )
    if exists is not None:
        return None
    if inbound.is_own:
        return _record_echo(session, publisher, account, inbound, raw_event_id)

    identity = resolve_identity(session, account, inbound.author)
    contact = session.get(Contact, identity.contact_id)
    assert contact is not None
    while contact.merged_into_id is not None:  # follow merges to the surviving contact
        merged = session.get(Contact, contact.merged_into_id)
        assert merged is not None
        contact = merged
    thread = _thread(
        session,
        account,
        _inbound_thread_key(session, account, inbound),
        inbound.visibility,
        inbound.thread_title,
        contact.id if inbound.visibility == Visibility.PRIVATE else None,
    )
    # the first non-blank line of the thread's title or of the message (a title of spaces must not break it)
    lines = [*(inbound.thread_title or "").splitlines(), *inbound.text.splitlines()]
    subject = next((line.strip() for line in lines if line.strip()), "(attachment)")
    case, how = _case_for(session, publisher, contact.id, account.workspace_id, subject)
    reply_to_id = None
    if inbound.reply_to_platform_id:
        reply_to_id = session.scalar(
            select(Message.id).where(
                Message.channel_account_id == account.id,
                Message.platform_message_id == inbound.reply_to_platform_id,
            )
        )
    from compris.inbox import triage_step

    triage = triage_step.triage_message(session, account, inbound, identity)
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
        attachments=[_attachment_dict(a) for a in inbound.attachments],
        sent_at=inbound.created_at,
        promoted=inbound.promoted,
        reshares=inbound.reshares,
        permalink=inbound.permalink,
        platform_extra=_json_safe(inbound.extra),
        raw_event_id=raw_event_id,
        language=triage.get("language"),
        triage=triage,
    )
    session.add(message)
    thread.last_inbound_at = max(filter(None, [thread.last_inbound_at, inbound.created_at]))
    t = now()
    if how == "reopened":
        case.status = CaseStatus.OPEN
        case.resolved_at = None
        log_event(session, case, "reopened", workspace_id=case.workspace_id, reason="new message from the customer")
    elif case.status in (CaseStatus.WAITING_CUSTOMER, CaseStatus.SNOOZED):
        previous = case.status
        case.status = CaseStatus.OPEN
        case.snoozed_until = None
        log_event(
            session,
            case,
            "status_changed",
            workspace_id=case.workspace_id,
            from_status=previous,
            to_status=CaseStatus.OPEN,
            reason="the customer wrote",
        )
    elif how == "opened":
        log_event(session, case, "opened", workspace_id=case.workspace_id, channel_account_id=account.id)
    case.first_inbound_at = case.first_inbound_at or inbound.created_at
    case.last_inbound_at = max(filter(None, [case.last_inbound_at, inbound.created_at]))
    case.last_activity_at = t
    case.last_channel_account_id = account.id
    case.preview = (inbound.text or "(attachment)").replace("\n", " ")[:300]
    case.unread = True
    if triage.get("language"):
        case.language = triage["language"]
        contact.language = contact.language or triage["language"]
    case.triage = triage
    case.priority = int(triage.get("priority", 0) or 0)
    session.flush()
    log_event(
        session,
        case,
        "message_received",
        workspace_id=case.workspace_id,
        message_id=message.id,
        visibility=inbound.visibility,
        network=account.network,
    )
    from compris.routing import hooks

    hooks.after_inbound(session, publisher, case, message, account, how)
    _publish_case(session, publisher, case, how, message_id=message.id)
    return message


def _json_safe(data: Any) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(dict(data or {}), default=str)))


def _attachment_dict(a: Any) -> dict[str, Any]:
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
        attachments=[_attachment_dict(a) for a in inbound.attachments],
        sent_at=inbound.created_at,
        delivery_state=DeliveryState.SENT,
        raw_event_id=raw_event_id,
    )
    session.add(message)
    session.flush()
    case = session.get(Case, case_id)
    assert case is not None
    log_event(session, case, "sent_outside_compris", workspace_id=case.workspace_id, message_id=message.id)
    _publish_case(session, publisher, case, "echo", message_id=message.id)
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
    if status.status == "failed":
        message.delivery_state = DeliveryState.FAILED
        message.delivery_error = status.reason or "the platform reported a failure"
    elif status.status in _DELIVERY_PROGRESS:
        # statuses may arrive out of order: only ever move forward (sent → delivered → read)
        current = _DELIVERY_PROGRESS.get(message.delivery_state or "", -1)
        if _DELIVERY_PROGRESS[status.status] > current and message.delivery_state != DeliveryState.FAILED:
            message.delivery_state = status.status
    log_event(
        session,
        case,
        "delivery_status",
        workspace_id=case.workspace_id,
        message_id=message.id,
        status=status.status,
        reason=status.reason,
    )
    _publish_case(session, publisher, case, "delivery", message_id=message.id)


def mark_deleted(session: Session, publisher: Publisher, message: Message, at: datetime) -> None:
    """The platform reports the message deleted (a removed comment, an unsent DM): flag it on the
    timeline; its text is kept for the record. Safe to run twice."""
    if message.deleted_at is not None:
        return
    message.deleted_at = at
    case = session.get(Case, message.case_id)
    assert case is not None
    log_event(
        session,
        case,
        "message_deleted",
        workspace_id=case.workspace_id,
        message_id=message.id,
        by="customer" if message.direction == Direction.INBOUND else "platform",
    )
    _publish_case(session, publisher, case, "deleted", message_id=message.id)


# --- agent actions -------------------------------------------------------------------------------


def _check_text(text: str, *, may_be_empty: bool = False) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text and not may_be_empty:
        raise Invalid("the message is empty")
    if len(text) > MAX_TEXT:
        raise Invalid(f"the message is longer than {MAX_TEXT} characters")
    return text


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


def outbox_key(workspace_id: int, key: str) -> str:
    """Idempotency keys are namespaced by workspace: one workspace can neither collide with nor detect another's."""
    return f"{workspace_id}:{key}"[:100]


def add_reply(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case: Case,
    text: str,
    visibility: str,
    reply_to_message_id: int | None = None,
    idempotency_key: str | None = None,
    platform_extra: dict[str, Any] | None = None,
    attachments: Sequence[Upload] = (),
) -> Message:
    """Queue a public or private reply; sending happens in a job, exactly once.

    ``platform_extra`` is kept on the outbound message for its send (``private_reply_to_comment``: the
    move-to-private action answers a Facebook/Instagram comment with the platform's private reply).
    ``attachments`` (uploads of the case's workspace, checked by the caller) must be accepted by the network
    for this kind of reply (:class:`~compris.connectors.base.AttachmentRules`): otherwise the reply is refused
    with the network's reason, never sent without them. A reply may then have no text where the network allows."""
    from compris.channels.service import connector_for
    from compris.replies.composition import length_unit, text_length

    if visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        raise Invalid("a reply is public or private")
    if any(u.workspace_id != case.workspace_id for u in attachments):
        raise NotFound("no such file")
    text = _check_text(text, may_be_empty=bool(attachments))
    key = outbox_key(case.workspace_id, idempotency_key or uuid.uuid4().hex)
    existing = session.scalar(select(Outbox).where(Outbox.idempotency_key == key))
    if existing is not None:  # a double submit: the same reply, not a second one
        message = session.get(Message, existing.message_id)
        assert message is not None
        if (message.case_id != case.id or message.text != text or message.visibility != visibility
                or attachment_ids(message) != [u.id for u in attachments]):
            raise Conflict("this idempotency key was already used for another reply")
        return message
    target = reply_target(session, case, visibility, reply_to_message_id)
    account = session.get(ChannelAccount, target.channel_account_id)
    assert account is not None and target.thread_id is not None
    connector = connector_for(account)
    if attachments:
        rules = connector.limits.attachment_rules(visibility)
        if rules is None:
            raise Invalid.of("%(network)s: %(reason)s", network=connector.display_name,
                             reason=Translatable(connector.limits.no_attachments_reason(visibility)))
        refusal = rules.refusal_message(connector.display_name, [_attachment_of(u) for u in attachments],
                                        has_text=bool(text))
        if refusal:
            raise Invalid.of(refusal[0], **refusal[1])
    limit = (
        connector.limits.public_max_length if visibility == Visibility.PUBLIC else connector.limits.private_max_length
    )
    length = text_length(text, length_unit(account.network, connector.limits.length_unit),
                         public=visibility == Visibility.PUBLIC)
    if limit is not None and length > limit:
        raise Invalid(f"{connector.display_name} accepts at most {limit} characters here ({length} typed)")
    if target.visibility == visibility:
        thread_id = target.thread_id
    elif visibility == Visibility.PRIVATE:  # move to private: the customer's DM thread on the same account
        author = session.get(Identity, target.author_identity_id) if target.author_identity_id else None
        if author is None:
            raise Invalid("the customer of this message is unknown")
        dm_key = connector.private_thread_key(
            _bare_context(account), Author(platform_user_id=author.platform_user_id, handle=author.handle)
        )
        thread_id = _thread(session, account, dm_key, visibility, None, author.contact_id).id
    else:
        raise Invalid("a private message cannot be answered in public")
    window_thread = session.get(Thread, thread_id)
    window = connector.reply_window(
        Visibility(visibility),
        (window_thread.last_inbound_at if window_thread else None) or target.sent_at,
        now(),
    )
    if not window.open:
        raise Invalid(window.reason or "the network's reply window is closed")
    message = Message(
        workspace_id=case.workspace_id,
        case_id=case.id,
        thread_id=thread_id,
        channel_account_id=account.id,
        direction=Direction.OUTBOUND,
        visibility=visibility,
        reply_to_message_id=target.id,
        reply_to_platform_id=target.platform_message_id,
        author_user_id=actor.id,
        text=text,
        attachments=[upload_dict(u) for u in attachments],
        sent_at=now(),
        delivery_state=DeliveryState.QUEUED,
        language=case.language,
        platform_extra=dict(platform_extra or {}),
    )
    session.add(message)
    session.flush()
    upload_actions.attach(session, attachments, message)  # its files are no longer a draft's (retention)
    outbox = Outbox(
        workspace_id=case.workspace_id,
        message_id=message.id,
        channel_account_id=account.id,
        idempotency_key=key,
        state=DeliveryState.QUEUED,
    )
    session.add(outbox)
    session.flush()
    enqueue(
        session,
        publisher,
        workspace_id=case.workspace_id,
        kind=SEND_REPLY,
        payload={"outbox_id": outbox.id},
        dedupe_key=f"outbox:{outbox.id}:0",
        max_attempts=1000,
    )
    if case.status == CaseStatus.NEW:
        case.status = CaseStatus.OPEN
    case.last_activity_at = now()
    case.unread = False
    if case.assignee_id is None:
        case.assignee_id = actor.id
        log_event(
            session, case, "assigned", actor.id, workspace_id=case.workspace_id, assignee_id=actor.id, reason="replied"
        )
    log_event(
        session,
        case,
        "reply_queued",
        actor.id,
        workspace_id=case.workspace_id,
        message_id=message.id,
        visibility=visibility,
        **({"upload_ids": [u.id for u in attachments]} if attachments else {}),
    )
    from compris.routing import hooks

    hooks.after_reply(session, publisher, case)
    _publish_case(session, publisher, case, "reply", message_id=message.id)
    return message


def _attachment_of(upload: Upload) -> Attachment:
    return Attachment(kind=upload.kind, name=upload.name, mime_type=upload.mime_type, size=upload.size,
                      upload_id=upload.id)


def upload_dict(upload: Upload) -> dict[str, Any]:
    """How an outbound message keeps an attachment (``url``: where agents of the workspace open it)."""
    return {"kind": upload.kind, "url": f"/uploads/{upload.id}", "name": upload.name,
            "mime_type": upload.mime_type, "size": upload.size, "upload_id": upload.id}


def attachment_ids(message: Message) -> list[int]:
    """The uploads attached to an outbound message, in order."""
    return [int(a["upload_id"]) for a in message.attachments or []
            if isinstance(a, dict) and isinstance(a.get("upload_id"), int)]


def _bare_context(account: ChannelAccount) -> Any:
    from compris.connectors.base import AccountContext

    return AccountContext(
        account_id=account.id,
        workspace_id=account.workspace_id,
        network=account.network,
        external_id=account.external_id,
        settings=dict(account.settings or {}),
    )


def add_note(session: Session, publisher: Publisher, *, actor: User, case: Case, text: str) -> Message:
    message = Message(
        workspace_id=case.workspace_id,
        case_id=case.id,
        thread_id=None,
        channel_account_id=None,
        direction=Direction.OUTBOUND,
        visibility=Visibility.NOTE,
        author_user_id=actor.id,
        text=_check_text(text),
        sent_at=now(),
    )
    session.add(message)
    session.flush()
    case.last_activity_at = now()
    log_event(session, case, "note_added", actor.id, workspace_id=case.workspace_id, message_id=message.id)
    _publish_case(session, publisher, case, "note", message_id=message.id)
    return message


def assign(session: Session, publisher: Publisher, *, actor: User, case: Case, assignee: User | None) -> None:
    if assignee is not None and (assignee.workspace_id != case.workspace_id or not assignee.is_active):
        raise NotFound("no such agent")
    new_id = assignee.id if assignee else None
    if case.assignee_id == new_id:
        return
    previous = case.assignee_id
    case.assignee_id = new_id
    case.last_activity_at = now()
    log_event(
        session,
        case,
        "assigned" if new_id else "unassigned",
        actor.id,
        workspace_id=case.workspace_id,
        assignee_id=new_id,
        previous_assignee_id=previous,
    )
    _publish_case(session, publisher, case, "assigned")


ALLOWED_STATUSES = {s.value for s in CaseStatus}


def set_status(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case: Case,
    status: str,
    snooze_until: datetime | None = None,
) -> None:
    if status not in ALLOWED_STATUSES:
        raise Invalid(f"unknown status {status!r}")
    if status == CaseStatus.NEW:
        raise Invalid("a case cannot be made new again")
    if status == CaseStatus.SNOOZED:
        if snooze_until is None or snooze_until <= now():
            raise Invalid("snooze needs a time in the future")
        case.snoozed_until = snooze_until
    else:
        case.snoozed_until = None
    if case.status == status and status != CaseStatus.SNOOZED:
        return
    previous = case.status
    case.status = status
    t = now()
    case.last_activity_at = t
    if status == CaseStatus.RESOLVED:
        case.resolved_at = t
    elif status != CaseStatus.CLOSED:
        case.resolved_at = None
    kind = {"resolved": "resolved", "closed": "closed"}.get(status, "status_changed")
    if previous in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        kind = "reopened"
    log_event(
        session,
        case,
        kind,
        actor.id,
        workspace_id=case.workspace_id,
        from_status=previous,
        to_status=status,
        until=snooze_until.isoformat() if snooze_until else None,
    )
    from compris.routing import hooks

    hooks.after_status(session, publisher, case)
    _publish_case(session, publisher, case, "status")


def wake_snoozed(session: Session, publisher: Publisher, workspace_id: int | None = None) -> int:
    """Reopen snoozed cases whose time has come (a scheduled job)."""
    query = select(Case).where(Case.status == CaseStatus.SNOOZED, Case.snoozed_until <= now())
    if workspace_id is not None:
        query = query.where(Case.workspace_id == workspace_id)
    count = 0
    for case in session.scalars(query.with_for_update(skip_locked=True)):
        case.status = CaseStatus.OPEN
        case.snoozed_until = None
        case.last_activity_at = now()
        log_event(
            session,
            case,
            "status_changed",
            workspace_id=case.workspace_id,
            from_status=CaseStatus.SNOOZED,
            to_status=CaseStatus.OPEN,
            reason="snooze ended",
        )
        _publish_case(session, publisher, case, "status")
        count += 1
    return count


def mark_read(session: Session, case: Case) -> None:
    case.unread = False


def retry_send(session: Session, publisher: Publisher, *, actor: User, message: Message) -> None:
    """An agent asks to try a failed (or uncertain) reply again."""
    outbox = session.scalar(select(Outbox).where(Outbox.message_id == message.id))
    if outbox is None:
        raise Invalid("this message was not sent through the outbox")
    if outbox.state not in (DeliveryState.FAILED, DeliveryState.UNCERTAIN):
        raise Conflict("only a failed reply can be retried")
    outbox.state = DeliveryState.QUEUED
    outbox.last_error = None
    message.delivery_state = DeliveryState.QUEUED
    message.delivery_error = None
    case = session.get(Case, message.case_id)
    assert case is not None
    generation = outbox.attempts
    enqueue(
        session,
        publisher,
        workspace_id=case.workspace_id,
        kind=SEND_REPLY,
        payload={"outbox_id": outbox.id, "manual": True},
        dedupe_key=f"outbox:{outbox.id}:{generation}:manual",
        max_attempts=1000,
    )
    log_event(session, case, "reply_retry_requested", actor.id, workspace_id=case.workspace_id, message_id=message.id)
    _publish_case(session, publisher, case, "delivery", message_id=message.id)


def merge_contacts(session: Session, publisher: Publisher, *, actor: User, source: Contact, target: Contact) -> None:
    """Merge ``source`` into ``target``: its identities and cases move; the merge can be undone per identity."""
    if source.id == target.id:
        raise Invalid("a contact cannot be merged into itself")
    if source.workspace_id != target.workspace_id or source.workspace_id != actor.workspace_id:
        raise NotFound("no such contact")
    moved = list(session.scalars(select(Identity).where(Identity.contact_id == source.id)))
    for identity in moved:
        identity.contact_id = target.id
    cases = list(session.scalars(select(Case).where(Case.contact_id == source.id)))
    for case in cases:
        case.contact_id = target.id
    source.merged_into_id = target.id
    for case in cases:
        log_event(
            session,
            case,
            "contact_merged",
            actor.id,
            workspace_id=case.workspace_id,
            source_contact_id=source.id,
            target_contact_id=target.id,
        )
        _publish_case(session, publisher, case, "contact")
    log_event(
        session,
        None,
        "contact_merged",
        actor.id,
        workspace_id=target.workspace_id,
        source_contact_id=source.id,
        target_contact_id=target.id,
        identity_ids=[i.id for i in moved],
    )


def unmerge_identity(session: Session, publisher: Publisher, *, actor: User, identity: Identity) -> Contact:
    """Split one identity off into a contact of its own (its future messages go to new cases)."""
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
    log_event(
        session,
        None,
        "identity_unmerged",
        actor.id,
        workspace_id=identity.workspace_id,
        identity_id=identity.id,
        from_contact_id=previous,
        to_contact_id=contact.id,
    )
    return contact


def merge_cases(session: Session, publisher: Publisher, *, actor: User, source: Case, target: Case) -> None:
    """Fold ``source`` into ``target`` (the same customer's same issue): its messages move, it is closed."""
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
    if target.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and source.status in ACTIVE_STATUSES:
        target.status = CaseStatus.OPEN
        target.resolved_at = None
    log_event(
        session,
        target,
        "case_merged",
        actor.id,
        workspace_id=target.workspace_id,
        from_case_id=source.id,
        from_case_number=source.number,
        message_ids=[m.id for m in moved],
    )
    log_event(
        session,
        source,
        "case_merged_into",
        actor.id,
        workspace_id=source.workspace_id,
        into_case_id=target.id,
        into_case_number=target.number,
    )
    session.flush()
    set_status(session, publisher, actor=actor, case=source, status=CaseStatus.CLOSED)
    _publish_case(session, publisher, target, "merged")


TRIAGE_LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "neutral", "positive"),
    "intent": ("complaint", "question", "request", "praise", "spam", "other"),
    "topic": ("delay", "cancellation", "baggage", "booking/payment", "refund", "delivery", "customer service",
              "staff", "product quality", "other"),
    "urgency": ("high", "normal", "low"),
    "language": ("fr", "en", "es", "de", "it", "nl", "pt", "ar", "ru", "unknown"),
}


def correct_triage(session: Session, publisher: Publisher, *, actor: User, message: Message, field: str,
                   label: str) -> TriageCorrection:
    """An agent corrects one triage label: the message shows it at once, ``compris triage train`` learns from it."""
    if message.direction != Direction.INBOUND:
        raise Invalid("only customer messages are triaged")
    allowed = TRIAGE_LABELS.get(field)
    if allowed is None:
        raise Invalid(f"unknown triage field {field!r}")
    if label not in allowed:
        raise Invalid(f"{label!r} is not a {field} label ({', '.join(allowed)})")
    session.refresh(message, with_for_update=True)  # a background refinement (refine_triage) may have just written
    triage = dict(message.triage or {})
    previous = triage.get(field)
    correction = TriageCorrection(workspace_id=message.workspace_id, message_id=message.id, user_id=actor.id,
                                  field=field, label=label, previous=None if previous is None else str(previous),
                                  text=message.text)
    session.add(correction)
    corrected = dict(triage.get("corrected") or {})
    corrected[field] = {"label": label, "by": actor.id, "previous": previous}
    triage[field] = label
    triage["corrected"] = corrected
    message.triage = triage
    if field == "language":
        message.language = label
    case = session.get(Case, message.case_id)
    assert case is not None
    latest = session.scalar(select(Message.id).where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
                            .order_by(Message.sent_at.desc(), Message.id.desc()).limit(1))
    if latest == message.id:
        case.triage = triage
        if field == "language":
            case.language = label
    log_event(session, case, "triage_corrected", actor.id, workspace_id=case.workspace_id, message_id=message.id,
              field=field, label=label, previous=previous)
    _publish_case(session, publisher, case, "triage", message_id=message.id)
    return correction


REFINED_LABELS = ("sentiment", "intent", "topic", "urgency")


def refine_triage(session: Session, publisher: Publisher, *, message: Message, result: TriageResult) -> bool:
    """The accurate triage path re-scored a customer message in the background (job ``triage.refine``).

    The message's triage becomes the accurate one (``path: "accurate"``; fields the accurate path does not
    change, such as personal data, come back the same) with ``refined.was``: what the fast path said for each
    label or priority that changed. **An agent's correction wins**: a corrected label stays as corrected, and
    the priority is computed on the corrected labels. The case's triage and priority follow when that message
    is still the one they came from (the latest recorded, as ``record_inbound`` sets them). Returns False, and
    writes nothing, for a deleted or already refined message (safe to run twice)."""
    # lock the message, then its case (the order correct_triage and merge_cases use), and read them afresh
    session.refresh(message, with_for_update=True)
    if message.direction != Direction.INBOUND or message.deleted_at is not None:
        return False
    current = dict(message.triage or {})
    if current.get("path") == "accurate":
        return False
    case = session.scalar(
        select(Case).where(Case.id == message.case_id).with_for_update().execution_options(populate_existing=True)
    )
    assert case is not None
    case_follows = case.triage == current  # the case's triage came from this message (and nothing newer)
    corrected = dict(current.get("corrected") or {})
    labels = {f: str(fix["label"]) for f, fix in corrected.items() if isinstance(fix, dict) and "label" in fix}
    refined = result.to_dict()
    if labels.keys() & {"intent", "sentiment", "urgency"}:
        refined["priority"], refined["reasons"] = _priority_with(result, labels)
    triage = {k: v for k, v in current.items() if k != "error"}
    triage.update(refined)
    triage.update(labels)
    if corrected:
        triage["corrected"] = corrected
    was = {f: current.get(f) for f in (*REFINED_LABELS, "priority") if current.get(f) != triage.get(f)}
    triage["refined"] = {"at": now().isoformat(), "was": was}
    message.triage = triage
    if triage.get("language"):
        message.language = triage["language"]
    if case_follows:
        case.triage = triage
        case.priority = int(triage.get("priority", 0) or 0)
        if triage.get("language"):
            case.language = triage["language"]
    if was:
        log_event(session, case, "triage_refined", workspace_id=case.workspace_id, message_id=message.id, was=was)
    _publish_case(session, publisher, case, "triage", message_id=message.id)
    return True


def _priority_with(result: TriageResult, labels: dict[str, str]) -> tuple[int, list[str]]:
    """The priority of an accurate result whose intent, sentiment or urgency an agent corrected."""
    import dataclasses

    from compris.triage.core import priority

    changes: dict[str, Any] = {}
    if labels.get("intent", result.intent) != result.intent:
        changes["intent"] = labels["intent"]
    if labels.get("sentiment", result.sentiment) != result.sentiment:
        changes["sentiment"], changes["sentiment_confidence"] = labels["sentiment"], 1.0  # the agent is sure
    if labels.get("urgency", result.urgency) != result.urgency:
        changes["urgency"] = labels["urgency"]
    if not changes:
        return result.priority, list(result.reasons)
    return priority(dataclasses.replace(result, **changes))
