"""The follow-up of open escalations: reminder e-mails before and after the due time, and "overdue" once per due
time, on the partner's business calendar (the time logic is :mod:`compris.escalation.schedule`).

Each escalation carries ``next_check_at``: when the follow-up pass (the ``escalation.follow_up`` job, every minute)
should look at it next. The pass reads only the escalations whose check time has come (an index), never all rows.
It *claims* each one with a conditional ``UPDATE … WHERE next_check_at = <what it read>`` (and ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), so two workers, or the job run twice, send a reminder once: the second finds the row
changed and leaves it. The reminder's mail, its exchange, timeline row and event are written in that same
transaction.

``next_check_at`` is (re)computed by :func:`reschedule` when an escalation is created, reopened or followed up
(listeners), set to None when it is answered, closed or cancelled, and by the pass after each step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from compris import timeline
from compris.bus import emit
from compris.config import Settings
from compris.escalation.mailing import queue_partner_mail
from compris.escalation.schedule import ReminderRules, due_reminder, next_check
from compris.events import EscalationOverdue, EscalationReminded
from compris.kit.calendar import BusinessCalendar
from compris.kit.clock import now
from compris.live import Publisher, publish_case
from compris.models import BusinessHours, Case, Escalation, EscalationStatus, Exchange, Partner
from compris.routing import shifts

log = logging.getLogger(__name__)

#: an escalation whose follow-up failed (a bad address, a bug) is looked at again this much later
RETRY_AFTER = timedelta(minutes=15)

REMINDER_TEXT = {
    "en": {
        "before": "A reminder: we are waiting for your answer about this request, due {due}.",
        "after": "A reminder: your answer about this request was due {due} and we have not received it yet.",
    },
    "fr": {
        "before": "Pour rappel, nous attendons votre réponse à cette demande, attendue pour le {due}.",
        "after": "Pour rappel, votre réponse à cette demande était attendue pour le {due} et ne nous est pas "
                 "encore parvenue.",
    },
}


@dataclass(frozen=True)
class PassResult:
    checked: int = 0
    reminded: int = 0
    overdue: int = 0


def calendar_of(session: Session, partner: Partner) -> BusinessCalendar | None:
    """The partner's business calendar (None: around the clock, also when its hours were deleted)."""
    if partner.business_hours_id is None:
        return None
    hours = session.get(BusinessHours, partner.business_hours_id)
    if hours is None or hours.workspace_id != partner.workspace_id:
        return None
    return shifts.calendar(hours.timezone, hours.hours or {})


def _overdue_marked(escalation: Escalation) -> bool:
    """Marked overdue for its *current* due time (a later due time, after a reopening, is marked again)."""
    return (escalation.overdue_at is not None and escalation.due_at is not None
            and escalation.overdue_at >= escalation.due_at)


def reschedule(session: Session, escalation: Escalation, at: datetime | None = None) -> datetime | None:
    """Set when the pass looks at ``escalation`` next: only an open one with a due time has a follow-up."""
    at = at or now()
    if escalation.status != EscalationStatus.OPEN or escalation.due_at is None:
        escalation.next_check_at = None
        return None
    partner = session.get(Partner, escalation.partner_id)
    if partner is None:
        escalation.next_check_at = None
        return None
    rules = ReminderRules.lenient(partner.reminders)
    escalation.next_check_at = next_check(rules, escalation.due_at, calendar_of(session, partner), at,
                                          overdue_marked=_overdue_marked(escalation))
    return escalation.next_check_at


def reminder_text(language: str, when: str, due: datetime, calendar: BusinessCalendar | None) -> str:
    """The reminder's words, in the partner's language (English when it is not one we write)."""
    texts = REMINDER_TEXT.get(language.split("-")[0].lower(), REMINDER_TEXT["en"])
    tz = calendar.timezone if calendar is not None else None
    local = due.astimezone(tz) if tz is not None else due
    return texts[when].format(due=local.strftime("%Y-%m-%d %H:%M %Z"))


def _claim(session: Session, escalation_id: int, seen: datetime) -> bool:
    """Take the escalation for this pass: true when nobody else changed its check time since we read it."""
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.next_check_at == seen,
               Escalation.status == EscalationStatus.OPEN)
        .values(next_check_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def follow_up(session: Session, publisher: Publisher, settings: Settings, escalation: Escalation, seen: datetime,
              at: datetime) -> tuple[bool, bool]:
    """One claimed escalation whose check time ``seen`` has come: mark it overdue (once per due time), send the
    reminder that is due (one at most), and set its next check. Returns (reminded, marked overdue)."""
    partner = session.get(Partner, escalation.partner_id)
    case = session.get(Case, escalation.case_id)
    if partner is None or case is None or escalation.due_at is None:
        escalation.next_check_at = None
        return False, False
    rules = ReminderRules.lenient(partner.reminders)
    calendar = calendar_of(session, partner)
    due = escalation.due_at
    marked = False
    if due <= at and not _overdue_marked(escalation):
        escalation.overdue_at = at
        marked = True
        timeline.escalation_overdue(session, case, escalation_id=escalation.id, partner=partner.name,
                                    due_at=due.isoformat())
        emit(session, publisher, EscalationOverdue(workspace_id=escalation.workspace_id, case_id=case.id,
                                                   escalation_id=escalation.id, partner_id=partner.id,
                                                   due_at=due.isoformat()))
    reminder = due_reminder(rules, due, calendar, seen, at)
    reminded = False
    if reminder is not None and partner.is_active and any(str(a).strip() for a in partner.emails):
        exchange = Exchange(workspace_id=escalation.workspace_id, escalation_id=escalation.id,
                            direction="to_partner", kind="reminder", via="system",
                            text=reminder_text(partner.language or escalation.language, reminder.when, due,
                                               calendar))
        session.add(exchange)
        session.flush()
        mail = queue_partner_mail(session, publisher, settings, escalation, kind="reminder", exchange=exchange)
        if mail is not None:
            reminded = True
            escalation.reminders_sent += 1
            timeline.escalation_reminded(session, case, escalation_id=escalation.id, partner=partner.name,
                                         when=reminder.when, number=escalation.reminders_sent,
                                         exchange_id=exchange.id, mail_id=mail.id)
            emit(session, publisher, EscalationReminded(
                workspace_id=escalation.workspace_id, case_id=case.id, escalation_id=escalation.id,
                partner_id=partner.id, when=reminder.when, number=escalation.reminders_sent))
        else:
            session.delete(exchange)
    escalation.next_check_at = next_check(rules, due, calendar, at, overdue_marked=_overdue_marked(escalation))
    if marked or reminded:
        publish_case(session, publisher, case, "escalation_overdue" if marked else "escalation_reminded",
                     escalation_id=escalation.id)
    return reminded, marked


def run_pass(session: Session, publisher: Publisher, settings: Settings, at: datetime | None = None,
             limit: int = 500) -> PassResult:
    """Every workspace's escalations whose check time has come (at most ``limit``, the earliest first)."""
    at = at or now()
    query = (select(Escalation.id, Escalation.next_check_at)
             .where(Escalation.next_check_at.is_not(None), Escalation.next_check_at <= at)
             .order_by(Escalation.next_check_at, Escalation.id).limit(limit))
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.execute(query).all())
    checked = reminded = overdue = 0
    for escalation_id, seen in rows:
        checked += 1
        assert seen is not None  # the query asks for a check time
        if not _claim(session, escalation_id, seen):
            # answered, closed or cancelled without a listener clearing it, or another worker took it
            session.execute(update(Escalation)
                            .where(Escalation.id == escalation_id, Escalation.next_check_at == seen,
                                   Escalation.status != EscalationStatus.OPEN)
                            .values(next_check_at=None).execution_options(synchronize_session=False))
            continue
        escalation = session.get(Escalation, escalation_id, populate_existing=True)
        assert escalation is not None
        try:
            with session.begin_nested():
                did_remind, did_mark = follow_up(session, publisher, settings, escalation, seen, at)
        except Exception:
            log.exception("the follow-up of escalation %s failed; trying again later", escalation_id)
            session.execute(update(Escalation).where(Escalation.id == escalation_id)
                            .values(next_check_at=at + RETRY_AFTER).execution_options(synchronize_session=False))
            continue
        reminded += did_remind
        overdue += did_mark
    return PassResult(checked=checked, reminded=reminded, overdue=overdue)
