"""Queueing outbound messages: :func:`queue_outbound` is the one way (an agent's reply, the automatic acknowledgement,
and later surveys and bulk replies); the send job (:mod:`compris.inbox.outbound`) sends each exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.channels.accounts import bare_context, connector_for
from compris.connectors.base import Attachment, Author, Choice, Connector, OutboundMessage, Visibility
from compris.events import ReplyFailed, ReplyQueued, ReplyRetryRequested, ReplySent
from compris.inbox.actions.cases import assign, change_status, check_text, reply_target
from compris.inbox.actions.inbound import thread_for
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound, Translatable
from compris.live import Publisher, publish_case
from compris.models import (
    Case,
    CaseStatus,
    ChannelAccount,
    DeliveryState,
    Direction,
    Identity,
    Message,
    Outbox,
    Thread,
    Upload,
    User,
)
from compris.uploads import actions as upload_actions
from compris.worker.queue import enqueue

#: The send job's kind (rows of existing databases carry it: never rename).
SEND_REPLY = "inbox.send_reply"

#: Who queued an outbound message (``message.platform_extra["origin"]``, ``ReplyQueued.origin``).
AGENT = "agent"
AUTO_ACK = "auto_ack"
#: a reply written by a person and sent to many cases at once (``compris.listening.bulk``: a template, an
#: incident's holding statement)
BULK = "bulk"
#: the origins that are a person's answer to the customer (the case's first response, the SLA, the expected wait);
#: the automatic ones (the acknowledgement, a survey) are not
ANSWERS = frozenset({AGENT, BULK})

#: ``platform_extra`` key of a reply the agent posts by hand: where to post it (the connector's ``manual_send_url``)
MANUAL_SEND_URL = "manual_send_url"
#: the reason of a reply posted by hand that the agent said was not posted
NOT_POSTED = "not posted: the agent did not post this reply on the network"


def outbox_key(workspace_id: int, key: str) -> str:
    """Idempotency keys are namespaced by workspace: one workspace can neither collide with nor detect another's."""
    return f"{workspace_id}:{key}"[:100]


def origin_of(message: Message) -> str:
    """Who queued an outbound message: ``agent``, ``auto_ack``... (rows from before ``origin`` was recorded: an
    automatic acknowledgement is marked ``auto_ack``, anything else was an agent's)."""
    return origin_in(message.platform_extra or {})


def origin_in(extra: dict[str, Any]) -> str:
    """:func:`origin_of` read from a message's ``platform_extra`` (for queries that select only that column)."""
    origin = extra.get("origin")
    if isinstance(origin, str) and origin:
        return origin
    return AUTO_ACK if extra.get("auto_ack") else AGENT


def queue_outbound(
    session: Session,
    publisher: Publisher,
    *,
    case: Case,
    text: str,
    visibility: str,
    origin: str = AGENT,
    actor: User | None = None,
    reply_to_message_id: int | None = None,
    idempotency_key: str | None = None,
    platform_extra: dict[str, Any] | None = None,
    attachments: Sequence[Upload] = (),
    choices: Sequence[Choice] = (),
) -> Message:
    """Queue a public or private message on ``case``, answering a customer message; sending happens in a job,
    exactly once. Every outbound message is queued here.

    Checks, in order, and refuses with the reason (:class:`~compris.kit.errors.Invalid`) before writing anything:
    the text, the idempotency key (the same key with the same message returns the message already queued; with
    another one it is a :class:`~compris.kit.errors.Conflict`), the answered message (``reply_to_message_id``, else
    the latest of that visibility), the network's attachment rules for this kind of reply
    (:class:`~compris.connectors.base.AttachmentRules`: files are never dropped), its length limit counted its own
    way (``connector.limits.count``) and its reply window. A private answer to a public message goes to the
    customer's private thread on the same account.

    ``origin`` says who queued it (``agent``, ``auto_ack``, later ``survey``, ``bulk``); it is recorded in
    ``platform_extra["origin"]`` and in :class:`~compris.events.ReplyQueued`. An agent's reply (``origin`` agent,
    with an ``actor``) also takes the case: assigned to the agent when unassigned, a new case becomes open, read.
    ``platform_extra`` is kept for the send (``private_reply_to_comment``: the move-to-private action answers a
    Facebook/Instagram comment with the platform's private reply). ``choices`` are sent as the network's quick
    replies or buttons (kept in ``platform_extra["choices"]``).

    A public reply on a network with :attr:`~compris.connectors.base.Connector.manual_public_replies` (Tripadvisor's
    management responses) is created in the ``manual`` delivery state and no send job is queued: the agent copies it,
    posts it on the network (``platform_extra["manual_send_url"]``, from the connector) and confirms it
    (:func:`confirm_manual_send`), or says it was not posted (:func:`cancel_manual_send`). Only an agent's reply:
    an automatic one (the acknowledgement) is refused there."""
    if visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        raise Invalid("a reply is public or private")
    if any(u.workspace_id != case.workspace_id for u in attachments):
        raise NotFound("no such file")
    text = check_text(text, may_be_empty=bool(attachments))
    key = outbox_key(case.workspace_id, idempotency_key or uuid.uuid4().hex)
    existing = session.scalar(select(Outbox).where(Outbox.idempotency_key == key))
    if existing is not None:  # a double submit: the same message, not a second one
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
    if visibility == Visibility.PRIVATE and not connector.has_private_messages(account.settings or {}):
        raise Invalid.of("%(network)s has no private messages: answer in public", network=connector.display_name)
    limit = connector.limits_for(account.settings or {}).max_length(visibility)
    length = connector.limits.count(text, visibility)
    if limit is not None and length > limit:
        raise Invalid(f"{connector.display_name} accepts at most {limit} characters here ({length} typed)")
    if target.visibility == visibility:
        thread_id = target.thread_id
    elif visibility == Visibility.PRIVATE:  # move to private: the customer's DM thread on the same account
        author = session.get(Identity, target.author_identity_id) if target.author_identity_id else None
        if author is None:
            raise Invalid("the customer of this message is unknown")
        dm_key = connector.private_thread_key(
            bare_context(account), Author(platform_user_id=author.platform_user_id, handle=author.handle)
        )
        thread_id = thread_for(session, account, dm_key, visibility, None, author.contact_id).id
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
    extra = dict(platform_extra or {})
    extra["origin"] = origin
    if choices:
        extra["choices"] = [{"label": c.label, "payload": c.payload, "url": c.url} for c in choices]
    if origin == AUTO_ACK:
        extra["auto_ack"] = True  # how rows from before ``origin`` say it (and the queries that read them)
    manual = visibility == Visibility.PUBLIC and connector.replies_by_hand(account.settings or {})
    if manual and origin != AGENT:  # one response per review, posted by a person: never an automatic one
        raise Invalid.of("%(network)s replies are posted by hand: no automatic public reply",
                         network=connector.display_name)
    if visibility == Visibility.PUBLIC and connector.reviews and origin == AUTO_ACK:
        # a review has one public response, the brand's: an acknowledgement would take its place
        raise Invalid.of("%(network)s: a review is answered by a person, not by an automatic acknowledgement",
                         network=connector.display_name)
    if manual:
        extra[MANUAL_SEND_URL] = _manual_send_url(session, connector, account, target, thread_id, text, key)
    state = DeliveryState.MANUAL if manual else DeliveryState.QUEUED
    actor_id = actor.id if actor is not None else None
    message = Message(
        workspace_id=case.workspace_id,
        case_id=case.id,
        thread_id=thread_id,
        channel_account_id=account.id,
        direction=Direction.OUTBOUND,
        visibility=visibility,
        reply_to_message_id=target.id,
        reply_to_platform_id=target.platform_message_id,
        author_user_id=actor_id,
        text=text,
        attachments=[upload_dict(u) for u in attachments],
        sent_at=now(),
        delivery_state=state,
        language=case.language,
        platform_extra=extra,
    )
    session.add(message)
    session.flush()
    upload_actions.attach(session, attachments, message)  # its files are no longer a draft's (retention)
    outbox = Outbox(
        workspace_id=case.workspace_id,
        message_id=message.id,
        channel_account_id=account.id,
        idempotency_key=key,
        state=state,
    )
    session.add(outbox)
    session.flush()
    if not manual:  # a reply posted by hand is never sent by a job
        enqueue(
            session,
            publisher,
            workspace_id=case.workspace_id,
            kind=SEND_REPLY,
            payload={"outbox_id": outbox.id},
            dedupe_key=f"outbox:{outbox.id}:0",
            max_attempts=1000,
        )
    if origin == AGENT and actor is not None:
        _take_case(session, publisher, case, actor)
    timeline.reply_queued(session, case, message_id=message.id, visibility=visibility, actor_user_id=actor_id,
                          origin=origin, upload_ids=[u.id for u in attachments])
    bus.emit(session, publisher, ReplyQueued(workspace_id=case.workspace_id, actor_user_id=actor_id, case_id=case.id,
                                             message_id=message.id, origin=origin))
    publish_case(session, publisher, case, "reply", message_id=message.id)
    return message


def _take_case(session: Session, publisher: Publisher, case: Case, actor: User) -> None:
    """An agent answered: the case is theirs when it was nobody's, no longer new, and read."""
    if case.assignee_id is None:
        assign(session, publisher, actor=actor, case=case, assignee=actor, reason="replied")
    if case.status == CaseStatus.NEW:
        change_status(session, publisher, case, CaseStatus.OPEN, actor_user_id=actor.id, reason="replied")
    case.last_activity_at = now()
    case.unread = False


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
    """An agent's public or private reply (:func:`queue_outbound` with origin ``agent``): the case becomes the
    agent's when it was unassigned, and open when it was new.

    ``attachments`` (uploads of the case's workspace, checked by the caller) must be accepted by the network for
    this kind of reply: otherwise the reply is refused with the network's reason, never sent without them. A reply
    may then have no text where the network allows."""
    return queue_outbound(session, publisher, case=case, text=text, visibility=visibility, origin=AGENT, actor=actor,
                          reply_to_message_id=reply_to_message_id, idempotency_key=idempotency_key,
                          platform_extra=platform_extra, attachments=attachments)


#: the message's ``platform_extra`` key marking that an earlier send attempt may have reached the platform
#: (see :mod:`compris.inbox.outbound`)
AMBIGUOUS_SEND = "ambiguous_send"


def retry_send(session: Session, publisher: Publisher, *, actor: User, message: Message) -> None:
    """An agent asks to try a failed (or uncertain) reply again."""
    outbox = session.scalar(select(Outbox).where(Outbox.message_id == message.id))
    if outbox is None:
        raise Invalid("this message was not sent through the outbox")
    if outbox.state not in (DeliveryState.FAILED, DeliveryState.UNCERTAIN):
        raise Conflict("only a failed reply can be retried")
    case = session.get(Case, message.case_id)
    assert case is not None
    if is_manual(message):  # a reply posted by hand that was not: it waits to be posted by hand again
        outbox.state = message.delivery_state = DeliveryState.MANUAL
        outbox.last_error = message.delivery_error = None
        timeline.reply_retry_requested(session, case, message_id=message.id, actor_user_id=actor.id)
        bus.emit(session, publisher, ReplyRetryRequested(workspace_id=case.workspace_id, actor_user_id=actor.id,
                                                         case_id=case.id, message_id=message.id))
        publish_case(session, publisher, case, "delivery", message_id=message.id)
        return
    outbox.state = DeliveryState.QUEUED
    outbox.last_error = None
    message.delivery_state = DeliveryState.QUEUED
    message.delivery_error = None
    if AMBIGUOUS_SEND in (message.platform_extra or {}):  # a person checked the network: send again
        message.platform_extra = {k: v for k, v in message.platform_extra.items() if k != AMBIGUOUS_SEND}
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
    timeline.reply_retry_requested(session, case, message_id=message.id, actor_user_id=actor.id)
    bus.emit(session, publisher, ReplyRetryRequested(workspace_id=case.workspace_id, actor_user_id=actor.id,
                                                     case_id=case.id, message_id=message.id))
    publish_case(session, publisher, case, "delivery", message_id=message.id)


# --- replies posted by hand (networks with no API for public replies: Tripadvisor) ----------------------------------


def is_manual(message: Message) -> bool:
    """Whether ``message`` is a reply the agent posts by hand (queued on a network with manual public replies)."""
    return MANUAL_SEND_URL in (message.platform_extra or {})


def manual_send_url(message: Message) -> str | None:
    """Where the agent posts ``message`` by hand (an ``http(s)`` address from the connector), or None."""
    url = (message.platform_extra or {}).get(MANUAL_SEND_URL)
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _manual_send_url(session: Session, connector: Connector, account: ChannelAccount, target: Message,
                     thread_id: int, text: str, key: str) -> str | None:
    """The connector's link to post this reply by hand (the review's page...), from what Compris knows of the
    answered message (its platform notes and permalink); None when the network has none."""
    thread = session.get(Thread, thread_id)
    extra: dict[str, Any] = dict(target.platform_extra or {})
    if target.permalink:
        extra.setdefault("permalink", target.permalink)
    outbound = OutboundMessage(idempotency_key=key, text=text, visibility=Visibility.PUBLIC,
                               thread_key=thread.platform_thread_key if thread is not None else "",
                               reply_to_platform_id=target.platform_message_id, recipient=None, extra=extra)
    url = connector.manual_send_url(bare_context(account), outbound)
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _manual_outbox(session: Session, message: Message) -> tuple[Outbox, Case]:
    """The outbox row of a reply posted by hand, locked; refuses any other message."""
    if message.direction != Direction.OUTBOUND or not is_manual(message):
        raise Invalid("this message is not a reply to post by hand")
    outbox = session.scalar(select(Outbox).where(Outbox.message_id == message.id).with_for_update())
    case = session.get(Case, message.case_id)
    if outbox is None or case is None:
        raise Invalid("this message is not a reply to post by hand")
    return outbox, case


def confirm_manual_send(session: Session, publisher: Publisher, *, actor: User, message: Message) -> bool:
    """The agent posted the reply on the network by hand ("I posted it"): ``manual`` → ``sent``, sent now, and
    counted exactly as a reply the send job sent (:func:`record_sent`: the case's first response, the timeline,
    :class:`~compris.events.ReplySent`, the SLA), the timeline saying it was posted by hand and by whom.

    Idempotent: confirming a reply already confirmed does nothing and returns False (True when this call confirmed
    it). A message that is not a reply to post by hand is refused (:class:`Invalid`), one in another state
    (``failed`` after "not posted": retry it first) is a :class:`Conflict`."""
    outbox, case = _manual_outbox(session, message)
    if outbox.state == DeliveryState.SENT:
        return False
    if outbox.state != DeliveryState.MANUAL:
        raise Conflict("only a reply waiting to be posted by hand can be confirmed")
    extra = dict(message.platform_extra or {})
    extra["posted_by_hand"] = {"user_id": actor.id, "at": now().isoformat()}
    message.platform_extra = extra
    record_sent(session, publisher, case=case, message=message, outbox=outbox, attempt=0,
                platform_message_id=None, posted_by=actor)
    return True


def cancel_manual_send(session: Session, publisher: Publisher, *, actor: User, message: Message) -> bool:
    """The agent did not post the reply ("Not posted"): ``manual`` → ``failed`` with the reason "not posted", kept
    in the case (its text stays readable; the SLA's clock runs again, as for any failed reply). "Retry" puts it back
    in ``manual``. Idempotent: returns False when it was already marked not posted; a confirmed (``sent``) reply is a
    :class:`Conflict` (it is on the network)."""
    outbox, case = _manual_outbox(session, message)
    if outbox.state == DeliveryState.FAILED:
        return False
    if outbox.state != DeliveryState.MANUAL:
        raise Conflict("only a reply waiting to be posted by hand can be marked as not posted")
    reason = NOT_POSTED
    outbox.state = message.delivery_state = DeliveryState.FAILED
    outbox.last_error = message.delivery_error = reason
    timeline.reply_failed(session, case, message_id=message.id, attempt=None, reason=reason,
                          actor_user_id=actor.id)
    bus.emit(session, publisher, ReplyFailed(workspace_id=case.workspace_id, case_id=case.id, message_id=message.id,
                                             reason=reason))
    publish_case(session, publisher, case, "delivery", message_id=message.id)
    return True


def record_sent(session: Session, publisher: Publisher, *, case: Case, message: Message, outbox: Outbox,
                attempt: int, platform_message_id: str | None, posted_by: User | None = None) -> None:
    """A reply went out: by the send job (the platform's id) or posted by hand (``posted_by``, the agent who
    confirmed it). Marks it sent now, counts the case's first response (an agent's reply), writes the timeline,
    emits :class:`~compris.events.ReplySent` (the SLA records the wait) and publishes the case."""
    t = now()
    outbox.state = message.delivery_state = DeliveryState.SENT
    outbox.sent_at = t
    outbox.last_error = message.delivery_error = None
    if platform_message_id is not None:
        message.platform_message_id = platform_message_id
    message.sent_at = t
    origin = origin_of(message)
    if case.first_response_at is None and origin in ANSWERS:
        case.first_response_at = t
    timeline.reply_sent(session, case, message_id=message.id, attempt=attempt,
                        platform_message_id=platform_message_id,
                        posted_by_user_id=posted_by.id if posted_by is not None else None)
    bus.emit(session, publisher, ReplySent(workspace_id=case.workspace_id, case_id=case.id, message_id=message.id,
                                           origin=origin))
    publish_case(session, publisher, case, "delivery", message_id=message.id)


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
