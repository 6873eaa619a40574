"""The send job: one outbox row, sent at most once, never dropped.

1. claim the row (queued/retrying → sending) in its own transaction;
2. call the connector outside any transaction;
3. record the outcome: sent; retrying with backoff; failed with the platform's reason.

Exactly once, or visibly uncertain. A send is *ambiguous* when the platform may have acted on it without a clear
answer (a timeout after the request was written, a 5xx, a connection reset: :attr:`SendError.ambiguous`), and so
is a row found in ``sending`` (a worker died mid-send). After an ambiguous send the message keeps a marker
(``platform_extra["ambiguous_send"]``, the reason) until its outcome is known, so a crash in between is safe too:

- a network that de-duplicates by our idempotency key (:meth:`Connector.idempotent`) is sent again, same key;
- else, where the platform lets us look (:attr:`Connector.can_find_sent`), the next attempt first asks it
  (:meth:`Connector.find_sent`, outside any transaction): found → recorded as sent with its platform id; not
  there → sent again; the platform cannot tell → *uncertain*;
- else the reply is marked *uncertain* at once: it waits for a person to check the network and retry (never sent
  twice, never silently dropped). A person's retry (:func:`~compris.inbox.actions.retry_send`) clears the marker.

A clear refusal or an error before the request left (429, connection refused) keeps the backoff retry.

Each outcome leaves its timeline row and emits its domain event (``ReplySent``, ``ReplyRetrying``, ``ReplyFailed``,
``ReplyUncertain``): the SLA counts a first response when the reply is sent, and runs again when it fails. The job
is registered in :mod:`compris.inbox.tasks` (kind ``inbox.send_reply``, the name rows of existing databases carry).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.channels.accounts import connector_for, context
from compris.channels.actions import store_renewed_secrets
from compris.connectors.base import (
    AccountContext,
    Attachment,
    Author,
    Choice,
    Connector,
    ConnectorError,
    OutboundMessage,
    SendError,
    SendResult,
    Visibility,
)
from compris.events import ReplyFailed, ReplyRetrying, ReplyUncertain
from compris.inbox.actions import attachment_ids, record_sent
from compris.inbox.actions.outbox import AMBIGUOUS_SEND
from compris.kit.clock import now
from compris.live import Publisher, publish_case
from compris.models import Case, ChannelAccount, DeliveryState, Identity, Message, Outbox, Thread, Upload
from compris.uploads import media_links, store
from compris.worker.queue import JobRun, RetryLater, backoff

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8

#: the reasons an agent reads on a reply whose outcome is unknown (each a catalogue msgid; the technical detail
#: follows after " — ")
INTERRUPTED = ("The send was interrupted (the worker stopped while sending): the reply may have reached the network. "
               "Check on the network whether it is there; retry only if it is not.")
NO_LOOKUP = ("The network gave no clear answer (a timeout or a server error) and cannot be asked whether the reply "
             "arrived: check on the network whether it is there; retry only if it is not.")
LOOKUP_FAILED = ("The network gave no clear answer, and asking it whether the reply arrived failed: check on the "
                 "network whether it is there; retry only if it is not.")
WILL_CHECK = ("The network gave no clear answer: Compris will check whether the reply arrived before sending it "
              "again.")


def _outbound_extra(target: Message | None, thread: Thread | None) -> dict[str, object]:
    """What the connector needs to know of the conversation: the answered message's platform notes and
    when the customer last wrote (reply windows)."""
    extra: dict[str, object] = dict(target.platform_extra or {}) if target is not None else {}
    extra.pop("private_reply_to_comment", None)  # only a move-to-private action may set it
    if thread is not None and thread.last_inbound_at is not None:
        extra["last_customer_message_at"] = thread.last_inbound_at.isoformat()
    elif target is not None:
        extra["last_customer_message_at"] = target.sent_at.isoformat()
    return extra


def _own_extra(message: Message) -> dict[str, object]:
    """What the action that queued the reply asked for (the move-to-private action's private reply), and when it
    was queued (:meth:`Connector.find_sent` looks no further back)."""
    own = message.platform_extra or {}
    extra: dict[str, object] = {"queued_at": message.created_at.isoformat()}
    if own.get("private_reply_to_comment"):
        extra["private_reply_to_comment"] = own["private_reply_to_comment"]
    return extra


def _with_detail(reason: str, detail: object) -> str:
    return f"{reason} — {detail}" if detail and isinstance(detail, str) else reason


def _set_marker(message: Message, reason: str | None) -> None:
    """Mark (a reason) or clear (None) "an earlier attempt may have reached the platform"."""
    extra = dict(message.platform_extra or {})
    if reason is None:
        if AMBIGUOUS_SEND not in extra:
            return
        extra.pop(AMBIGUOUS_SEND)
    else:
        extra[AMBIGUOUS_SEND] = reason[:1000]
    message.platform_extra = extra


def _mark_uncertain(session: Session, publisher: Publisher, case: Case, message: Message, outbox: Outbox,
                    reason: str) -> None:
    outbox.state = message.delivery_state = DeliveryState.UNCERTAIN
    outbox.last_error = message.delivery_error = reason[:2000]
    timeline.reply_uncertain(session, case, message_id=message.id, reason=reason[:2000])
    bus.emit(session, publisher, ReplyUncertain(workspace_id=case.workspace_id, case_id=case.id,
                                                message_id=message.id))
    publish_case(session, publisher, case, "delivery", message_id=message.id)


def _choices(message: Message) -> tuple[Choice, ...]:
    """The quick replies or buttons the action that queued the message offered (a survey's ratings)."""
    return tuple(Choice(label=str(c["label"]), payload=str(c["payload"]), url=c.get("url"))
                 for c in (message.platform_extra or {}).get("choices") or [])


@dataclass(frozen=True)
class _File:
    attachment: Attachment
    workspace_id: int
    sha256: str


def _files(run: JobRun, session: Session, message: Message) -> list[_File]:
    """The reply's uploads, each with the signed public address a network may fetch it from. The address
    expires ``COMPRIS_MEDIA_URL_TTL_SECONDS`` after the reply was queued, so every attempt sends the same one."""
    settings = run.services.settings
    ids = attachment_ids(message)
    uploads = {u.id: u for u in session.scalars(
        select(Upload).where(Upload.workspace_id == message.workspace_id, Upload.id.in_(ids)))} if ids else {}
    expires = message.created_at + timedelta(seconds=settings.media_url_ttl_seconds)
    files = []
    for upload_id in ids:
        upload = uploads.get(upload_id)
        if upload is None:
            raise SendError(f"the attached file {upload_id} no longer exists", retryable=False)
        url = media_links.url(settings.base_url, settings.secret_key, upload.workspace_id, upload.id, expires,
                              upload.name)
        files.append(_File(Attachment(kind=upload.kind, url=url, name=upload.name, mime_type=upload.mime_type,
                                      size=upload.size, upload_id=upload.id), upload.workspace_id, upload.sha256))
    return files


def _with_bytes(data_dir: Path, files: list[_File]) -> tuple[Attachment, ...]:
    """Read the files (outside any transaction) for networks that take the bytes rather than a URL."""
    loaded = []
    for f in files:
        try:
            data = store.read(data_dir, f.workspace_id, f.sha256)
        except OSError:
            raise SendError(f"the attached file {f.attachment.name} is missing from the file store",
                            retryable=False) from None
        loaded.append(dataclasses.replace(f.attachment, data=data))
    return tuple(loaded)


def _renewed(run: JobRun, connector: Connector, ctx: AccountContext) -> AccountContext | None:
    """The account with renewed credentials (stored), or None when the network has nothing to renew; raises
    :class:`ConnectorError` when the platform refuses."""
    renewed = connector.refresh_credentials(ctx, run.services.http)
    if not renewed:
        return None
    with run.db.transaction() as session:
        account = session.get(ChannelAccount, ctx.account_id)
        assert account is not None
        store_renewed_secrets(session, run.services.secret_key, account, dict(renewed))
    return dataclasses.replace(ctx, secrets={**ctx.secrets, **renewed})


def _renew_and_resend(
    run: JobRun, connector: Connector, ctx: AccountContext, outbound: OutboundMessage, refused: SendError
) -> tuple[SendResult | None, SendError | None]:
    try:
        fresh = _renewed(run, connector, ctx)
    except ConnectorError as exc:
        return None, SendError(f"{refused.reason} — and renewing the access failed: {exc}", retryable=False)
    if fresh is None:
        return None, refused
    try:
        return connector.send(fresh, outbound, run.services.http), None
    except SendError as exc:
        return None, exc


def _find_sent(run: JobRun, connector: Connector, ctx: AccountContext,
               outbound: OutboundMessage) -> tuple[SendResult | None, str | None, AccountContext]:
    """Ask the platform whether an ambiguous send arrived: (its record or None, why it cannot tell, the account —
    renewed when an expired token was refused)."""
    for renew in (True, False):
        try:
            return connector.find_sent(ctx, outbound, run.services.http), None, ctx
        except SendError as exc:
            if not (exc.unauthorized and renew):
                return None, exc.reason, ctx
            try:
                fresh = _renewed(run, connector, ctx)
            except ConnectorError as refused:
                return None, f"{exc.reason} — and renewing the access failed: {refused}", ctx
            if fresh is None:
                return None, exc.reason, ctx
            ctx = fresh
        except ConnectorError as exc:
            return None, str(exc) or type(exc).__name__, ctx
        except Exception as exc:  # a connector bug: the platform could not tell us
            log.exception("find_sent raised")
            return None, f"{type(exc).__name__}: {exc}", ctx
    raise AssertionError("unreachable")


def send_outbox_message(run: JobRun) -> None:
    """The job ``inbox.send_reply``: send the outbox row ``payload["outbox_id"]`` (see the module's docstring)."""
    outbox_id = int(run.payload["outbox_id"])
    db, publisher = run.db, run.publisher
    with db.transaction() as session:
        outbox = session.scalar(select(Outbox).where(Outbox.id == outbox_id).with_for_update())
        if outbox is None or outbox.state in (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.UNCERTAIN,
                                              DeliveryState.MANUAL):  # a reply posted by hand is never sent here
            return
        message = session.get(Message, outbox.message_id)
        account = session.get(ChannelAccount, outbox.channel_account_id)
        assert message is not None and account is not None
        connector = connector_for(account)
        case = session.get(Case, message.case_id)
        assert case is not None
        marker = (message.platform_extra or {}).get(AMBIGUOUS_SEND)
        crashed = outbox.state == DeliveryState.SENDING
        check_first = False
        if (crashed or marker) and not connector.idempotent(message.visibility):
            if not connector.can_find_sent:  # never a blind retry
                reason = INTERRUPTED if crashed else _with_detail(NO_LOOKUP, marker)
                _mark_uncertain(session, publisher, case, message, outbox, reason)
                return
            check_first = True  # ask the platform first; the marker survives a crash during the check
            if not marker:
                _set_marker(message, "the worker stopped while sending")
        outbox.state = message.delivery_state = DeliveryState.SENDING
        outbox.attempts += 1
        attempt = outbox.attempts
        thread = session.get(Thread, message.thread_id) if message.thread_id else None
        recipient = None
        target = session.get(Message, message.reply_to_message_id) if message.reply_to_message_id else None
        if target is not None and target.author_identity_id:
            identity = session.get(Identity, target.author_identity_id)
            if identity is not None:
                recipient = Author(
                    platform_user_id=identity.platform_user_id, handle=identity.handle, name=identity.name
                )
        try:
            files = _files(run, session, message)
            file_error = None
        except SendError as exc:
            files, file_error = [], exc
        rules = connector.limits.attachment_rules(message.visibility)
        outbound = OutboundMessage(
            idempotency_key=outbox.idempotency_key,
            text=message.text,
            visibility=Visibility(message.visibility),
            thread_key=thread.platform_thread_key if thread else "",
            reply_to_platform_id=message.reply_to_platform_id,
            recipient=recipient,
            attachments=tuple(f.attachment for f in files),
            extra={**_outbound_extra(target, thread), **_own_extra(message)},
            progress=dict((message.platform_extra or {}).get("send_progress") or {}),
            choices=_choices(message),
        )
        ctx = context(account, run.services.secret_key)

    found: SendResult | None = None
    lookup_error: str | None = None
    result: SendResult | None = None
    error: SendError | None = None
    if check_first:
        found, lookup_error, ctx = _find_sent(run, connector, ctx, outbound)
    try:
        if lookup_error is not None or found is not None:
            result, error = found, None
        elif file_error is not None:
            raise file_error
        elif files and rules is None:  # the network's rules changed since the reply was queued: never drop files
            raise SendError(f"{connector.display_name}: {connector.limits.no_attachments_reason(message.visibility)}",
                            retryable=False)
        else:
            if files and rules is not None and not rules.public_url:
                outbound = dataclasses.replace(outbound,
                                               attachments=_with_bytes(run.services.settings.data_dir, files))
            result = connector.send(ctx, outbound, run.services.http)
            error = None
    except SendError as exc:
        result, error = None, exc
        if exc.unauthorized:  # an expired access token: renew it once and send again
            result, error = _renew_and_resend(run, connector, ctx, outbound, exc)
    except Exception as exc:  # a connector bug or an unexpected network error: it may have been sent
        log.exception("send of outbox %s raised", outbox_id)
        result, error = None, SendError(f"{type(exc).__name__}: {exc}", retryable=True, ambiguous=True)

    with db.transaction() as session:
        outbox = session.scalar(select(Outbox).where(Outbox.id == outbox_id).with_for_update())
        assert outbox is not None
        message = session.get(Message, outbox.message_id)
        case = session.get(Case, message.case_id) if message else None
        assert message is not None and case is not None
        if lookup_error is not None:
            _mark_uncertain(session, publisher, case, message, outbox,
                            _with_detail(LOOKUP_FAILED, lookup_error))
            return
        if result is not None:
            if found is not None:
                log.info("outbox %s: the platform already has the reply (%s)", outbox_id, found.platform_message_id)
            _set_marker(message, None)
            if result.parts or (message.platform_extra or {}).get("send_progress"):
                extra = {k: v for k, v in (message.platform_extra or {}).items() if k != "send_progress"}
                extra["part_ids"] = [v for k, v in result.parts.items() if not k.startswith("media:")]
                message.platform_extra = extra
            if result.thread_key and message.thread_id:
                thread = session.get(Thread, message.thread_id)
                if thread is not None and thread.platform_thread_key != result.thread_key:
                    clash = session.scalar(
                        select(Thread.id).where(
                            Thread.channel_account_id == thread.channel_account_id,
                            Thread.platform_thread_key == result.thread_key,
                        )
                    )
                    if clash is None:
                        thread.platform_thread_key = result.thread_key
            record_sent(session, publisher, case=case, message=message, outbox=outbox, attempt=attempt,
                        platform_message_id=result.platform_message_id)
            return
        assert error is not None
        if error.progress:  # parts that did go out: the next attempt resumes after them
            extra = dict(message.platform_extra or {})
            extra["send_progress"] = {**dict(extra.get("send_progress") or {}), **error.progress}
            message.platform_extra = extra
        message.delivery_error = outbox.last_error = error.reason[:2000]
        if error.ambiguous:
            _set_marker(message, error.reason)
            if not connector.idempotent(message.visibility) and not connector.can_find_sent:
                _mark_uncertain(session, publisher, case, message, outbox, _with_detail(NO_LOOKUP, error.reason))
                return
            if attempt >= MAX_SEND_ATTEMPTS:  # never "failed": it may be there
                _mark_uncertain(session, publisher, case, message, outbox, _with_detail(NO_LOOKUP, error.reason))
                return
            if not connector.idempotent(message.visibility):
                message.delivery_error = outbox.last_error = _with_detail(WILL_CHECK, error.reason)[:2000]
        else:
            _set_marker(message, None)  # certainly not sent by this attempt (and any earlier one was checked)
        if (error.retryable or error.ambiguous) and attempt < MAX_SEND_ATTEMPTS:
            delay = max(error.retry_after or 0.0, backoff(attempt))
            outbox.state = message.delivery_state = DeliveryState.RETRYING
            outbox.next_attempt_at = now() + timedelta(seconds=delay)
            timeline.reply_retrying(session, case, message_id=message.id, attempt=attempt, reason=error.reason,
                                    retry_in_seconds=delay)
            bus.emit(session, publisher, ReplyRetrying(workspace_id=case.workspace_id, case_id=case.id,
                                                       message_id=message.id, reason=error.reason[:500]))
            publish_case(session, publisher, case, "delivery", message_id=message.id)
        else:
            outbox.state = message.delivery_state = DeliveryState.FAILED
            timeline.reply_failed(session, case, message_id=message.id, attempt=attempt, reason=error.reason)
            bus.emit(session, publisher, ReplyFailed(workspace_id=case.workspace_id, case_id=case.id,
                                                     message_id=message.id, reason=error.reason[:500]))
            publish_case(session, publisher, case, "delivery", message_id=message.id)
            return
    raise RetryLater(delay, error.reason)
