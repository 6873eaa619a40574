"""Helpers of the follow-up tests: a partner, an escalation as esc-core's action leaves it (row + event), the pass
at a given instant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from compris.bus import emit
from compris.escalation import followup
from compris.events import EscalationAnswered, EscalationClosed, EscalationCreated, EscalationReopened
from compris.kit import clock
from compris.models import BusinessHours, Escalation, EscalationStatus, Exchange, OutgoingMail, Partner
from compris.routing import shifts
from tests.conftest import World

DEFAULT_RULES = {"before_minutes": [60], "after_minutes": [0, 240], "repeat_minutes": 1440}


def partner(world: World, *, name: str = "Hotel du Lac", hours: str | None = None, tz: str = "Europe/Paris",
            reminders: dict[str, Any] | None = None, emails: list[str] | None = None, language: str = "en") -> int:
    with world.runtime.db.transaction() as s:
        hours_id = None
        if hours:
            bh = BusinessHours(workspace_id=world.workspace_id, name=f"{name} hours", timezone=tz,
                               hours=shifts.parse(hours))
            s.add(bh)
            s.flush()
            hours_id = bh.id
        row = Partner(workspace_id=world.workspace_id, name=name, emails=emails or ["desk@hotel.example"],
                      business_hours_id=hours_id, language=language,
                      reminders=DEFAULT_RULES if reminders is None else reminders)
        s.add(row)
        s.flush()
        return row.id


def escalate(world: World, case_id: int, partner_id: int, due_at: datetime) -> int:
    """An open escalation with its due time, and the ``EscalationCreated`` event its action emits."""
    with world.runtime.db.transaction() as s:
        row = Escalation(workspace_id=world.workspace_id, case_id=case_id, partner_id=partner_id, brief="Please check",
                         due_at=due_at, reply_token=uuid.uuid4().hex, status=EscalationStatus.OPEN)
        s.add(row)
        s.flush()
        emit(s, world.runtime.publisher, EscalationCreated(workspace_id=world.workspace_id, case_id=case_id,
                                                           escalation_id=row.id, partner_id=partner_id,
                                                           due_at=due_at.isoformat()))
        return row.id


def answer(world: World, escalation_id: int) -> None:
    with world.runtime.db.transaction() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        row.status = EscalationStatus.ANSWERED
        row.answered_at = clock.now()
        ex = Exchange(workspace_id=row.workspace_id, escalation_id=row.id, direction="from_partner", kind="answer",
                      text="Done", via="portal")
        s.add(ex)
        s.flush()
        emit(s, world.runtime.publisher, EscalationAnswered(workspace_id=row.workspace_id, case_id=row.case_id,
                                                            escalation_id=row.id, partner_id=row.partner_id,
                                                            exchange_id=ex.id))


def close(world: World, escalation_id: int, outcome: str = "resolved") -> None:
    with world.runtime.db.transaction() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        row.status = EscalationStatus.CLOSED if outcome == "resolved" else EscalationStatus.CANCELLED
        row.closed_at = clock.now()
        emit(s, world.runtime.publisher, EscalationClosed(workspace_id=row.workspace_id, case_id=row.case_id,
                                                          escalation_id=row.id, partner_id=row.partner_id,
                                                          outcome=outcome))


def reopen(world: World, escalation_id: int, due_at: datetime) -> None:
    with world.runtime.db.transaction() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        row.status = EscalationStatus.OPEN
        row.due_at = due_at
        row.closed_at = None
        emit(s, world.runtime.publisher, EscalationReopened(workspace_id=row.workspace_id, case_id=row.case_id,
                                                            escalation_id=row.id, partner_id=row.partner_id,
                                                            due_at=due_at.isoformat()))


def run_pass(world: World) -> followup.PassResult:
    with world.runtime.db.transaction() as s:
        return followup.run_pass(s, world.runtime.publisher, world.runtime.settings)


def escalation(world: World, escalation_id: int) -> Escalation:
    with world.runtime.db.transaction() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        return row


def reminders(world: World, escalation_id: int) -> list[Exchange]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(Exchange).where(Exchange.escalation_id == escalation_id,
                                                     Exchange.kind == "reminder").order_by(Exchange.id)))


def mails(world: World, purpose: str = "escalation_reminder") -> list[OutgoingMail]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(OutgoingMail).where(OutgoingMail.workspace_id == world.workspace_id,
                                                         OutgoingMail.purpose == purpose).order_by(OutgoingMail.id)))
