"""Workers killed with SIGKILL mid-stream: nothing acknowledged is lost, nothing is processed or sent twice.

Compris's web app (uvicorn, in this process, no workers of its own) acknowledges signed deliveries while two
``compris worker`` processes (PostgreSQL, a database of the test's own) process them and send the replies an agent
queues meanwhile to a stand-in platform that counts posts per idempotency key. Every second or so (once events were
processed since the last kill) one running worker process is killed with SIGKILL and a new one started. Deliveries
keep coming (at least ``EVENTS`` of them) until the last kill, so that every kill interrupts work however slowly the
replacement processes start on a loaded machine. The workers' job lease is 2 s here (60 s in production), so that
the jobs a killed worker held are taken again within the test's time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from compris.inbox import actions
from compris.models import Case, DeliveryState, Message, Outbox, RawEvent, RawEventStatus, User
from tests.reliability.conftest import Live, ServedStandIn
from tests.reliability.support import delivery, signed, worker_command, worker_env

pytestmark = pytest.mark.reliability

EVENTS = int(os.environ.get("COMPRIS_KILL_EVENTS", "100"))
MAX_EVENTS = 20 * EVENTS  # the feed stops there whatever happens (the time bound below fails the test first)
KILLS = 4
KILL_EVERY = 1.0
LEASE_SECONDS = 2.0


class Workers:
    """``compris worker`` processes, killed and replaced on demand; each logs to a file of its own."""

    def __init__(self, db_url: str, tmp: Path) -> None:
        self.env = worker_env(db_url, str(tmp), lease_seconds=LEASE_SECONDS)
        self.tmp = tmp
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.started = 0
        self.killed = 0

    def start(self) -> None:
        self.started += 1
        path = self.tmp / f"worker-{self.started}.log"
        with path.open("wb") as log:
            process = subprocess.Popen(worker_command(sys.executable, threads=2), env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT)
        self.processes.append((process, path))

    def ready(self) -> list[subprocess.Popen[bytes]]:
        """The processes whose workers run (they said so)."""
        return [p for p, path in self.processes if b"running" in path.read_bytes()]

    def kill_one(self, rng: random.Random) -> bool:
        """SIGKILL one running worker process (its workers said so) and start another; False when none runs yet."""
        ready = self.ready()
        if not ready:
            return False
        victim = rng.choice(ready)
        victim.send_signal(signal.SIGKILL)
        victim.wait(5)
        self.processes = [(p, path) for p, path in self.processes if p is not victim]
        self.killed += 1
        self.start()
        return True

    def logs(self) -> str:
        return ", ".join(str(path) for _, path in self.processes)

    def stop(self) -> None:
        for process, _ in self.processes:
            process.terminate()
        for process, _ in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _queue_replies(live: Live, replied: set[int]) -> int:
    """An agent answers every case that has no answer yet, as the customer wrote (in public or in private); returns
    how many replies were queued."""
    queued = 0
    with live.runtime.db.transaction() as session:
        agent = session.get(User, live.brand.agent_id)
        assert agent is not None
        for case in session.scalars(select(Case).where(Case.id.not_in(replied or {0})).order_by(Case.id)):
            visibility = session.scalar(select(Message.visibility).where(Message.case_id == case.id)
                                        .order_by(Message.id.desc()).limit(1))
            actions.add_reply(session, live.runtime.publisher, actor=agent, case=case,
                              text=f"Sorry about case {case.id}: we are on it.", visibility=visibility or "public")
            replied.add(case.id)
            queued += 1
    return queued


def test_workers_killed_mid_stream_lose_and_duplicate_nothing(
        pg_database: str, compris_live: Callable[..., Live], standin: ServedStandIn, tmp_path: Path) -> None:
    live = compris_live(pg_database, workers=0)
    workers = Workers(pg_database, tmp_path)
    rng = random.Random(21)
    failures: list[str] = []

    posted = 0
    lock = threading.Lock()

    def post() -> None:  # one feeding thread: the next delivery, as long as the kills go on (and EVENTS at least)
        nonlocal posted
        while True:
            with lock:
                if (workers.killed >= KILLS and posted >= EVENTS) or posted >= MAX_EVENTS:
                    return
                n = posted
                posted += 1
            raw = delivery(n, run="kill", kind="dm" if n % 3 == 0 else "post", customers=30)
            response = live.http.post(live.webhook, content=raw, headers=signed(live.brand.webhook_secret, raw))
            if response.status_code != 200:
                failures.append(f"delivery {n}: {response.status_code}")
            time.sleep(0.05 if n < EVENTS else 0.5)  # beyond EVENTS, just enough that the workers have work

    def feed() -> None:  # the deliveries flow, in two threads, while the workers are killed
        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(post), pool.submit(post)]:
                future.result()

    db = live.runtime.db

    def processed() -> int:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.status == RawEventStatus.PROCESSED)) or 0

    started = time.monotonic()
    try:
        workers.start()
        workers.start()
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        replied: set[int] = set()
        # a kill every KILL_EVERY seconds at least, of a process whose workers run, once events were processed since
        # the last kill (so that each kill interrupts work, not a process still starting); the feed goes on meanwhile
        next_kill, done_at_last_kill = time.monotonic() + KILL_EVERY, -1
        while feeder.is_alive() or workers.killed < KILLS:
            _queue_replies(live, replied)
            done = processed()
            if (workers.killed < KILLS and time.monotonic() >= next_kill and done > done_at_last_kill
                    and workers.kill_one(rng)):
                next_kill, done_at_last_kill = time.monotonic() + KILL_EVERY, done
            # bounded, with room for a loaded CI machine (each killed process is started again: seconds of imports)
            assert time.monotonic() < started + 240, (f"{workers.killed} kills only, {posted} deliveries; "
                                                      f"see {workers.logs()}")
            time.sleep(0.1)
        feeder.join()
        assert failures == []

        # then, with the surviving workers, everything settles: every event processed, every reply sent
        deadline = time.monotonic() + 60
        while True:
            _queue_replies(live, replied)
            with db.transaction() as session:
                pending = session.scalar(select(func.count()).select_from(RawEvent).where(
                    RawEvent.status == RawEventStatus.PENDING))
                unsent = session.scalar(select(func.count()).select_from(Outbox).where(
                    Outbox.state.not_in([DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.UNCERTAIN])))
            if pending == 0 and unsent == 0:
                break
            assert time.monotonic() < deadline, (f"{pending} events pending, {unsent} replies unsent; "
                                                 f"see {workers.logs()}")
            time.sleep(0.2)
    finally:
        workers.stop()

    assert workers.killed == KILLS
    with db.transaction() as session:
        events = session.execute(select(RawEvent.event_key, RawEvent.status)).all()
        inbound = session.scalars(select(Message.platform_message_id).where(Message.direction == "inbound")).all()
        outbox = session.execute(select(Outbox.idempotency_key, Outbox.state, Message.platform_message_id)
                                 .join(Message, Message.id == Outbox.message_id)).all()
    # nothing lost, nothing processed twice
    assert posted >= EVENTS
    assert len(events) == posted and {status for _, status in events} == {RawEventStatus.PROCESSED}
    assert sorted(str(i) for i in inbound) == sorted(f"m-kill-{n}" for n in range(posted))
    # every queued reply sent once: one post per idempotency key on the platform, the post's id kept
    assert len(outbox) == len(replied) > 0
    assert {state for _, state, _ in outbox} == {DeliveryState.SENT}
    assert set(standin.posts) == {key for key, _, _ in outbox}
    assert standin.duplicated == 0 and standin.sent == len(outbox)
    assert {pid for _, _, pid in outbox} == {standin.first_id[key] for key, _, _ in outbox}
