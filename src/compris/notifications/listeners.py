"""Notifications from the domain events (registered through the ``compris.listeners`` entry point), inside the
event's transaction, after the other capabilities (order 950: the case is routed, its status and SLA settled).

Who is told:

* ``NoteAdded``: the active users of the workspace the note mentions (``mentions.py``), never its author;
* ``CaseAssigned``: the new assignee, unless they assigned the case to themselves (routing's automatic assignment
  counts: ``actor`` None);
* ``EscalationAnswered``, ``SlaAtRisk``, ``SlaBreached``: the case's assignee; when it has none, the supervisors of
  its team (of the workspace when the team has none) — someone must act;
* ``SurveyAnswered`` at or under the low rating: the supervisors of the case's team, as the live toast.

A breach found long after it happened (a new policy applied to old cases, history loaded by the demo) is recorded
on the case but notifies nobody: nobody can act on it any more, and hundreds at once would drown the bell.

Each occurrence has a key (the note, the timeline row of the assignment, the partner's exchange, the due time at
risk, the breach's metric and cycle, the survey): delivered twice, it notifies once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.bus import listens
from compris.connectors.base import Visibility
from compris.events import CaseAssigned, EscalationAnswered, NoteAdded, SlaAtRisk, SlaBreached, SurveyAnswered
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import Case, CaseEvent, Message, Partner, Survey, User
from compris.notifications import actions, kinds
from compris.notifications.mentions import Candidate, mentioned
from compris.routing.assignment import supervisors_of
from compris.surveys.queries import effective
from compris.timeline import EventKind

ORDER = 950  # after routing, the SLA, the surveys and the outgoing webhooks; before analytics and the audit log
#: a breach found later than this after it happened notifies nobody
STALE_BREACH = timedelta(hours=1)


def _case(session: Session, workspace_id: int, case_id: int) -> Case | None:
    case = session.get(Case, case_id)
    return case if case is not None and case.workspace_id == workspace_id else None


def _responsible(session: Session, case: Case) -> list[int]:
    """Who must act on the case: its assignee, else the supervisors of its team."""
    if case.assignee_id is not None:
        return [case.assignee_id]
    return supervisors_of(session, case.workspace_id, case.team_id)


def _stale(iso: str) -> bool:
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return False
    return at.tzinfo is not None and now() - at > STALE_BREACH


@listens(NoteAdded, order=ORDER)
def notify_mentions(session: Session, publisher: Publisher, event: NoteAdded) -> None:
    case = _case(session, event.workspace_id, event.case_id)
    note = session.get(Message, event.message_id)
    if case is None or note is None or note.visibility != Visibility.NOTE or not note.text or "@" not in note.text:
        return
    candidates = [Candidate(int(uid), str(name), str(email)) for uid, name, email in session.execute(
        select(User.id, User.name, User.email).where(User.workspace_id == case.workspace_id,
                                                     User.is_active.is_(True)))]
    who = mentioned(note.text, candidates)
    author = note.author_user_id if note.author_user_id is not None else event.actor_user_id
    actions.notify(session, publisher, case=case, user_ids=who - {author}, kind=kinds.MENTION,
                   key=f"mention:{note.id}", actor_user_id=author, message_id=note.id, text=note.text)


@listens(CaseAssigned, order=ORDER)
def notify_assignee(session: Session, publisher: Publisher, event: CaseAssigned) -> None:
    if event.assignee_id is None or event.assignee_id == event.actor_user_id:
        return  # unassigned, or taken by oneself
    case = _case(session, event.workspace_id, event.case_id)
    if case is None:
        return
    row = session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.ASSIGNED)
                         .order_by(CaseEvent.id.desc()).limit(1))
    key = (f"assigned:{row}" if row is not None
           else f"assigned:{case.id}:{event.previous_assignee_id}:{event.assignee_id}")
    actions.notify(session, publisher, case=case, user_ids=[event.assignee_id], kind=kinds.ASSIGNED, key=key,
                   actor_user_id=event.actor_user_id)


@listens(EscalationAnswered, order=ORDER)
def notify_partner_answer(session: Session, publisher: Publisher, event: EscalationAnswered) -> None:
    case = _case(session, event.workspace_id, event.case_id)
    if case is None:
        return
    partner = session.get(Partner, event.partner_id)
    actions.notify(session, publisher, case=case, user_ids=_responsible(session, case),
                   kind=kinds.ESCALATION_ANSWERED, key=f"escalation_answered:{event.exchange_id}",
                   data={"partner": partner.name if partner else "", "escalation_id": event.escalation_id})


@listens(SlaAtRisk, order=ORDER)
def notify_sla_at_risk(session: Session, publisher: Publisher, event: SlaAtRisk) -> None:
    case = _case(session, event.workspace_id, event.case_id)
    if case is None:
        return
    actions.notify(session, publisher, case=case, user_ids=_responsible(session, case), kind=kinds.SLA_AT_RISK,
                   key=f"sla_at_risk:{case.id}:{event.due_at or ''}", data={"due_at": event.due_at})


@listens(SlaBreached, order=ORDER)
def notify_sla_breached(session: Session, publisher: Publisher, event: SlaBreached) -> None:
    case = _case(session, event.workspace_id, event.case_id)
    if case is None or _stale(event.breached_at):
        return
    actions.notify(session, publisher, case=case, user_ids=_responsible(session, case), kind=kinds.SLA_BREACHED,
                   key=f"sla_breached:{case.id}:{event.metric}:{event.cycle}", data={"metric": event.metric})


@listens(SurveyAnswered, order=ORDER)
def notify_low_rating(session: Session, publisher: Publisher, event: SurveyAnswered) -> None:
    case = _case(session, event.workspace_id, event.case_id)
    survey = session.get(Survey, event.survey_id)
    if case is None or survey is None:
        return
    if event.rating > effective(session, survey.workspace_id, survey.channel_account_id).low_rating:
        return
    actions.notify(session, publisher, case=case, user_ids=supervisors_of(session, case.workspace_id, case.team_id),
                   kind=kinds.LOW_RATING, key=f"low_rating:{survey.id}", data={"rating": event.rating})
