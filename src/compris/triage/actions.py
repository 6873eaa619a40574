"""Writes of triage: an agent's correction of a label, and the accurate path's background refinement.

Like every action these never commit; they write the case's timeline, emit :class:`~compris.events.TriageChanged`
and publish the live event (after commit)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import TriageChanged
from compris.kit.clock import now
from compris.kit.errors import Invalid, Translatable
from compris.live import Publisher, publish_case
from compris.models import Case, Direction, Message, TriageCorrection, User
from compris.triage.labels import REFINED_LABELS, TRIAGE_LABELS

if TYPE_CHECKING:  # the models stay unloaded until a refinement needs them
    from compris.triage.core import TriageResult

__all__ = ["REFINED_LABELS", "TRIAGE_LABELS", "correct_triage", "refine_triage"]


#: the fields' names as the case page shows them (the French catalogue translates them)
_FIELD_NAMES = {"intent": "intent", "sentiment": "sentiment", "topic": "topic", "urgency": "urgency",
                "language": "language"}


def correct_triage(session: Session, publisher: Publisher, *, actor: User, message: Message, field: str,
                   label: str) -> TriageCorrection:
    """An agent corrects one triage label: the message shows it at once, ``compris triage train`` learns from it."""
    if message.direction != Direction.INBOUND:
        raise Invalid("only customer messages are triaged")
    allowed = TRIAGE_LABELS.get(field)
    if allowed is None:
        if not field:
            raise Invalid("Choose the label to correct.")
        raise Invalid.of("“%(field)s” is not a triage label that can be corrected.", field=field)
    if label not in allowed:  # "intent = positive": a sentiment is no intent
        raise Invalid.of("“%(label)s” is not a possible %(field)s: choose one of %(allowed)s.", label=label,
                         field=Translatable(_FIELD_NAMES.get(field, field)), allowed=", ".join(allowed))
    session.refresh(message, with_for_update=True)  # a background refinement (refine_triage) may have just written
    triage = dict(message.triage or {})
    previous = triage.get(field)
    correction = TriageCorrection(workspace_id=message.workspace_id, message_id=message.id, user_id=actor.id,
                                  field=field, label=label, previous=None if previous is None else str(previous),
                                  text=message.text)
    session.add(correction)
    corrected = dict(triage.get("corrected") or {})
    corrected[field] = {"label": label, "by": actor.id, "previous": previous}
    triage[field] = label
    triage["corrected"] = corrected
    message.triage = triage
    if field == "language":
        message.language = label
    case = session.get(Case, message.case_id)
    assert case is not None
    latest = session.scalar(select(Message.id).where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
                            .order_by(Message.sent_at.desc(), Message.id.desc()).limit(1))
    case_follows = latest == message.id
    if case_follows:
        case.triage = triage
        if field == "language":
            case.language = label
    timeline.triage_corrected(session, case, message_id=message.id, field=field, label=label, previous=previous,
                              actor_user_id=actor.id)
    bus.emit(session, publisher, TriageChanged(workspace_id=case.workspace_id, actor_user_id=actor.id,
                                               case_id=case.id, message_id=message.id, fields=(field,),
                                               corrected=True, case_follows=case_follows))
    publish_case(session, publisher, case, "triage", message_id=message.id)
    return correction


def refine_triage(session: Session, publisher: Publisher, *, message: Message, result: TriageResult) -> bool:
    """The accurate triage path re-scored a customer message in the background (job ``triage.refine``).

    The message's triage becomes the accurate one (``path: "accurate"``; fields the accurate path does not
    change, such as personal data, come back the same) with ``refined.was``: what the fast path said for each
    label or priority that changed. **An agent's correction wins**: a corrected label stays as corrected, and
    the priority is computed on the corrected labels. The case's triage and priority follow when that message
    is still the one they came from (the latest recorded, as ``record_inbound`` sets them). Returns False, and
    writes nothing, for a deleted or already refined message (safe to run twice)."""
    # lock the message, then its case (the order correct_triage and merge_cases use), and read them afresh
    session.refresh(message, with_for_update=True)
    if message.direction != Direction.INBOUND or message.deleted_at is not None or (message.triage or {}).get("erased"):
        return False  # deleted, or its content erased (compris.privacy): the labels it had stay
    current = dict(message.triage or {})
    if current.get("path") == "accurate":
        return False
    case = session.scalar(
        select(Case).where(Case.id == message.case_id).with_for_update().execution_options(populate_existing=True)
    )
    assert case is not None
    case_follows = case.triage == current  # the case's triage came from this message (and nothing newer)
    corrected = dict(current.get("corrected") or {})
    labels = {f: str(fix["label"]) for f, fix in corrected.items() if isinstance(fix, dict) and "label" in fix}
    refined = result.to_dict()
    if labels.keys() & {"intent", "sentiment", "urgency"}:
        refined["priority"], refined["reasons"] = _priority_with(result, labels)
    triage = {k: v for k, v in current.items() if k != "error"}
    triage.update(refined)
    triage.update(labels)
    if corrected:
        triage["corrected"] = corrected
    was = {f: current.get(f) for f in (*REFINED_LABELS, "priority") if current.get(f) != triage.get(f)}
    triage["refined"] = {"at": now().isoformat(), "was": was}
    message.triage = triage
    if triage.get("language"):
        message.language = triage["language"]
    if case_follows:
        case.triage = triage
        case.priority = int(triage.get("priority", 0) or 0)
        if triage.get("language"):
            case.language = triage["language"]
    if was:
        timeline.triage_refined(session, case, message_id=message.id, was=was)
    bus.emit(session, publisher, TriageChanged(workspace_id=case.workspace_id, case_id=case.id, message_id=message.id,
                                               fields=tuple(was), corrected=False, case_follows=case_follows))
    publish_case(session, publisher, case, "triage", message_id=message.id)
    return True


def _priority_with(result: TriageResult, labels: dict[str, str]) -> tuple[int, list[str]]:
    """The priority of an accurate result whose intent, sentiment or urgency an agent corrected."""
    from compris.triage.core import priority

    changes: dict[str, Any] = {}
    if labels.get("intent", result.intent) != result.intent:
        changes["intent"] = labels["intent"]
    if labels.get("sentiment", result.sentiment) != result.sentiment:
        changes["sentiment"], changes["sentiment_confidence"] = labels["sentiment"], 1.0  # the agent is sure
    if labels.get("urgency", result.urgency) != result.urgency:
        changes["urgency"] = labels["urgency"]
    if not changes:
        return result.priority, list(result.reasons)
    return priority(dataclasses.replace(result, **changes))
