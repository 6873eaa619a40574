"""The demo's export: the admin exported the busiest customer's data once (a ContactExported for the audit log)."""

from __future__ import annotations

from typing import Any

import pytest

from compris import bus
from compris.demo_admin import export as demo_export
from compris.events import ContactExported
from compris.models import Case
from tests.conftest import World
from tests.routing.helpers import inbound


def test_the_demo_records_one_export(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    inbound(world.runtime, world.account.id, "first", author="busy")
    busy = inbound(world.runtime, world.account.id, "second", author="busy", kind="dm")
    inbound(world.runtime, world.account.id, "other", author="quiet")
    seen: list[Any] = []
    original = bus.emit
    monkeypatch.setattr(bus, "emit", lambda s, p, e: (seen.append(e), original(s, p, e))[1])
    demo_export.load(world.runtime, world.workspace_id, {"admin": world.admin.id})
    with world.runtime.db.transaction() as session:
        case = session.get(Case, busy)
        assert case is not None
        busy_contact = case.contact_id
    (event,) = [e for e in seen if isinstance(e, ContactExported)]
    assert event.contact_id == busy_contact and event.actor_user_id == world.admin.id
    demo_export.load(world.runtime, world.workspace_id, {})  # no admin: nothing
    assert len([e for e in seen if isinstance(e, ContactExported)]) == 1
