"""Analytics' reactions to domain events (``compris.listeners`` entry point).

Every event that can move a figure of a case (:data:`COUNTED`: a message received, claimed, deleted or echoed, a
reply sent, failed, uncertain or retried, a delivery status, a status, an assignment, a transfer, a merge, a triage
change, a breach, a survey, an escalation, tags added or removed, the reply guard's findings kept) marks the case
for the ``analytics.rollup`` job, which recomputes its whole contribution (``analytics/rollups.py``). Marking is one
plain insert per case and transaction: it never waits for the job, and it is harmless when an event is delivered
twice. A merge marks both cases (the source loses its messages, the target gains them). Events that move no figure
(an agent opening a case, a reply queued or retrying, a note, incidents, business actions) are not listened to, so
the busiest events cost nothing here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.analytics.rollups import mark_dirty
from compris.bus import listens
from compris.events import (
    CaseAssigned,
    CaseChange,
    CaseOpened,
    CaseRouted,
    CasesMerged,
    CasesUnmerged,
    CaseTagged,
    DeliveryStatusChanged,
    EchoReceived,
    EscalationChange,
    GuardFindingsRecorded,
    MessageClaimed,
    MessageDeleted,
    MessageReceived,
    ReplyFailed,
    ReplyRetryRequested,
    ReplySent,
    ReplyUncertain,
    SlaBreached,
    StatusChanged,
    SurveyChange,
    TriageChanged,
)
from compris.live import Publisher

ORDER = 1000  # after everything else: the case is in its final state for this transaction
#: the events about a case that can move a figure (base classes take their subclasses)
COUNTED: tuple[type[CaseChange], ...] = (
    CaseOpened, MessageReceived, MessageClaimed, EchoReceived, MessageDeleted, ReplySent, ReplyFailed,
    ReplyUncertain, ReplyRetryRequested, DeliveryStatusChanged, StatusChanged, CaseAssigned, CaseRouted,
    CasesMerged, CasesUnmerged, TriageChanged, SlaBreached, SurveyChange, EscalationChange, CaseTagged,
    GuardFindingsRecorded,
)


@listens(*COUNTED, order=ORDER)
def mark_case_for_rollup(session: Session, publisher: Publisher, event: CaseChange) -> None:
    ids = [event.case_id]
    if isinstance(event, CasesMerged | CasesUnmerged):
        ids.append(event.source_case_id)
    mark_dirty(session, event.workspace_id, ids)
