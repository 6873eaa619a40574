"""The send job: one outbox row, sent at most once, never dropped.

1. claim the row (queued/retrying → sending) in its own transaction;
2. call the connector outside any transaction;
3. record the outcome: sent; retrying with backoff; failed with the platform's reason.

A row found in ``sending`` means a worker died mid-send. If the platform de-duplicates by our
idempotency key, sending again is safe; otherwise the row is marked *uncertain* and waits for an agent
to check the network and retry (never sent twice, never silently dropped).

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
from compris.kit.clock import now
from compris.live import publish_case
from compris.models import Case, ChannelAccount, DeliveryState, Identity, Message, Outbox, Thread, Upload
from compris.uploads import media_links, store
from compris.worker.queue import JobRun, RetryLater, backoff

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8


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
    """What the action that queued the reply asked for (the move-to-private action's private reply)."""
    own = message.platform_extra or {}
    return {"private_reply_to_comment": own["private_reply_to_comment"]} if own.get("private_reply_to_comment") else {}


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


def _renew_and_resend(
    run: JobRun, connector: Connector, ctx: AccountContext, outbound: OutboundMessage, refused: SendError
) -> tuple[SendResult | None, SendError | None]:
    try:
        renewed = connector.refresh_credentials(ctx, run.services.http)
    except ConnectorError as exc:
        return None, SendError(f"{refused.reason} — and renewing the access failed: {exc}", retryable=False)
    if not renewed:
        return None, refused
    with run.db.transaction() as session:
        account = session.get(ChannelAccount, ctx.account_id)
        assert account is not None
        store_renewed_secrets(session, run.services.secret_key, account, dict(renewed))
    fresh = dataclasses.replace(ctx, secrets={**ctx.secrets, **renewed})
    try:
        return connector.send(fresh, outbound, run.services.http), None
    except SendError as exc:
        return None, exc


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
        if outbox.state == DeliveryState.SENDING and not connector.idempotent(message.visibility):
            outbox.state = message.delivery_state = DeliveryState.UNCERTAIN
            reason = "the worker stopped while sending; check on the network whether it arrived before retrying"
            outbox.last_error = message.delivery_error = reason
            timeline.reply_uncertain(session, case, message_id=message.id, reason=reason)
            bus.emit(session, publisher, ReplyUncertain(workspace_id=case.workspace_id, case_id=case.id,
                                                        message_id=message.id))
            publish_case(session, publisher, case, "delivery", message_id=message.id)
            return
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

    try:
        if file_error is not None:
            raise file_error
        if files and rules is None:  # the network's rules changed since the reply was queued: never drop files
            raise SendError(f"{connector.display_name}: {connector.limits.no_attachments_reason(message.visibility)}",
                            retryable=False)
        if files and rules is not None and not rules.public_url:
            outbound = dataclasses.replace(outbound, attachments=_with_bytes(run.services.settings.data_dir, files))
        result: SendResult | None = connector.send(ctx, outbound, run.services.http)
        error: SendError | None = None
    except SendError as exc:
        result, error = None, exc
        if exc.unauthorized:  # an expired access token: renew it once and send again
            result, error = _renew_and_resend(run, connector, ctx, outbound, exc)
    except Exception as exc:  # a connector bug or an unexpected network error: retry, keep the reason
        log.exception("send of outbox %s raised", outbox_id)
        result, error = None, SendError(f"{type(exc).__name__}: {exc}", retryable=True)

    with db.transaction() as session:
        outbox = session.scalar(select(Outbox).where(Outbox.id == outbox_id).with_for_update())
        assert outbox is not None
        message = session.get(Message, outbox.message_id)
        case = session.get(Case, message.case_id) if message else None
        assert message is not None and case is not None
        if result is not None:
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
        if error.retryable and attempt < MAX_SEND_ATTEMPTS:
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
