"""Surveys' reactions to domain events (registered through the ``compris.listeners`` entry point).

* ``StatusChanged`` to resolved: the survey of this resolution cycle is scheduled (or skipped, with why); a case
  leaving resolved for the queue (reopened) cancels its survey still waiting for its delay.
* ``InboundScreened``: a customer's answer to a survey (a button's payload, a rating in words, the comment) is
  claimed, kept on the survey's case without reopening it; ``MessageClaimed`` (ours) records it.
* ``ReplyFailed`` of a survey's message: the survey records why it did not reach the customer.
* ``SurveyAnswered`` at or under the low rating: the supervisors are alerted, the case reopens when set to.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import InboundScreened, MessageClaimed, ReplyFailed, StatusChanged, SurveyAnswered
from compris.live import Publisher
from compris.models import Case, CaseStatus, Message
from compris.surveys import actions

ORDER = 60  # after routing, the expected wait and the SLA


@listens(StatusChanged, order=ORDER)
def survey_on_resolution(session: Session, publisher: Publisher, event: StatusChanged) -> None:
    if event.to_status == event.from_status:
        return
    case = session.get(Case, event.case_id)
    if case is None:
        return
    if event.to_status == CaseStatus.RESOLVED:
        actions.schedule(session, publisher, case)
    elif event.from_status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and event.to_status != CaseStatus.CLOSED:
        actions.cancel(session, publisher, case)


@listens(InboundScreened, order=ORDER)
def claim_survey_answer(session: Session, publisher: Publisher, event: InboundScreened) -> None:
    actions.screen(session, event)


@listens(MessageClaimed, order=ORDER)
def record_survey_answer(session: Session, publisher: Publisher, event: MessageClaimed) -> None:
    if event.by != actions.CLAIMED_BY:
        return
    message = session.get(Message, event.message_id)
    if message is not None:
        actions.take_claimed(session, publisher, message)


@listens(ReplyFailed, order=ORDER)
def survey_send_failed(session: Session, publisher: Publisher, event: ReplyFailed) -> None:
    actions.send_failed(session, publisher, event.message_id, event.reason)


@listens(SurveyAnswered, order=ORDER)
def follow_low_rating(session: Session, publisher: Publisher, event: SurveyAnswered) -> None:
    actions.follow_low_rating(session, publisher, event)
