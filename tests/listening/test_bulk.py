"""The bulk engine (compris.listening.bulk): every case worked once through its own action, in its own transaction;
skipped and failed cases visible with their reason; a run resumed after a crash never does a case twice; a bulk
reply sent through the outbox exactly once per case, at the network's rate limits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from compris.connectors.base import OutboundMessage, SendError, SendResult
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions as inbox
from compris.inbox import outbound
from compris.inbox.ingest import receive
from compris.kit import clock
from compris.kit.errors import Forbidden, Invalid, NotFound
from compris.listening import bulk
from compris.models import (
    BulkItem,
    BulkRun,
    Case,
    CaseEvent,
    CaseStatus,
    CaseTag,
    DeliveryState,
    Message,
    Outbox,
    Tag,
    User,
)
from compris.routing import actions as routing
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request

FR = "Bonjour, ma commande n'est toujours pas arrivée, c'est vraiment inadmissible, je suis très déçue"
EN = "Hello, my parcel still has not arrived and nobody answers me, this is really unacceptable"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """A network that accepts every send; counts them per idempotency key."""
    sent: Counter[str] = Counter()

    def send(_self: Any, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        sent[message.idempotency_key] += 1
        return SendResult(platform_message_id=f"p-{message.idempotency_key}")

    monkeypatch.setattr(SandboxConnector, "send", send)
    return sent


def make_cases(world: World, n: int, *, text: str = FR, kind: str = "post", prefix: str = "cust") -> list[int]:
    """``n`` cases of ``n`` different customers; their ids, in order."""
    rt = world.runtime
    for i in range(n):
        body = text if not isinstance(text, list) else text[i % len(text)]
        receive(rt.db, rt.publisher, SECRET, world.account.id,
                _request(world, world.payload(body, author=f"{prefix}-{i}", kind=kind)))
    world.run_jobs()
    with rt.db.transaction() as s:
        ids = list(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id).order_by(Case.id)))
    return ids[-n:]


def start(world: World, user: User, case_ids: list[int], kind: str, params: dict[str, Any] | None = None,
          **kw: Any) -> int:
    rt = world.runtime
    with rt.db.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        return bulk.start(s, rt.publisher, actor=actor, case_ids=case_ids, kind=kind, params=params or {}, **kw).id


def run_until_idle(world: World) -> None:
    for _ in range(100):
        if world.run_jobs() == 0:
            return
    raise AssertionError("jobs kept running")


def items(world: World, run_id: int) -> dict[int, BulkItem]:
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(BulkItem).where(BulkItem.run_id == run_id)))
        for r in rows:
            s.expunge(r)
        return {r.case_id: r for r in rows}


def get_run(world: World, run_id: int) -> BulkRun:
    with world.runtime.db.transaction() as s:
        run = s.get(BulkRun, run_id)
        assert run is not None
        s.expunge(run)
        return run


def events(world: World, kind: str) -> list[CaseEvent]:
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                      CaseEvent.kind == kind)))
        for r in rows:
            s.expunge(r)
        return rows


# --- assign, transfer, tag, status, resolve ------------------------------------------------------------------


def test_bulk_assign_runs_the_assign_action_on_every_case(world: World) -> None:
    ids = make_cases(world, 5)
    run_id = start(world, world.admin, ids, bulk.ASSIGN, {"assignee_id": world.agent.id})
    run_until_idle(world)
    with world.runtime.db.transaction() as s:
        assert set(s.scalars(select(Case.assignee_id).where(Case.id.in_(ids)))) == {world.agent.id}
    assigned = [e for e in events(world, "assigned") if e.actor_user_id == world.admin.id]
    assert sorted(e.case_id for e in assigned) == ids  # one timeline row per case, by the actor
    run = get_run(world, run_id)
    assert (run.state, run.total, run.done, run.failed) == ("done", 5, 5, 0)
    assert run.finished_at is not None
    (row,) = [e for e in events(world, "bulk_run") if e.data["run_id"] == run_id]
    assert row.data["action"] == "assign" and row.data["cases"] == 5 and row.case_id is None


def test_bulk_transfer_tag_untag_and_status(world: World) -> None:
    ids = make_cases(world, 4)
    rt = world.runtime
    with rt.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        team_id = routing.create_team(s, rt.publisher, actor=admin, name="Livraisons").id
    start(world, world.admin, ids, bulk.TRANSFER, {"team_id": team_id})
    start(world, world.admin, ids, bulk.TAG, {"tags": ["Colis perdu", "colis PERDU", "Urgent"]})
    start(world, world.admin, ids[:2], bulk.UNTAG, {"tags": ["urgent"]})
    start(world, world.admin, ids, bulk.SET_STATUS, {"status": "waiting_customer"})
    run_until_idle(world)
    with rt.db.transaction() as s:
        cases = list(s.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)))
        assert {c.team_id for c in cases} == {team_id}
        assert {c.status for c in cases} == {CaseStatus.WAITING_CUSTOMER}
        tags = dict(s.execute(select(Tag.key, Tag.name).where(Tag.workspace_id == world.workspace_id)).all())
        assert tags == {"colis perdu": "Colis perdu", "urgent": "Urgent"}
        per_case = Counter(s.scalars(select(CaseTag.case_id).where(CaseTag.case_id.in_(ids))))
        assert [per_case[i] for i in ids] == [1, 1, 2, 2]
    assert len(events(world, "tagged")) == 4 + 2
    assert len([e for e in events(world, "bulk_run")]) == 4


def test_bulk_resolve_with_a_closing_message_per_language(world: World, network: Counter[str]) -> None:
    fr = make_cases(world, 2, text=FR, prefix="fr")
    en = make_cases(world, 2, text=EN, prefix="en")
    texts = {"fr": "Bonjour {first_name}, l'incident est résolu. Merci de votre patience.",
             "en": "Hi {first_name}, the incident is resolved. Thank you for your patience."}
    run_id = start(world, world.admin, fr + en, bulk.RESOLVE, {"texts": texts})
    run_until_idle(world)
    with world.runtime.db.transaction() as s:
        assert set(s.scalars(select(Case.status).where(Case.id.in_(fr + en)))) == {CaseStatus.RESOLVED}
        sent = {m.case_id: m for m in s.scalars(select(Message).where(Message.case_id.in_(fr + en),
                                                                      Message.direction == "outbound"))}
        assert all(sent[i].text.startswith("Bonjour Fr-") for i in fr)
        assert all(sent[i].text.startswith("Hi En-") for i in en)
        assert all(m.delivery_state == DeliveryState.SENT for m in sent.values())
        assert all(m.platform_extra["origin"] == "bulk" for m in sent.values())
    assert all(i.state == "done" and i.message_id for i in items(world, run_id).values())
    # a second resolve of resolved cases sends nothing more
    start(world, world.admin, fr + en, bulk.RESOLVE, {"texts": texts})
    run_until_idle(world)
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.workspace_id == world.workspace_id)) == 4
    assert sorted(network.values()) == [1, 1, 1, 1]


def test_an_agent_bulk_works_only_the_cases_they_may_work(world: World) -> None:
    ids = make_cases(world, 3)
    rt = world.runtime
    with rt.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        case = s.get(Case, ids[0])
        assert admin is not None and case is not None
        inbox.assign(s, rt.publisher, actor=admin, case=case, assignee=admin)
    run_id = start(world, world.agent, ids, bulk.TAG, {"tags": ["vu"]})
    run_until_idle(world)
    got = items(world, run_id)
    assert got[ids[0]].state == "skipped" and got[ids[0]].error == "assigned to another agent"
    assert got[ids[1]].state == got[ids[2]].state == "done"
    # an agent may not hand many cases to someone else
    with pytest.raises(Forbidden):
        start(world, world.agent, ids, bulk.ASSIGN, {"assignee_id": world.admin.id})


def test_bad_input_is_refused_before_anything_is_written(world: World, world_factory: Any) -> None:
    ids = make_cases(world, 2)
    other = world_factory("other")
    other_ids = make_cases(other, 1, prefix="o")
    with pytest.raises(NotFound):
        start(world, world.admin, ids + other_ids, bulk.TAG, {"tags": ["x"]})
    with pytest.raises(Invalid):
        start(world, world.admin, ids, "explode", {})
    with pytest.raises(Invalid):
        start(world, world.admin, ids, bulk.SET_STATUS, {"status": "new"})
    with pytest.raises(Invalid):
        start(world, world.admin, ids, bulk.REPLY, {})
    with pytest.raises(Invalid):
        start(world, world.admin, [], bulk.TAG, {"tags": ["x"]})
    with pytest.raises(Invalid, match="client"):  # a variable nothing fills would go out as written
        start(world, world.admin, ids, bulk.REPLY, {"texts": {"fr": "Bonjour {{client}}"}})
    with pytest.raises(NotFound):
        start(world, world.admin, ids, bulk.ASSIGN, {"assignee_id": other.agent.id})
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(BulkRun)) == 0


def test_cancel_skips_the_pending_cases(world: World) -> None:
    ids = make_cases(world, 3)
    run_id = start(world, world.admin, ids, bulk.TAG, {"tags": ["x"]})
    rt = world.runtime
    bulk.work_item(rt.db, rt.publisher, run_id, min(items(world, run_id)[ids[0]].id, 10**9))
    with rt.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        run = s.get(BulkRun, run_id)
        assert admin is not None and run is not None
        assert bulk.cancel(s, rt.publisher, actor=admin, run=run) == 2
    run_until_idle(world)
    got = items(world, run_id)
    assert [got[i].state for i in ids] == ["done", "skipped", "skipped"]
    assert get_run(world, run_id).state == "done"
    assert len(events(world, "bulk_run")) == 1


# --- a bulk reply to 200 cases ---------------------------------------------------------------------------------


class RateLimitedNetwork:
    """A network that takes ``per_window`` sends per ``window`` seconds (429 with Retry-After beyond), refuses the
    keys in ``refuse`` for good, fails the keys in ``flaky`` once (503), and remembers what it received."""

    def __init__(self, *, per_window: int, window: float, refuse: set[int], flaky: set[int]) -> None:
        self.per_window, self.window = per_window, window
        self.refuse, self.flaky = refuse, flaky
        self.accepted: Counter[str] = Counter()
        self.calls: list[tuple[datetime, str]] = []
        self.sent_in_window: Counter[int] = Counter()
        self.early: list[str] = []
        self.blocked_until: dict[str, datetime] = {}
        self.failed_once: set[str] = set()

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        t = clock.now()
        key = message.idempotency_key
        self.calls.append((t, key))
        if key in self.blocked_until and t < self.blocked_until[key]:
            self.early.append(key)  # came back before the Retry-After it was given
        case_id = int(key.rsplit(":", 1)[1])
        if case_id in self.refuse:
            raise SendError("403 this user does not accept replies", retryable=False)
        if case_id in self.flaky and key not in self.failed_once:
            self.failed_once.add(key)
            raise SendError("503 Service Unavailable", retryable=True)
        slot = int(t.timestamp() // self.window)
        if self.sent_in_window[slot] >= self.per_window:
            self.blocked_until[key] = t + timedelta(seconds=self.window)
            raise SendError("429 Too Many Requests", retryable=True, retry_after=self.window)
        self.sent_in_window[slot] += 1
        self.accepted[key] += 1
        return SendResult(platform_message_id=f"p-{key}")


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    at = [datetime(2026, 12, 6, 9, 0, tzinfo=UTC)]
    clock.set_now(lambda: at[0])
    yield at
    clock.set_now(None)


class Crash(BaseException):
    """The worker dies mid-transaction (not an error a handler catches)."""


def test_a_bulk_reply_to_200_cases_is_sent_exactly_once_per_case_or_visibly_failed(
        world: World, frozen: list[datetime], monkeypatch: pytest.MonkeyPatch) -> None:
    n = 200
    ids = make_cases(world, n, text=[FR, EN])
    refuse, flaky = set(ids[5::40]), set(ids[7::25])
    network = RateLimitedNetwork(per_window=60, window=60.0, refuse=refuse, flaky=flaky)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    texts = {"fr": "Bonjour {first_name}, nous sommes désolés : un incident touche les livraisons. Nous revenons "
                   "vers vous très vite.",
             "en": "Hi {first_name}, we are sorry: an incident is delaying deliveries. We will get back to you "
                   "very soon."}
    run_id = start(world, world.admin, ids, bulk.REPLY, {"texts": texts})
    rt = world.runtime
    # the worker dies while queueing the 30th reply: that case's transaction rolls back, the rest of its batch
    # never ran
    real = inbox.queue_outbound
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Message:
        calls["n"] += 1
        if calls["n"] == 30:
            raise Crash
        return real(*args, **kwargs)

    monkeypatch.setattr(inbox, "queue_outbound", dying)
    with pytest.raises(Crash):
        bulk.work_batch(rt.db, rt.publisher, run_id, limit=bulk.BATCH)
    monkeypatch.setattr(inbox, "queue_outbound", real)
    states = Counter(i.state for i in items(world, run_id).values())
    assert states == {"done": 29, "pending": n - 29}
    # the same batch worked again by a second worker (a lost lease), and the run resumed by hand: no case twice
    bulk.work_batch(rt.db, rt.publisher, run_id, limit=10)
    with rt.db.transaction() as s:
        run = s.get(BulkRun, run_id)
        assert run is not None
        assert bulk.resume(s, rt.publisher, run)
    # the workers run, the clock moves a minute at a time (the network's window)
    for _ in range(30):
        run_until_idle(world)
        frozen[0] += timedelta(seconds=61)
    run_until_idle(world)
    got = items(world, run_id)
    assert Counter(i.state for i in got.values()) == {"done": n}
    assert get_run(world, run_id).state == "done"
    with rt.db.transaction() as s:
        outs = {m.case_id: m for m in s.scalars(select(Message).where(
            Message.workspace_id == world.workspace_id, Message.direction == "outbound"))}
        # one reply per case, each personalised in the customer's language
        assert sorted(outs) == sorted(ids) and len(outs) == n
        assert s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.workspace_id == world.workspace_id)) == n
        for case_id, message in outs.items():
            assert got[case_id].message_id == message.id
            assert message.text.startswith(("Bonjour Cust-", "Hi Cust-"))
            if case_id in refuse:
                assert message.delivery_state == DeliveryState.FAILED
                assert "does not accept replies" in (message.delivery_error or "")
            else:
                assert message.delivery_state == DeliveryState.SENT
    # the network received each reply at most once, never came back before its Retry-After, and never took more
    # than its limit in a window
    assert all(count == 1 for count in network.accepted.values())
    assert len(network.accepted) == n - len(refuse)
    assert network.early == []
    assert max(network.sent_in_window.values()) <= 60
    assert len(network.sent_in_window) >= 4  # 200 replies at 60 a minute: four windows at least
    finished = [e for e in events(world, "bulk_run") if e.data["run_id"] == run_id]
    assert len(finished) == 1


def test_a_guard_block_skips_the_case_with_the_reason(world: World, network: Counter[str]) -> None:
    public = make_cases(world, 2, text=EN, prefix="pub")
    private = make_cases(world, 2, text=EN, kind="dm", prefix="dm")
    text = {"en": "Hi {first_name}, could you send us your phone number and your booking reference?"}
    run_id = start(world, world.admin, public + private, bulk.REPLY, {"texts": text})
    run_until_idle(world)
    got = items(world, run_id)
    for case_id in public:
        assert got[case_id].state == "skipped"
        assert (got[case_id].error or "").startswith("the reply guard blocks this reply")
    for case_id in private:
        assert got[case_id].state == "done" and got[case_id].message_id is not None


def test_a_variable_without_a_value_skips_the_case(world: World) -> None:
    ids = make_cases(world, 1, text=EN)
    run_id = start(world, world.admin, ids, bulk.REPLY, {"texts": {"en": "Hi, your flight {action.flight}."}})
    run_until_idle(world)
    (item,) = items(world, run_id).values()
    assert item.state == "skipped" and item.error == "no value for {action.flight}"


def test_preview_renders_the_first_workable_case(world: World) -> None:
    ids = make_cases(world, 3, text=FR)
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        p = bulk.preview(s, actor=admin, case_ids=ids, kind=bulk.REPLY,
                         params={"texts": {"fr": "Bonjour {first_name} !", "en": "Hi {first_name}!"}})
        assert p.count == 3 and p.skipped == 0 and p.case is not None and p.case.id == ids[0]
        assert p.rendered is not None and p.rendered.text == "Bonjour Cust-0 !" and p.rendered.language == "fr"


def wait_for(check: Any, seconds: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_run_finishes_once_and_its_progress_is_published_live(world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from compris import bus
    from compris.events import BulkRunFinished

    ids = make_cases(world, 3)
    finished: list[BulkRunFinished] = []
    real = bus.emit

    def spy(session: Any, publisher: Any, event: Any) -> None:
        if isinstance(event, BulkRunFinished):
            finished.append(event)
        real(session, publisher, event)

    monkeypatch.setattr(bus, "emit", spy)
    live: list[dict[str, Any]] = []
    world.runtime.start_listener()  # PostgreSQL: live events come back through LISTEN/NOTIFY
    world.runtime.publisher.hub.add_listener(lambda e: live.append(e) if e["kind"] == "bulk" else None)
    run_id = start(world, world.admin, ids, bulk.TAG, {"tags": ["x"]})
    wait_for(lambda: len(live) == 1)
    assert [e["state"] for e in live] == ["running"]  # delivered once the start committed
    run_until_idle(world)
    rt = world.runtime
    with rt.db.transaction() as s:  # a second job for the same run (a lost lease, a resume): nothing more
        run = s.get(BulkRun, run_id)
        assert run is not None and not bulk.resume(s, rt.publisher, run)
    run_until_idle(world)
    assert [(e.run_id, e.kind, e.done, e.failed) for e in finished] == [(run_id, "tag", 3, 0)]
    wait_for(lambda: live[-1]["state"] == "done")
    assert live[-1]["state"] == "done" and live[-1]["done"] == 3 and live[-1]["pending"] == 0
    assert all(e["workspace_id"] == world.workspace_id for e in live)


def test_an_incident_run_carries_the_incident(world: World, world_factory: Any, network: Counter[str]) -> None:
    from compris.models import Incident

    ids = make_cases(world, 2, text=FR)
    other = world_factory("other")
    with world.runtime.db.transaction() as s:
        mine = Incident(workspace_id=world.workspace_id, number=1, name="Colis perdus",
                        statements={"fr": "Bonjour {first_name}, nous savons que les colis ont du retard."})
        theirs = Incident(workspace_id=other.workspace_id, number=1, name="Autre")
        s.add_all([mine, theirs])
        s.flush()
        mine_id, theirs_id, statements = mine.id, theirs.id, dict(mine.statements)
    with pytest.raises(NotFound):
        start(world, world.admin, ids, bulk.REPLY, {"texts": statements}, incident_id=theirs_id)
    run_id = start(world, world.admin, ids, bulk.REPLY, {"texts": statements}, incident_id=mine_id)
    run_until_idle(world)
    assert get_run(world, run_id).incident_id == mine_id
    (row,) = [e for e in events(world, "bulk_run") if e.data["run_id"] == run_id]
    assert row.data["incident_id"] == mine_id and row.data["done"] == 2
    assert sorted(network.values()) == [1, 1]
