"""The folded copies kept for search go with the text they copy: erasure and retention clear them, so a search no
longer finds an erased or expired message (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from compris.inbox import queries
from compris.inbox.ingest import receive
from compris.inbox.queries import InboxFilter
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import Case, Contact, Message, User
from compris.privacy.actions import retention
from compris.privacy.actions.erasure import erase_contact
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request
from tests.privacy.retention_helpers import closed_case, fake_audit_purge


def _found(world: World, q: str) -> list[int]:
    with world.runtime.db.transaction() as s:
        return [r.case.number for r in queries.list_cases(s, world.workspace_id, world.agent.id,
                                                          InboxFilter(q=q, status="all"))]


def test_erasure_clears_the_folded_text(world: World) -> None:
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id,
            _request(world, world.payload("Zoë Çelik, réservation XK42", author="zoe")))
    world.run_jobs()
    assert _found(world, "zoe celik") == [1] and _found(world, "XK42") == [1] and _found(world, "@zoe") == [1]
    with rt.db.transaction() as s:
        contact_id = s.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id))
        assert contact_id is not None
        erase_contact(s, Publisher.outside_server(s), workspace_id=world.workspace_id, contact_id=contact_id,
                      source="admin", requested_by=None, reason="asked")
    world.run_jobs()
    with rt.db.transaction() as s:
        message = s.scalar(select(Message).where(Message.workspace_id == world.workspace_id))
        case = s.scalar(select(Case).where(Case.workspace_id == world.workspace_id))
        contact = s.get(Contact, contact_id)
        assert message is not None and case is not None and contact is not None
        assert message.text == "" and message.search_text is None
        assert case.search_subject in (None, "")
        assert "zoe" not in (contact.search_name or "")
    assert _found(world, "zoe") == [] and _found(world, "XK42") == [] and _found(world, "celik") == []


def test_retention_clears_the_folded_text(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_audit_purge(monkeypatch)
    t0 = now() - timedelta(days=40)
    with world.runtime.db.transaction() as s:
        closed_case(s, world, t0, status="closed", text="Colis reçu abîmé")
    assert _found(world, "colis recu abime") == [1]
    with world.runtime.db.transaction() as s:
        actor = s.get(User, world.admin.id)
        assert actor is not None
        retention.save_policy(s, None, actor=actor, values={"messages_days": 30})
    retention.apply(world.runtime.db, world.workspace_id, data_dir=world.runtime.settings.data_dir, at=now())
    with world.runtime.db.transaction() as s:
        texts = list(s.execute(select(Message.text, Message.search_text)
                               .where(Message.workspace_id == world.workspace_id)))
    assert texts and all(t == "" and folded is None for t, folded in texts)
    assert _found(world, "abime") == []
