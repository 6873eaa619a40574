"""Analytics' reactions to domain events (``compris.listeners`` entry point).

Every event about a case (every :class:`~compris.events.CaseChange`: a message, a reply sent or failed, a status,
an assignment, a transfer, a merge, a triage change, a survey, an escalation, a breach...) marks the case for the
``analytics.rollup`` job, which recomputes its whole contribution (``analytics/rollups.py``). Marking is one plain
insert in the event's transaction: it never waits for the job, and it is harmless when an event is delivered twice.
A merge marks both cases (the source loses its messages, the target gains them).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.analytics.rollups import mark_dirty
from compris.bus import listens
from compris.events import CaseChange, CasesMerged
from compris.live import Publisher

ORDER = 1000  # after everything else: the case is in its final state for this transaction


@listens(CaseChange, order=ORDER)
def mark_case_for_rollup(session: Session, publisher: Publisher, event: CaseChange) -> None:
    ids = [event.case_id]
    if isinstance(event, CasesMerged):
        ids.append(event.source_case_id)
    mark_dirty(session, event.workspace_id, ids)

