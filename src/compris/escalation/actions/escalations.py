"""An escalation's lifecycle: escalate a case, follow up, close, cancel, reopen, revoke its links.

The case's status moves only through :func:`compris.inbox.actions.cases.change_status` (the one status path): an
escalation puts the case on "waiting on partner" (the customer SLA pauses), and when the last open escalation of the
case ends while the case still waits on the partner, the case goes back to open (the pause ends). Each step writes
its timeline row, emits its :mod:`compris.events` event inside the transaction and publishes the live case update
after commit. The partner's e-mails are asked for by the e-mail listeners (``escalation.listeners``), never here.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import EscalationClosed, EscalationCreated, EscalationFollowedUp, EscalationReopened
from compris.inbox.actions.cases import FINAL_STATUSES, change_status, check_text
from compris.kit.calendar import add_business_time, require_aware
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import (
    BusinessHours,
    Case,
    CaseStatus,
    Escalation,
    EscalationStatus,
    Exchange,
    Message,
    Partner,
    Upload,
    User,
)
from compris.replies.queries import get_template, render_for_case
from compris.routing import shifts

ENDED = (EscalationStatus.CLOSED, EscalationStatus.CANCELLED)
VIA = ("ui", "api")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def get_escalation(session: Session, workspace_id: int, escalation_id: int, *, case: Case | None = None,
                   for_update: bool = False) -> Escalation:
    """One escalation of the workspace (and of ``case`` when given), else ``NotFound``."""
    query = select(Escalation).where(Escalation.workspace_id == workspace_id, Escalation.id == escalation_id)
    if case is not None:
        query = query.where(Escalation.case_id == case.id)
    if for_update:
        query = query.with_for_update()
    escalation = session.scalar(query)
    if escalation is None:
        raise NotFound("no such escalation")
    return escalation


def default_due(session: Session, partner: Partner, start: datetime) -> datetime:
    """The partner's due time from ``start``: ``due_minutes`` on their business calendar (None: 24/7)."""
    duration = timedelta(minutes=partner.due_minutes)
    hours = session.get(BusinessHours, partner.business_hours_id) if partner.business_hours_id else None
    if hours is None:
        return start + duration
    return add_business_time(shifts.calendar(hours.timezone, hours.hours), start, duration)


def _check_due(due_at: datetime | None, at: datetime) -> datetime | None:
    if due_at is None:
        return None
    try:
        require_aware(due_at, "due_at")
    except ValueError:
        raise Invalid("the due time needs a time zone") from None
    if due_at <= at:
        raise Invalid("the due time must be in the future")
    return due_at


def _partner_for_new(session: Session, workspace_id: int, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None or partner.workspace_id != workspace_id:
        raise NotFound("no such partner or team")
    if not partner.is_active:
        raise Invalid("this partner or team is deactivated")
    return partner


def _shared_messages(session: Session, case: Case, ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    found = set(session.scalars(select(Message.id).where(Message.case_id == case.id, Message.id.in_(wanted),
                                                         Message.deleted_at.is_(None))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound.of("no such message on this case: %(id)s", id=missing[0])
    return wanted


def case_uploads(session: Session, case: Case) -> list[Upload]:
    """The files of the case (the attachments of its messages), oldest first: what an escalation may share."""
    return list(session.scalars(
        select(Upload).join(Message, Message.id == Upload.message_id)
        .where(Message.case_id == case.id, Upload.workspace_id == case.workspace_id)
        .order_by(Upload.id)))


def _shared_uploads(session: Session, case: Case, ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    found = {u.id for u in case_uploads(session, case)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound.of("no such file on this case: %(id)s", id=missing[0])
    return wanted


def _put_on_partner(session: Session, publisher: Publisher, case: Case, *, actor_user_id: int | None,
                    reason: str) -> None:
    if case.status != CaseStatus.WAITING_PARTNER:
        change_status(session, publisher, case, CaseStatus.WAITING_PARTNER, actor_user_id=actor_user_id,
                      reason=reason)


def still_waiting(session: Session, case: Case, *, besides: int | None = None) -> bool:
    """Whether another escalation of the case still waits for its partner (status open)."""
    query = select(Escalation.id).where(Escalation.case_id == case.id, Escalation.status == EscalationStatus.OPEN)
    if besides is not None:
        query = query.where(Escalation.id != besides)
    return session.scalar(query.limit(1)) is not None


def _release_case(session: Session, publisher: Publisher, case: Case, escalation: Escalation, *,
                  actor_user_id: int | None, reason: str) -> None:
    """The last escalation waiting on a partner ended: the case, still waiting on the partner, is open again."""
    if case.status == CaseStatus.WAITING_PARTNER and not still_waiting(session, case, besides=escalation.id):
        change_status(session, publisher, case, CaseStatus.OPEN, actor_user_id=actor_user_id, reason=reason)


def _case_of(session: Session, escalation: Escalation) -> Case:
    case = session.get(Case, escalation.case_id)
    assert case is not None
    return case


def _partner_of(session: Session, escalation: Escalation) -> Partner:
    partner = session.get(Partner, escalation.partner_id)
    assert partner is not None
    return partner


def escalate(session: Session, publisher: Publisher, *, actor: User, case: Case, partner_id: int, brief: str = "",
             message_ids: Iterable[int] = (), upload_ids: Iterable[int] = (), personal_data: bool = False,
             due_at: datetime | None = None, template_id: int | None = None, via: str = "ui") -> Escalation:
    """Hand ``case`` to a partner or internal team: the brief (or, when it is empty, ``template_id``'s text rendered
    for the case), the messages and files shared (of this case), whether the customer's personal data is shared
    unmasked (``personal_data``; masked by default), the due time (default: the partner's policy on their
    calendar). The case goes to "waiting on partner"; several escalations of one case may be open at once."""
    if case.workspace_id != actor.workspace_id:
        raise NotFound("no such case")
    if case.status in FINAL_STATUSES:
        raise Conflict("a resolved or closed case cannot be escalated: reopen it first")
    partner = _partner_for_new(session, actor.workspace_id, partner_id)
    template = get_template(session, actor.workspace_id, template_id) if template_id else None
    text = brief.replace("\r\n", "\n").strip()
    if not text and template is not None:
        text = render_for_case(session, template, case, actor).text
    if not text:
        raise Invalid("write a brief for the partner")
    text = check_text(text)
    messages = _shared_messages(session, case, message_ids)
    uploads = _shared_uploads(session, case, upload_ids)
    at = now()
    due = _check_due(due_at, at) or default_due(session, partner, at)
    escalation = Escalation(
        workspace_id=case.workspace_id, case_id=case.id, partner_id=partner.id, created_by_id=actor.id,
        status=EscalationStatus.OPEN, brief=text, template_id=template.id if template else None,
        shared={"message_ids": messages, "upload_ids": uploads, "personal_data": bool(personal_data)},
        language=partner.language, due_at=due, next_check_at=at, reply_token=secrets.token_urlsafe(24),
        previous_case_status=case.status)
    session.add(escalation)
    session.flush()
    session.add(Exchange(workspace_id=case.workspace_id, escalation_id=escalation.id, direction="to_partner",
                         kind="brief", text=text, upload_ids=uploads, author_user_id=actor.id,
                         via=via if via in VIA else "ui"))
    timeline.escalated(session, case, escalation_id=escalation.id, partner=partner.name, actor_user_id=actor.id,
                       partner_kind=partner.kind, due_at=_iso(due), personal_data=bool(personal_data),
                       messages=len(messages), attachments=len(uploads))
    _put_on_partner(session, publisher, case, actor_user_id=actor.id, reason=f"escalated to {partner.name}")
    bus.emit(session, publisher, EscalationCreated(
        workspace_id=case.workspace_id, actor_user_id=actor.id, case_id=case.id, escalation_id=escalation.id,
        partner_id=partner.id, due_at=_iso(due)))
    case.last_activity_at = at
    publish_case(session, publisher, case, "escalated", escalation_id=escalation.id)
    return escalation


def follow_up(session: Session, publisher: Publisher, *, actor: User, escalation: Escalation, text: str,
              upload_ids: Iterable[int] = (), via: str = "ui") -> Exchange:
    """The agent writes to the partner again (more information, a nudge). An escalation the partner had answered
    waits for them again, and so does the case."""
    if escalation.workspace_id != actor.workspace_id:
        raise NotFound("no such escalation")
    if escalation.status in ENDED:
        raise Conflict("this escalation has ended: reopen it to write to the partner again")
    body = check_text(text)
    case = _case_of(session, escalation)
    partner = _partner_of(session, escalation)
    uploads = _shared_uploads(session, case, upload_ids)
    exchange = Exchange(workspace_id=escalation.workspace_id, escalation_id=escalation.id, direction="to_partner",
                        kind="follow_up", text=body, upload_ids=uploads, author_user_id=actor.id,
                        via=via if via in VIA else "ui")
    session.add(exchange)
    session.flush()
    escalation.status = EscalationStatus.OPEN
    escalation.next_check_at = now()
    timeline.escalation_followed_up(session, case, escalation_id=escalation.id, partner=partner.name,
                                    exchange_id=exchange.id, actor_user_id=actor.id)
    if case.status not in FINAL_STATUSES:
        _put_on_partner(session, publisher, case, actor_user_id=actor.id, reason=f"followed up with {partner.name}")
    bus.emit(session, publisher, EscalationFollowedUp(
        workspace_id=escalation.workspace_id, actor_user_id=actor.id, case_id=case.id, escalation_id=escalation.id,
        partner_id=partner.id, exchange_id=exchange.id))
    publish_case(session, publisher, case, "escalation", escalation_id=escalation.id)
    return exchange


def _end(session: Session, publisher: Publisher, *, actor: User, escalation: Escalation, outcome: str) -> None:
    if escalation.workspace_id != actor.workspace_id:
        raise NotFound("no such escalation")
    if escalation.status in ENDED:
        raise Conflict("this escalation has already ended")
    case = _case_of(session, escalation)
    partner = _partner_of(session, escalation)
    escalation.status = EscalationStatus.CLOSED if outcome == "resolved" else EscalationStatus.CANCELLED
    escalation.outcome = outcome
    escalation.closed_at = now()
    escalation.next_check_at = None
    if outcome == "resolved":
        timeline.escalation_closed(session, case, escalation_id=escalation.id, partner=partner.name,
                                   actor_user_id=actor.id, outcome=outcome)
    else:
        timeline.escalation_cancelled(session, case, escalation_id=escalation.id, partner=partner.name,
                                      actor_user_id=actor.id, outcome=outcome)
    bus.emit(session, publisher, EscalationClosed(
        workspace_id=escalation.workspace_id, actor_user_id=actor.id, case_id=case.id, escalation_id=escalation.id,
        partner_id=partner.id, outcome=outcome))
    _release_case(session, publisher, case, escalation, actor_user_id=actor.id,
                  reason=f"escalation to {partner.name} {'closed' if outcome == 'resolved' else 'cancelled'}")
    publish_case(session, publisher, case, "escalation", escalation_id=escalation.id)


def close(session: Session, publisher: Publisher, *, actor: User, escalation: Escalation) -> None:
    """The agent closes the escalation (after the partner's answer): outcome ``resolved``."""
    _end(session, publisher, actor=actor, escalation=escalation, outcome="resolved")


def cancel(session: Session, publisher: Publisher, *, actor: User, escalation: Escalation) -> None:
    """The agent cancels the escalation (no longer needed): outcome ``cancelled``."""
    _end(session, publisher, actor=actor, escalation=escalation, outcome="cancelled")


def reopen(session: Session, publisher: Publisher, *, actor: User, escalation: Escalation,
           due_at: datetime | None = None) -> None:
    """A closed or cancelled escalation waits for its partner again: a new due time (default: the partner's policy
    from now), a fresh link (the old ones die: ``link_version`` + 1), the case back on "waiting on partner"."""
    if escalation.workspace_id != actor.workspace_id:
        raise NotFound("no such escalation")
    if escalation.status not in ENDED:
        raise Conflict("only a closed or cancelled escalation can be reopened")
    case = _case_of(session, escalation)
    partner = _partner_of(session, escalation)
    at = now()
    due = _check_due(due_at, at) or default_due(session, partner, at)
    escalation.status = EscalationStatus.OPEN
    escalation.outcome = None
    escalation.partner_outcome = None
    escalation.closed_at = None
    escalation.answered_at = None
    escalation.overdue_at = None
    escalation.reminders_sent = 0
    escalation.due_at = due
    escalation.next_check_at = at
    escalation.link_version += 1
    escalation.previous_case_status = case.status
    timeline.escalation_reopened(session, case, escalation_id=escalation.id, partner=partner.name,
                                 actor_user_id=actor.id, due_at=_iso(due), link_version=escalation.link_version)
    _put_on_partner(session, publisher, case, actor_user_id=actor.id, reason=f"escalation to {partner.name} reopened")
    bus.emit(session, publisher, EscalationReopened(
        workspace_id=escalation.workspace_id, actor_user_id=actor.id, case_id=case.id, escalation_id=escalation.id,
        partner_id=partner.id, due_at=_iso(due)))
    publish_case(session, publisher, case, "escalation", escalation_id=escalation.id)


def revoke_links(session: Session, publisher: Publisher, *, actor: User, escalation: Escalation) -> None:
    """Every portal link made so far for this escalation stops working (``link_version`` + 1)."""
    if escalation.workspace_id != actor.workspace_id:
        raise NotFound("no such escalation")
    case = _case_of(session, escalation)
    partner = _partner_of(session, escalation)
    escalation.link_version += 1
    escalation.links_revoked_at = now()
    timeline.escalation_links_revoked(session, case, escalation_id=escalation.id, partner=partner.name,
                                      actor_user_id=actor.id, link_version=escalation.link_version)
    publish_case(session, publisher, case, "escalation", escalation_id=escalation.id)
