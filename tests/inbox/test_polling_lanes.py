"""A mailbox waiting for mail (IMAP IDLE) never starves the job queue.

Poll jobs run on a lane of their own (``COMPRIS_POLL_WORKERS`` threads); a waiting poll gives its thread back as
soon as another poll job is waiting, or the worker stops. Real worker threads, a real IMAP server on the loopback
(the e-mail tests' stand-in); the tests wait on events and queues, never on sleeps.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris.channels.actions import create_account
from compris.connectors.email import imap
from compris.inbox.actions.posts import FETCH_POST
from compris.inbox.attachments import FETCH_ATTACHMENTS
from compris.inbox.polling import POLL_ACCOUNT, POLL_ACCOUNTS
from compris.kit.clock import set_now
from compris.models import ChannelAccount, Job, JobStatus
from compris.runtime import Runtime
from compris.worker.queue import DEFAULT_LANE, HANDLERS, POLL_LANE, JobRun, Lane, claim, enqueue, load_tasks, run_job
from tests.conftest import SECRET, World
from tests.connectors.email.imap_server import Handler, Server

MAILBOX = "care@aircompris.example"
WAIT = 15  # seconds: only ever reached when the behaviour under test is broken


class WatchedHandler(Handler):
    """The stand-in's connection handler, telling the test when an IDLE starts and ends."""

    server: WatchedServer

    def idle(self, tag: str) -> None:
        self.server.idles.put("start")
        try:
            super().idle(tag)
        finally:
            self.server.idles.put("end")


class WatchedServer(Server):
    def __init__(self) -> None:
        super().__init__(MAILBOX, "imap-pass")
        self.RequestHandlerClass = WatchedHandler
        self.idles: queue.Queue[str] = queue.Queue()


@pytest.fixture
def servers() -> Iterator[list[WatchedServer]]:
    with WatchedServer() as first, WatchedServer() as second:
        yield [first, second]


def _mail_account(world: World, server: Server, idle_seconds: int = 50) -> int:
    with world.runtime.db.transaction() as session:
        account = create_account(
            session, SECRET, workspace_id=world.workspace_id, network="email", name=f"Mail {server.port}",
            external_id=f"{server.port}-{MAILBOX}",
            settings={"from_address": MAILBOX, "imap_host": "127.0.0.1", "imap_port": str(server.port),
                      "imap_security": "plain", "imap_username": MAILBOX, "smtp_host": "127.0.0.1",
                      "timeout": "3", "idle_seconds": str(idle_seconds)},
            secrets={"imap_password": "imap-pass"},
        )
        account.poll_state = {"uidvalidity": server.mailbox.uidvalidity, "last_uid": 0}  # polled before
        return account.id


def _enqueue(world: World, kind: str, payload: dict[str, object] | None = None) -> None:
    with world.runtime.db.transaction() as session:
        enqueue(session, world.runtime.publisher, workspace_id=world.workspace_id, kind=kind, payload=payload or {})


@pytest.fixture
def ping() -> Iterator[threading.Event]:
    """A job kind of the default lane that sets an event."""
    done = threading.Event()

    def handler(run: JobRun) -> None:
        done.set()

    load_tasks()
    HANDLERS["test.ping"] = handler
    yield done
    HANDLERS.pop("test.ping", None)


def _stop_workers(runtime: Runtime) -> float:
    started = time.monotonic()
    for worker in runtime.workers:
        worker.stop()
    for worker in runtime.workers:
        worker.join(timeout=WAIT)
    alive = [w.name for w in runtime.workers if w.is_alive()]
    runtime.workers.clear()
    assert not alive, alive
    return time.monotonic() - started


def test_a_waiting_mailbox_does_not_hold_up_other_jobs(
        world: World, servers: list[WatchedServer], ping: threading.Event) -> None:
    # given one ordinary worker and one poll worker, and a mailbox that IDLEs up to 50 s for mail
    account_id = _mail_account(world, servers[0], idle_seconds=50)
    runtime = world.runtime
    assert runtime.settings.poll_workers == 1
    runtime.start_workers(1)
    try:
        _enqueue(world, POLL_ACCOUNT, {"account_id": account_id})
        assert servers[0].idles.get(timeout=WAIT) == "start"
        # when another job comes while the mailbox waits
        _enqueue(world, "test.ping")
        # then it runs at once, on the ordinary worker, while the mailbox still waits
        assert ping.wait(WAIT)
        assert servers[0].idles.empty()
    finally:
        # and stopping the workers ends the wait at once rather than after 50 s
        assert _stop_workers(runtime) < 5
    assert servers[0].idles.get(timeout=WAIT) == "end"


def test_a_waiting_mailbox_gives_its_thread_to_the_next_poll(
        world: World, servers: list[WatchedServer]) -> None:
    # given two mailboxes that IDLE up to 50 s, and a single poll worker
    first, second = (_mail_account(world, s, idle_seconds=50) for s in servers)
    runtime = world.runtime
    runtime.start_workers(1)
    try:
        _enqueue(world, POLL_ACCOUNT, {"account_id": first})
        assert servers[0].idles.get(timeout=WAIT) == "start"
        # when the second mailbox's poll is due
        _enqueue(world, POLL_ACCOUNT, {"account_id": second})
        # then the first wait ends early (a couple of seconds, not 50) and the second mailbox is polled
        assert servers[0].idles.get(timeout=WAIT) == "end"
        assert servers[1].idles.get(timeout=WAIT) == "start"
    finally:
        _stop_workers(runtime)
    with runtime.db.transaction() as session:
        polled = session.scalars(select(ChannelAccount.polled_at).where(ChannelAccount.id == first)).one()
        assert polled is not None  # the first poll finished normally (nothing new), its state kept


def test_lanes_split_the_kinds() -> None:
    load_tasks()
    # with poll workers, the ordinary workers leave poll jobs to them
    ordinary = Lane.of(DEFAULT_LANE, separate=frozenset({POLL_LANE}))
    assert POLL_ACCOUNT in ordinary.excluded and ordinary.kinds is None
    assert POLL_ACCOUNTS not in ordinary.excluded  # the fan-out is quick: any worker runs it
    # the poll lane also fetches customers' files and the posts they comment under (network waits that must not
    # hold up deliveries and replies)
    assert Lane.of(POLL_LANE).kinds == tuple(sorted((POLL_ACCOUNT, FETCH_ATTACHMENTS, FETCH_POST)))
    # without (COMPRIS_POLL_WORKERS=0), the ordinary workers run every kind
    assert Lane.of(DEFAULT_LANE).excluded == ()


def test_without_poll_workers_the_ordinary_workers_poll(
        world: World, servers: list[WatchedServer], monkeypatch: pytest.MonkeyPatch) -> None:
    # given COMPRIS_POLL_WORKERS=0
    account_id = _mail_account(world, servers[0], idle_seconds=0)
    load_tasks()
    original = HANDLERS[POLL_ACCOUNT]
    ran_on: queue.Queue[str] = queue.Queue()

    def watched(run: JobRun) -> None:
        original(run)
        ran_on.put(threading.current_thread().name)

    monkeypatch.setitem(HANDLERS, POLL_ACCOUNT, watched)
    runtime = world.runtime
    runtime.settings.poll_workers = 0
    runtime.settings.background_workers = 0  # the background lane (clustering) is not what this test watches
    runtime.start_workers(1)
    try:
        # then only ordinary workers run, and they poll the mailbox
        assert [w.lane.name for w in runtime.workers] == [DEFAULT_LANE]
        servers[0].mailbox.add(b"From: a@example.com\r\nSubject: hi\r\nMessage-ID: <x@example.com>\r\n\r\nhello\r\n")
        _enqueue(world, POLL_ACCOUNT, {"account_id": account_id})
        assert ran_on.get(timeout=WAIT) == "worker-0"
    finally:
        _stop_workers(runtime)
    with runtime.db.transaction() as session:
        state = session.scalar(select(ChannelAccount.poll_state).where(ChannelAccount.id == account_id))
    assert state is not None and state["last_uid"] == 1


def test_idle_ends_when_interrupted(servers: list[WatchedServer]) -> None:
    config = imap.ImapSettings(host="127.0.0.1", port=servers[0].port, security="plain", username=MAILBOX,
                               password="imap-pass", timeout=3)
    asked: list[int] = []

    def interrupted() -> bool:
        asked.append(1)
        return len(asked) >= 3

    with imap.session(config) as conn:
        imap.select_mailbox(conn, "INBOX")
        started = time.monotonic()
        assert imap.idle(conn, 50, interrupted, check_every=0.05) is False
        assert time.monotonic() - started < 5
        assert len(asked) == 3
        # the connection is still usable: IDLE was ended properly (DONE, tagged OK)
        assert imap.search_uids(conn, None) == []
    assert "DONE" in servers[0].commands


def test_the_fan_out_does_not_stack_polls_behind_a_waiting_one(world: World, servers: list[WatchedServer]) -> None:
    account_id = _mail_account(world, servers[0], idle_seconds=0)
    at = datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC)
    set_now(lambda: at)
    try:
        def fan_out() -> list[tuple[str, str]]:
            _enqueue(world, POLL_ACCOUNTS)
            job = claim(world.runtime.db, "test", kinds=(POLL_ACCOUNTS,))
            assert job is not None
            run_job(world.runtime.services, job)
            with world.runtime.db.transaction() as session:
                return [(k or "", s) for k, s in session.execute(
                    select(Job.dedupe_key, Job.status).where(Job.kind == POLL_ACCOUNT).order_by(Job.id))]

        # given a poll queued for the account in this minute's slot, not yet taken by a poll worker
        assert fan_out() == [(f"poll:{account_id}:{int(at.timestamp()) // 60}", JobStatus.QUEUED)]
        # when the next minute's fan-out runs
        at += timedelta(minutes=1)
        # then no second poll is queued behind it
        assert len(fan_out()) == 1
        # once it ran, the next slot polls again
        job = claim(world.runtime.db, "test", kinds=(POLL_ACCOUNT,))
        assert job is not None
        run_job(world.runtime.services, job)
        at += timedelta(minutes=1)
        assert [s for _, s in fan_out()] == [JobStatus.DONE, JobStatus.QUEUED]
    finally:
        set_now(None)

