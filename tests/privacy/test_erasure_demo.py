"""The demo's erasure: one record, source "admin", for a minor contact created for it; loading twice adds none."""

from __future__ import annotations

import time

from sqlalchemy import select

from compris.demo_admin import privacy as demo_privacy
from compris.models import Contact, Erasure, Identity, Message
from compris.privacy.actions.erasure import ERASED_NAME
from tests.conftest import World


def test_demo_erasure(world: World) -> None:
    started = time.monotonic()
    demo_privacy.load(world.runtime, world.workspace_id, {"admin": world.admin.id})
    assert time.monotonic() - started < 5
    demo_privacy.load(world.runtime, world.workspace_id, {"admin": world.admin.id})
    with world.runtime.db.transaction() as session:
        erasures = session.scalars(select(Erasure)).all()
        assert len(erasures) == 1
        erasure = erasures[0]
        assert erasure.source == "admin" and erasure.requested_by_id == world.admin.id and erasure.status == "done"
        contact = session.get(Contact, erasure.contact_id)
        assert contact is not None and contact.display_name == ERASED_NAME
        assert session.scalar(select(Identity).where(Identity.platform_user_id == demo_privacy.PLATFORM_USER_ID)) \
            is None
        assert all(m.text == "" for m in session.scalars(select(Message)))
