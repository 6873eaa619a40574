"""Partners and internal teams: created, changed, deactivated by admins, each write audited; bad input refused
with a clear message and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from compris.escalation import actions
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import CaseEvent, Partner
from tests.conftest import World
from tests.escalation.core_helpers import as_user, calendar, partner, partner_row


def _audit(world: World) -> list[dict[str, Any]]:
    with world.runtime.db.transaction() as s:
        return [dict(e.data or {}) for e in s.scalars(
            select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                    CaseEvent.kind == "settings_changed").order_by(CaseEvent.id))
            if (e.data or {}).get("entity") == "partner"]


def test_create_change_deactivate_audited(world: World) -> None:
    hours = calendar(world)
    pid = partner(world, kind="partner", emails="reservations@hotel-des-arts.example, Night@hotel-des-arts.example",
                  language="FR", business_hours_id=hours, due_minutes=240,
                  reminders={"before_minutes": [60, 30, 60], "after_minutes": [0], "repeat_minutes": 1440},
                  link_days=7, notes="Ask for the night manager")
    p = partner_row(world, pid)
    assert p.emails == ["reservations@hotel-des-arts.example", "Night@hotel-des-arts.example"]
    assert p.language == "fr" and p.business_hours_id == hours and p.due_minutes == 240 and p.link_days == 7
    assert p.reminders == {"before_minutes": [30, 60], "after_minutes": [0], "repeat_minutes": 1440}
    as_user(world, world.admin, lambda s, a: actions.update_partner(
        s, world.runtime.publisher, actor=a, partner_id=pid, due_minutes=120, business_hours_id=None, notes=""))
    p = partner_row(world, pid)
    assert p.due_minutes == 120 and p.business_hours_id is None and p.notes == ""
    as_user(world, world.admin, lambda s, a: actions.set_partner_active(
        s, world.runtime.publisher, actor=a, partner_id=pid, active=False))
    assert partner_row(world, pid).is_active is False
    audit = _audit(world)
    assert [a["action"] for a in audit] == ["created", "updated", "deactivated"]
    assert sorted(audit[1]["changes"]) == ["business_hours_id", "due_minutes", "notes"]
    # nothing changed: no audit row
    as_user(world, world.admin, lambda s, a: actions.update_partner(
        s, world.runtime.publisher, actor=a, partner_id=pid, due_minutes=120))
    assert len(_audit(world)) == 3


@pytest.mark.parametrize(("change", "message"), [
    ({"emails": ["not-an-address"]}, "is not an e-mail address"),
    ({"emails": []}, "at least one e-mail address"),
    ({"emails": ["a@b.example", "x y@b.example"]}, "is not an e-mail address"),
    ({"due_minutes": -5}, "the due time cannot be negative"),
    ({"due_minutes": 0}, "the due time must be at least 1"),
    ({"reminders": {"before_minutes": [-10]}}, "a reminder before the due time cannot be negative"),
    ({"reminders": {"after_minutes": [60, -1]}}, "a reminder after the due time cannot be negative"),
    ({"reminders": {"repeat_minutes": -60}}, "the repeat interval cannot be negative"),
    ({"reminders": {"every": 5}}, "unknown reminder setting"),
    ({"link_days": 0}, "link lifetime"),
    ({"language": "French!"}, "not a language code"),
    ({"kind": "vendor"}, "the kind is partner or team"),
    ({"name": "  "}, "needs a name"),
])
def test_bad_input_is_refused_clearly(world: World, change: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        partner(world, **{"name": "Hotel", **change})
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Partner)) == 0


def test_names_are_unique_and_calendars_are_the_workspaces(
        world: World, world_factory: Callable[[str], World]) -> None:
    partner(world, "Refunds", kind="team")
    with pytest.raises(Conflict):
        partner(world, "refunds")
    other = world_factory("globex")
    theirs = calendar(other)
    with pytest.raises(NotFound, match="business hours"):
        partner(world, "Hotel", business_hours_id=theirs)
    pid = partner(other, "Refunds")  # the same name in another workspace is fine
    with pytest.raises(NotFound):
        as_user(world, world.admin, lambda s, a: actions.update_partner(
            s, world.runtime.publisher, actor=a, partner_id=pid, name="Mine"))
