"""Routing's reactions to domain events (registered through the ``compris.listeners`` entry point).

Order 10: routing runs before the expected wait (20) and the SLA (30), which read the team and the assignee.

* ``MessageReceived``: the case gets a team (rules, else the default team) if it has none, then an agent if
  nobody has it.
* ``StatusChanged``: a case leaving the queue (resolved, waiting, snoozed, closed) frees its agent, so the
  queue is drained; a case coming back to it (reopened, a snooze ending, a merge reopening it) is offered to
  an agent if it has none. A move within the queue (new → open) changes nothing for routing, and a change caused
  by a customer message (``message_id``) is left to that message's ``MessageReceived``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import MessageReceived, StatusChanged
from compris.live import Publisher
from compris.models import Case, ChannelAccount, Message
from compris.routing import assignment

ORDER = 10


@listens(MessageReceived, order=ORDER)
def route_new_message(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    case = session.get(Case, event.case_id)
    account = session.get(ChannelAccount, event.channel_account_id)
    message = session.get(Message, event.message_id)
    if case is None or account is None:
        return
    assignment.route_case(session, publisher, case, account, (message.text if message else None) or "")


@listens(StatusChanged, order=ORDER)
def follow_status(session: Session, publisher: Publisher, event: StatusChanged) -> None:
    if event.message_id is not None:  # a customer message reopened the case: its MessageReceived routes it
        return
    if event.from_status in assignment.QUEUE_STATUSES and event.to_status in assignment.QUEUE_STATUSES:
        return
    case = session.get(Case, event.case_id)
    if case is None:
        return
    if case.status not in assignment.QUEUE_STATUSES:  # the agent has room again
        assignment.assign_waiting(session, publisher, case.workspace_id)
    elif case.assignee_id is None:
        assignment.assign_next(session, publisher, case, assignment.network_of(session, case))
