"""The expected wait's and the SLA's reactions to domain events (``compris.listeners`` entry point).

Orders: routing (10) chooses the team and the agent first; then the expected wait (20) is recorded and
announced; then the SLA (30) recomputes the case's clocks, from the case's own timeline
(:func:`compris.sla.clocks.timeline`), so every event that can move a clock only has to trigger a recompute:

* ``MessageReceived`` (a customer message: a clock starts or restarts), ``StatusChanged`` (pauses, resolution,
  reopening, a snooze ending, a merge reopening its target; one caused by a customer message is left to its
  ``MessageReceived``), ``EchoReceived`` (a reply sent from outside Compris answers too);
* ``ReplySent`` (the first response counts from the send, not the queueing), ``ReplyFailed`` and
  ``DeliveryStatusChanged`` (a reply that fails, even after it was counted, re-opens the clock, and a passed
  deadline is recorded as a breach at once), ``ReplyUncertain``, ``ReplyRetryRequested``;
* ``CasesMerged`` (the target gets the source's messages), ``TriageChanged`` when the case's own triage or
  priority changed (the policy may change), ``CaseRouted`` for a transfer (the breach prediction is per team;
  automatic routing happens inside the inbound handling, which recomputes anyway), ``CaseCrisisChanged`` (an
  incident's crisis mode: another priority, a forced policy).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import (
    CaseChange,
    CaseCrisisChanged,
    CaseRouted,
    CasesMerged,
    CasesUnmerged,
    DeliveryStatusChanged,
    EchoReceived,
    MessageReceived,
    ReplyFailed,
    ReplyRetryRequested,
    ReplySent,
    ReplyUncertain,
    StatusChanged,
    TriageChanged,
)
from compris.live import Publisher
from compris.models import Case, ChannelAccount, Message
from compris.sla import clocks, wait

WAIT_ORDER = 20
SLA_ORDER = 30


@listens(MessageReceived, order=WAIT_ORDER)
def announce_expected_wait(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    """A case opened or reopened: record the expected wait, and acknowledge when the account asks for it."""
    if event.how not in ("opened", "reopened"):
        return
    case = session.get(Case, event.case_id)
    message = session.get(Message, event.message_id)
    account = session.get(ChannelAccount, event.channel_account_id)
    if case is None or message is None or account is None:
        return
    wait.on_case_opened(session, publisher, case, message, account)


@listens(ReplySent, order=WAIT_ORDER)
def record_actual_wait(session: Session, publisher: Publisher, event: ReplySent) -> None:
    """An agent's reply (or a bulk reply) went out: the case's open predictions get their actual wait (automatic
    messages don't)."""
    if event.origin not in ("agent", "bulk"):
        return
    case = session.get(Case, event.case_id)
    if case is not None:
        wait.on_first_reply(session, case)


@listens(MessageReceived, EchoReceived, ReplySent, ReplyFailed, ReplyUncertain, ReplyRetryRequested,
         DeliveryStatusChanged, CasesMerged, CasesUnmerged, order=SLA_ORDER)
def recompute_sla(session: Session, publisher: Publisher, event: CaseChange) -> None:
    if isinstance(event, DeliveryStatusChanged) and event.status == "failed":
        return  # the ReplyFailed emitted with it recomputes (once)
    for case_id in [event.case_id, *([event.source_case_id] if isinstance(event, CasesUnmerged) else [])]:
        case = session.get(Case, case_id)
        if case is not None:
            clocks.apply(session, publisher, case)


@listens(StatusChanged, order=SLA_ORDER)
def recompute_sla_on_status(session: Session, publisher: Publisher, event: StatusChanged) -> None:
    if event.message_id is None:  # (a change caused by a customer message: its MessageReceived recomputes)
        recompute_sla(session, publisher, event)


@listens(TriageChanged, order=SLA_ORDER)
def recompute_sla_on_triage(session: Session, publisher: Publisher, event: TriageChanged) -> None:
    if event.case_follows:  # the case's priority or intent may choose another policy
        recompute_sla(session, publisher, event)


@listens(CaseRouted, order=SLA_ORDER)
def recompute_sla_on_transfer(session: Session, publisher: Publisher, event: CaseRouted) -> None:
    if event.transferred:
        recompute_sla(session, publisher, event)


@listens(CaseCrisisChanged, order=SLA_ORDER)
def recompute_sla_on_crisis(session: Session, publisher: Publisher, event: CaseCrisisChanged) -> None:
    """An incident's crisis mode raised (or restored) the case's priority and forced (or released) a policy."""
    recompute_sla(session, publisher, event)
