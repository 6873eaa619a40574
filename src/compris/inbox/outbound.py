"""The send job: one outbox row, sent at most once, never dropped.

1. claim the row (queued/retrying → sending) in its own transaction;
2. call the connector outside any transaction;
3. record the outcome: sent; retrying with backoff; failed with the platform's reason.

A row found in ``sending`` means a worker died mid-send. If the platform de-duplicates by our
idempotency key, sending again is safe; otherwise the row is marked *uncertain* and waits for an agent
to check the network and retry (never sent twice, never silently dropped).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from sqlalchemy import select

from compris.channels.service import connector_for, context, store_renewed_secrets
from compris.connectors.base import (
    AccountContext,
    Author,
    Connector,
    ConnectorError,
    OutboundMessage,
    SendError,
    SendResult,
    Visibility,
)
from compris.inbox.actions import SEND_REPLY, _publish_case, log_event
from compris.kit.clock import now
from compris.models import Case, ChannelAccount, DeliveryState, Identity, Message, Outbox, Thread
from compris.worker.queue import JobRun, RetryLater, backoff, handler

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


@handler(SEND_REPLY)
def send_reply(run: JobRun) -> None:
    outbox_id = int(run.payload["outbox_id"])
    db, publisher = run.db, run.publisher
    with db.transaction() as session:
        outbox = session.scalar(select(Outbox).where(Outbox.id == outbox_id).with_for_update())
        if outbox is None or outbox.state in (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.UNCERTAIN):
            return
        message = session.get(Message, outbox.message_id)
        account = session.get(ChannelAccount, outbox.channel_account_id)
        assert message is not None and account is not None
        connector = connector_for(account)
        case = session.get(Case, message.case_id)
        assert case is not None
        if outbox.state == DeliveryState.SENDING and not connector.supports_idempotency:
            outbox.state = message.delivery_state = DeliveryState.UNCERTAIN
            reason = "the worker stopped while sending; check on the network whether it arrived before retrying"
            outbox.last_error = message.delivery_error = reason
            log_event(
                session, case, "reply_uncertain", workspace_id=case.workspace_id, message_id=message.id, reason=reason
            )
            _publish_case(session, publisher, case, "delivery", message_id=message.id)
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
        outbound = OutboundMessage(
            idempotency_key=outbox.idempotency_key,
            text=message.text,
            visibility=Visibility(message.visibility),
            thread_key=thread.platform_thread_key if thread else "",
            reply_to_platform_id=message.reply_to_platform_id,
            recipient=recipient,
            extra={**_outbound_extra(target, thread), **_own_extra(message)},
        )
        ctx = context(account, run.services.secret_key)

    try:
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
            t = now()
            outbox.state = message.delivery_state = DeliveryState.SENT
            outbox.sent_at = t
            outbox.last_error = message.delivery_error = None
            message.platform_message_id = result.platform_message_id
            message.sent_at = t
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
            if case.first_response_at is None and not (message.platform_extra or {}).get("auto_ack"):
                case.first_response_at = t
            log_event(
                session,
                case,
                "reply_sent",
                workspace_id=case.workspace_id,
                message_id=message.id,
                attempt=attempt,
                platform_message_id=result.platform_message_id,
            )
            _publish_case(session, publisher, case, "delivery", message_id=message.id)
            return
        assert error is not None
        message.delivery_error = outbox.last_error = error.reason[:2000]
        if error.retryable and attempt < MAX_SEND_ATTEMPTS:
            delay = max(error.retry_after or 0.0, backoff(attempt))
            outbox.state = message.delivery_state = DeliveryState.RETRYING
            outbox.next_attempt_at = now() + timedelta(seconds=delay)
            log_event(
                session,
                case,
                "reply_retrying",
                workspace_id=case.workspace_id,
                message_id=message.id,
                attempt=attempt,
                reason=error.reason[:500],
                retry_in_seconds=round(delay, 1),
            )
            _publish_case(session, publisher, case, "delivery", message_id=message.id)
        else:
            outbox.state = message.delivery_state = DeliveryState.FAILED
            log_event(
                session,
                case,
                "reply_failed",
                workspace_id=case.workspace_id,
                message_id=message.id,
                attempt=attempt,
                reason=error.reason[:500],
            )
            _publish_case(session, publisher, case, "delivery", message_id=message.id)
            return
    raise RetryLater(delay, error.reason)
