"""The demo's retention policy: set once, with old processed deliveries for the page's preview to announce."""

from __future__ import annotations

import time
from datetime import timedelta

from compris.demo_admin import retention as demo
from compris.kit.clock import now
from compris.privacy import retention_queries as q
from tests.conftest import World


def test_the_demo_sets_a_policy_whose_preview_shows_something(world: World) -> None:
    users = {"admin": world.admin.id, "agent": world.agent.id}
    started = time.monotonic()
    demo.load(world.runtime, world.workspace_id, users)
    assert time.monotonic() - started < 1.0
    demo.load(world.runtime, world.workspace_id, users)  # loading again adds nothing
    with world.runtime.db.transaction() as s:
        assert q.periods_of(s, world.workspace_id).as_dict() == demo.POLICY
        shown = q.preview(s, world.workspace_id)
    due = shown.of("raw_events")
    assert due.count == demo.OLD_DELIVERIES and due.days == 90
    assert due.oldest is not None and due.oldest < now() - timedelta(days=100)
