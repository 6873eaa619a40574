"""Domain events counted for monitoring: counters move only once the transaction that emitted the event commits
(a rolled-back ingest or send counts nothing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.db import on_commit
from compris.events import CaseChange, MessageReceived, ReplyFailed, ReplyRetrying, ReplySent, ReplyUncertain
from compris.kit.metrics import INBOUND_MESSAGES, REPLIES
from compris.live import Publisher
from compris.models import ChannelAccount, Message

UNKNOWN = "unknown"


def _network(session: Session, channel_account_id: int | None) -> str:
    account = session.get(ChannelAccount, channel_account_id) if channel_account_id is not None else None
    return account.network if account is not None else UNKNOWN


@listens(MessageReceived, order=900)
def count_inbound(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    counter = INBOUND_MESSAGES.labels(network=_network(session, event.channel_account_id), how=event.how)
    on_commit(session, counter.inc)


_OUTCOMES: dict[type[CaseChange], str] = {ReplySent: "sent", ReplyRetrying: "retrying", ReplyFailed: "failed",
                              ReplyUncertain: "uncertain"}


@listens(ReplySent, ReplyRetrying, ReplyFailed, ReplyUncertain, order=900)
def count_reply(session: Session, publisher: Publisher, event: CaseChange) -> None:
    message_id = getattr(event, "message_id", None)
    message = session.get(Message, message_id) if message_id is not None else None
    network = _network(session, message.channel_account_id if message is not None else None)
    outcome = next(label for kind, label in _OUTCOMES.items() if isinstance(event, kind))
    on_commit(session, REPLIES.labels(network=network, outcome=outcome).inc)
