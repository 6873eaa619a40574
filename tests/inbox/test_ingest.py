from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from compris.connectors.base import WebhookRequest
from compris.inbox.ingest import WebhookRejected, receive
from compris.models import Case, CaseStatus, Job, Message, RawEvent, RawEventStatus
from compris.worker.queue import claim
from tests.conftest import SECRET, World


def _request(world: World, payload: dict, *, signature: str | None = None) -> WebhookRequest:
    raw, headers = world.body(payload)
    if signature is not None:
        headers["x-sandbox-signature"] = signature
    return WebhookRequest(method="POST", headers=headers, query={}, body=raw)


def _deliver(world: World, payload: dict) -> None:
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, payload))


def _count(world: World, model: type) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_delivery_becomes_a_case(world: World) -> None:
    # given a customer's public post
    payload = world.payload("Mon vol AF123 est annulé, que faire ?", author="marie")
    # when it is delivered and the worker runs
    _deliver(world, payload)
    assert world.run_jobs() == 1
    # then one case with one inbound message exists
    with world.runtime.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        message = s.scalars(select(Message)).one()
        assert case.status == CaseStatus.NEW
        assert case.number == 1
        assert message.text == "Mon vol AF123 est annulé, que faire ?"
        assert message.case_id == case.id
        assert s.scalars(select(RawEvent)).one().status == RawEventStatus.PROCESSED


def test_the_same_delivery_three_times_gives_one_message(world: World) -> None:
    payload = world.payload("Where is my bag?")
    for _ in range(3):
        _deliver(world, payload)
    world.run_jobs()
    assert _count(world, RawEvent) == 1
    assert _count(world, Message) == 1


def test_concurrent_duplicate_deliveries_give_one_message(world: World) -> None:
    payload = world.payload("Where is my bag?")
    errors: list[BaseException] = []

    def go() -> None:
        try:
            _deliver(world, payload)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    world.run_jobs()
    assert _count(world, RawEvent) == 1
    assert _count(world, Message) == 1


def test_a_bad_signature_stores_nothing(world: World) -> None:
    with pytest.raises(WebhookRejected) as info:
        rt = world.runtime
        receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, world.payload(), signature="sha256=00"))
    assert info.value.status_code == 401
    assert _count(world, RawEvent) == 0
    assert _count(world, Job) == 0


def test_same_customer_appends_and_a_resolved_case_reopens(world: World) -> None:
    _deliver(world, world.payload("first", author="paul"))
    _deliver(world, world.payload("second", author="paul", kind="dm"))
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        case.status = CaseStatus.RESOLVED
    _deliver(world, world.payload("third", author="paul"))
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == CaseStatus.OPEN
    assert _count(world, Message) == 3


def test_a_worker_killed_after_claiming_loses_nothing(world: World) -> None:
    # given a stored event whose job was claimed by a worker that then died
    _deliver(world, world.payload("lost?"))
    job = claim(world.runtime.db, "doomed-worker")
    assert job is not None
    with world.runtime.db.transaction() as s:  # its lease expires
        row = s.get(Job, job.id)
        assert row is not None
        from datetime import timedelta

        row.locked_until = row.locked_until - timedelta(minutes=5) if row.locked_until else None
    # when another worker runs
    assert world.run_jobs() == 1
    assert world.run_jobs() == 0
    # then the event was processed exactly once
    assert _count(world, Message) == 1


def test_unprocessable_payload_is_kept_with_reason(world: World) -> None:
    payload = {"event_id": "weird-1", "type": "message", "data": {"id": "x"}}
    _deliver(world, payload)
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        raw = s.scalars(select(RawEvent)).one()
        assert raw.status == RawEventStatus.UNPROCESSABLE
        assert raw.error and "bad message" in raw.error
        assert json.loads(raw.body)["event_id"] == "weird-1"


def test_each_message_is_stored_with_its_triage(world: World) -> None:
    # given a promoted complaint from a widely followed customer
    payload = world.payload(
        "My bag was lost on AF123 and nobody answers. Disgraceful!",
        author="trav",
        promoted=True,
        reshares=120,
    )
    payload["data"]["author"]["followers"] = 48000
    # when it is processed
    _deliver(world, payload)
    world.run_jobs()
    # then the message and its case carry the triage, with reasons
    with world.runtime.db.transaction() as s:
        message = s.scalars(select(Message)).one()
        case = s.scalars(select(Case)).one()
        assert message.language == "en"
        assert message.triage["intent"] == "complaint"
        assert message.triage["sentiment"] == "negative"
        assert message.triage["topic"] == "baggage"
        assert "promoted post" in message.triage["reasons"]
        assert "48,000 followers" in message.triage["reasons"]
        assert case.priority == message.triage["priority"] > 0
        assert case.language == "en"


@pytest.mark.parametrize(
    ("title", "text", "subject"),
    [("   ", "Where is my parcel?", "Where is my parcel?"), (None, "\n\n  Bonjour\nsuite", "Bonjour"),
     (None, "   ", "(attachment)"), ("Mon colis", "texte", "Mon colis")],
)
def test_the_case_subject_is_the_first_non_blank_line(world: World, title: str | None, text: str,
                                                      subject: str) -> None:
    extra = {"thread_title": title} if title is not None else {}
    _deliver(world, world.payload(text, **extra))
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Case)).one().subject == subject


def test_a_new_customer_met_by_two_workers_at_once_gets_one_identity(world: World) -> None:
    """The second insert of the same new identity (another worker committed it meanwhile) is undone and the
    existing identity taken: no error, one contact."""
    from sqlalchemy import func

    from compris.connectors.base import Author
    from compris.inbox.actions.inbound import resolve_identity
    from compris.models import ChannelAccount, Contact, Identity

    rt = world.runtime
    if rt.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second worker waits before it starts")
    author = Author(platform_user_id="racer", handle="@racer", name="Racer")
    with rt.db.transaction() as first, rt.db.transaction() as second:
        account_1 = first.get(ChannelAccount, world.account.id)
        account_2 = second.get(ChannelAccount, world.account.id)
        assert account_1 is not None and account_2 is not None
        # the second session looks first (nothing there yet), then the first one creates and commits
        assert second.scalar(select(Identity).where(Identity.platform_user_id == "racer")) is None
        created = resolve_identity(first, account_1, author)
        first.commit()
        taken = resolve_identity(second, account_2, author)
        assert taken.id == created.id
    with rt.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Identity).where(Identity.platform_user_id == "racer")) == 1
        assert s.scalar(select(func.count()).select_from(Contact).where(Contact.display_name == "Racer")) == 1
