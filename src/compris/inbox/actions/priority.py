"""The case's priority recomputed from its open needs (:mod:`compris.inbox.priority`): on each customer message
(inside :func:`~compris.inbox.actions.inbound.record_inbound`, before routing and the SLA read it), on an answer
sent, a triage change, a merge (``inbox.listeners``), and every few minutes for the waiting time
(``inbox.priority.refresh``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import bus
from compris.connectors.base import Visibility
from compris.events import CasePriorityChanged
from compris.inbox.priority import CasePriority, Need, case_priority
from compris.kit.clock import now
from compris.live import Publisher, publish_case
from compris.models import Case, Direction, Incident, IncidentCase, IncidentStatus, Message

#: an outbound message in these states reached the customer (None: a reply the brand posted from the network's app)
_DELIVERED = (None, "sent", "delivered", "read")
_SPOKEN = (Visibility.PUBLIC, Visibility.PRIVATE)


def open_needs(session: Session, case_id: int) -> list[Need]:
    """The case's customer messages that no answer followed (in the order we received them)."""
    from compris.inbox.actions.outbox import ANSWERS, origin_in  # (outbox imports inbound, which imports this)

    rows = session.execute(
        select(Message.id, Message.direction, Message.visibility, Message.created_at, Message.triage,
               Message.platform_extra, Message.delivery_state, Message.deleted_at)
        .where(Message.case_id == case_id).order_by(Message.created_at, Message.id)
    ).all()
    answered: datetime | None = None
    for _id, direction, visibility, created, _t, extra, state, _d in rows:
        if direction == Direction.OUTBOUND and visibility in _SPOKEN and state in _DELIVERED \
                and origin_in(extra or {}) in ANSWERS:
            answered = created if answered is None else max(answered, created)
    needs: list[Need] = []
    for mid, direction, visibility, created, triage, extra, _s, deleted in rows:
        if direction != Direction.INBOUND or visibility not in _SPOKEN or deleted is not None:
            continue
        if (extra or {}).get("claimed_by") or (answered is not None and created <= answered):
            continue  # a survey's answer (claimed), or answered since
        t: dict[str, Any] = triage or {}
        try:
            score = int(t.get("priority", 0) or 0)
        except (TypeError, ValueError):
            score = 0
        needs.append(Need(message_id=int(mid), at=created, score=score,
                          reasons=[str(r) for r in t.get("reasons") or () if r != "not triaged"],
                          intent=t.get("intent") if isinstance(t.get("intent"), str) else None))
    return needs


def crisis_raise(session: Session, case_id: int) -> int:
    """The largest priority raise of the open crisis incidents the case belongs to (``compris.listening``)."""
    value = session.scalar(
        select(func.max(Incident.crisis_priority))
        .join(IncidentCase, IncidentCase.incident_id == Incident.id)
        .where(IncidentCase.case_id == case_id, Incident.crisis.is_(True),
               Incident.status.in_((IncidentStatus.SUSPECTED, IncidentStatus.CONFIRMED))))
    return int(value or 0)


def compute(session: Session, case: Case, at: datetime | None = None) -> CasePriority:
    return case_priority(open_needs(session, case.id), at or now(), crisis_raise=crisis_raise(session, case.id))


def apply_priority(session: Session, case: Case, at: datetime | None = None) -> tuple[int, bool]:
    """Write the case's priority, its reasons and ``awaiting_since``; returns (previous priority, changed)."""
    session.flush()  # the message just added counts
    result = compute(session, case, at)
    previous = case.priority
    info = result.info()
    changed = (case.priority, case.priority_info, case.awaiting_since) != (result.score, info, result.awaiting_since)
    if changed:
        case.priority = result.score
        case.priority_info = info
        case.awaiting_since = result.awaiting_since
    return previous, changed


def refresh_priority(session: Session, publisher: Publisher, case: Case, *, at: datetime | None = None) -> bool:
    """Recompute the case's priority (an answer, a triage change, a merge, the waiting time); when its score
    changed: :class:`~compris.events.CasePriorityChanged` and a live update of the case's row."""
    previous, changed = apply_priority(session, case, at)
    if changed and case.priority != previous:
        session.flush()
        bus.emit(session, publisher, CasePriorityChanged(workspace_id=case.workspace_id, case_id=case.id,
                                                         priority=case.priority, previous_priority=previous))
        publish_case(session, publisher, case, "priority")
    return changed


#: cases recomputed per pass of ``inbox.priority.refresh`` (the longest-waiting first)
REFRESH_BATCH = 2000


def refresh_waiting(session: Session, publisher: Publisher, *, at: datetime | None = None,
                    workspace_id: int | None = None, everything: bool = False) -> int:
    """The waiting time grew: recompute the active cases that await an answer (``everything``: every active case,
    e.g. after rows were written in bulk). Returns how many changed."""
    from compris.models import ACTIVE_STATUSES

    at = at or now()
    query = select(Case).where(Case.status.in_(ACTIVE_STATUSES))
    if not everything:
        query = query.where(Case.awaiting_since.is_not(None))
    if workspace_id is not None:
        query = query.where(Case.workspace_id == workspace_id)
    changed = 0
    for case in session.scalars(query.order_by(Case.awaiting_since, Case.id).limit(REFRESH_BATCH)):
        changed += refresh_priority(session, publisher, case, at=at)
    return changed
