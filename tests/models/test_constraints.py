from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from compris.kit.clock import now
from compris.models import Case, Contact, Message
from tests.conftest import World


def test_a_case_needs_a_workspace(world: World) -> None:
    with pytest.raises(IntegrityError), world.runtime.db.transaction() as s:
        contact = Contact(workspace_id=world.workspace_id, display_name="x")
        s.add(contact)
        s.flush()
        s.add(Case(workspace_id=None, number=99, contact_id=contact.id))  # type: ignore[arg-type]
        s.flush()


def test_a_case_in_an_unknown_workspace_is_refused(world: World) -> None:
    with pytest.raises(IntegrityError), world.runtime.db.transaction() as s:
        contact = Contact(workspace_id=world.workspace_id, display_name="x")
        s.add(contact)
        s.flush()
        s.add(Case(workspace_id=424242, number=1, contact_id=contact.id))
        s.flush()


def test_platform_message_ids_are_unique_per_account(world: World) -> None:
    with world.runtime.db.transaction() as s:
        contact = Contact(workspace_id=world.workspace_id, display_name="x")
        s.add(contact)
        s.flush()
        case = Case(workspace_id=world.workspace_id, number=1, contact_id=contact.id)
        s.add(case)
        s.flush()
        case_id = case.id
    kwargs = dict(
        workspace_id=world.workspace_id,
        case_id=case_id,
        channel_account_id=world.account.id,
        direction="inbound",
        visibility="public",
        platform_message_id="p-1",
        text="a",
        sent_at=now(),
    )
    with world.runtime.db.transaction() as s:
        s.add(Message(**kwargs))
    with pytest.raises(IntegrityError), world.runtime.db.transaction() as s:
        s.add(Message(**kwargs))
        s.flush()


def test_naive_datetimes_are_refused(world: World) -> None:
    from datetime import datetime

    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="naive"), world.runtime.db.transaction() as s:
        contact = Contact(workspace_id=world.workspace_id, display_name="x", created_at=datetime(2026, 1, 1))  # noqa: DTZ001
        s.add(contact)
        s.flush()
