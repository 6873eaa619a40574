"""The demo workspace has a hotel partner on its own calendar, an internal refunds team, and Léonie's vanished
booking escalated to the hotel."""

from __future__ import annotations

from sqlalchemy import select

from compris.config import Settings
from compris.demo import ensure_demo
from compris.escalation.sharing import shared_view
from compris.models import BusinessHours, Case, Escalation, Identity, Partner, Workspace
from compris.runtime import Runtime


def test_the_demo_escalates_the_vanished_booking_to_the_hotel(settings: Settings, runtime: Runtime) -> None:
    ensure_demo(settings)
    with runtime.db.transaction() as s:
        ws = s.scalars(select(Workspace).where(Workspace.slug == "demo")).one()
        partners = {p.name: p for p in s.scalars(select(Partner).where(Partner.workspace_id == ws.id))}
        hotel, refunds = partners["Hôtel des Arts"], partners["Refunds"]
        assert hotel.kind == "partner" and hotel.language == "fr" and hotel.due_minutes == 240
        assert hotel.emails == ["reservations@hotel-des-arts.example"]
        calendar = s.get(BusinessHours, hotel.business_hours_id)
        assert calendar is not None and calendar.timezone == "Europe/Paris"
        assert refunds.kind == "team"
        leonie = s.scalars(select(Identity).where(Identity.platform_user_id == "demo-ig-leonie")).one()
        # the story's escalation (the weeks of history escalate to Refunds)
        [escalation] = s.scalars(select(Escalation).where(Escalation.workspace_id == ws.id,
                                                          Escalation.partner_id == hotel.id))
        case = s.get(Case, escalation.case_id)
        assert case is not None and case.contact_id == leonie.contact_id
        assert escalation.partner_id == hotel.id and "HC-PAR-48213" in escalation.brief
        assert escalation.due_at is not None
        view = shared_view(s, escalation)
        assert len(view.messages) == 3 and not view.personal_data
        assert all(m.author == "Customer" for m in view.messages)
        assert any("HC-PAR-48213" in m.text for m in view.messages)  # not personal data: the hotel needs it
    # loading again changes nothing
    with runtime.db.transaction() as s:
        before = len(s.scalars(select(Escalation)).all())
    ensure_demo(settings)
    with runtime.db.transaction() as s:
        assert len(s.scalars(select(Escalation)).all()) == before
