"""What the partner sees (``escalation.sharing.shared_view``): only what the agent shared, masked unless the
customer's personal data was ticked in."""

from __future__ import annotations

from sqlalchemy import select

from compris.escalation.sharing import CUSTOMER, shared_view
from compris.models import Escalation, Message, Upload
from tests.conftest import World
from tests.escalation.core_helpers import escalate, partner
from tests.routing.helpers import inbound

TEXT = "I am Jane, write me at jane.doe@example.com or call +33 6 12 34 56 78"


def _setup(world: World) -> tuple[int, int, int, int]:
    cid = inbound(world.runtime, world.account.id, TEXT, kind="dm", author="jane")
    inbound(world.runtime, world.account.id, "Not shared: my card 4111 1111 1111 1111", kind="dm", author="jane")
    with world.runtime.db.transaction() as s:
        first, second = s.scalars(select(Message.id).where(Message.case_id == cid).order_by(Message.id)).all()
        upload = Upload(workspace_id=world.workspace_id, name="booking.pdf", mime_type="application/pdf",
                        kind="file", size=1234, sha256="a" * 64, message_id=second)
        s.add(upload)
        s.flush()
        return cid, first, second, upload.id


def _view(world: World, eid: int):  # type: ignore[no-untyped-def]
    with world.runtime.db.transaction() as s:
        e = s.get(Escalation, eid)
        assert e is not None
        return shared_view(s, e)


def test_masked_by_default_and_only_what_was_shared(world: World) -> None:
    cid, first, _second, upload_id = _setup(world)
    eid = escalate(world, cid, partner(world), "Booking for jane.doe@example.com", message_ids=[first],
                   upload_ids=[upload_id])
    view = _view(world, eid)
    assert view.personal_data is False and view.partner == "Hôtel des Arts"
    assert [m.id for m in view.messages] == [first]
    shared = view.messages[0]
    assert shared.author == CUSTOMER and shared.from_customer
    assert "jane.doe@example.com" not in shared.text and "[email]" in shared.text
    assert "12 34 56 78" not in shared.text
    assert "card" not in " ".join(m.text for m in view.messages)  # the second message was not shared
    assert [f.name for f in view.files] == ["booking.pdf"] and view.upload_ids == [upload_id]
    # the brief and the exchanges are shown as the agent wrote them
    assert view.brief == "Booking for jane.doe@example.com"
    assert [(x.kind, x.direction, x.author) for x in view.exchanges] == [("brief", "to_partner", world.agent.name)]


def test_personal_data_ticked_in_is_shown(world: World) -> None:
    cid, first, _second, _upload = _setup(world)
    eid = escalate(world, cid, partner(world), message_ids=[first], personal_data=True)
    view = _view(world, eid)
    assert view.personal_data is True
    assert view.messages[0].text == TEXT and view.messages[0].author == "Jane"
    assert view.files == ()
