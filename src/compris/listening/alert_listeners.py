"""Listening's alert listeners (spikes and high reach), imported by :mod:`compris.listening.listeners`.

* ``MessageReceived``: ``count_for_spikes`` adds the customer's message to the spike counters (one statement, the
  last listener before the webhooks: its row locks are held for the shortest time); ``alert_high_reach`` raises
  the case's high-reach alert when a complaint crosses the workspace's thresholds (once per case).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import MessageReceived
from compris.listening import alerts
from compris.live import Publisher
from compris.models import ChannelAccount, Message

REACH_ORDER = 70  # after routing (the case's team says which supervisors to tell)
COUNT_ORDER = 880  # late: the counters' row locks are held until commit


@listens(MessageReceived, order=REACH_ORDER)
def alert_high_reach(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    message = session.get(Message, event.message_id)
    if message is not None:
        alerts.follow_reach(session, publisher, message)


@listens(MessageReceived, order=COUNT_ORDER)
def count_for_spikes(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    message = session.get(Message, event.message_id)
    if message is None:
        return
    account = session.get(ChannelAccount, event.channel_account_id)
    alerts.count_message(session, message, account.network if account is not None else None)
