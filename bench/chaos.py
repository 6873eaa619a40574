"""The reliability suite's long version: minutes of faults against a real deployment, then the figures.

    .venv/bin/python bench/chaos.py [--duration 600] [--rate 40] [--workers 2] [--kill-every 20]
        [--redeliver 0.3] [--fail-before 0.03] [--fail-after 0.03] [--late 0.005] [--slow 0.05]
        [--baseline 60] [--no-keys] [--quick]

What runs (PostgreSQL, a database the bench creates on the shared cluster at COMPRIS_TEST_PG and drops at the end;
the cluster itself is never restarted):
- `compris serve --workers 0` (the web process: acknowledges the webhooks) and `--workers` `compris worker`
  processes (two threads each), all on 127.0.0.1;
- a stand-in platform with the sandbox network's send API, in this process, that stores the replies per idempotency
  key and injects faults on a share of sends: 500 before storing the post, 500 after storing it (ambiguous), an
  answer after the send timeout (ambiguous), slow answers; `--no-keys` makes it ignore the key (a network without
  de-duplication, as X and WhatsApp);
- signed deliveries at `--rate` a second for `--duration` seconds; a share (`--redeliver`) delivered again, one to
  three more times, at once or a little later, as platforms do;
- an agent (in this process) who answers every new case at once, so replies flow while faults are injected;
- a worker process killed with SIGKILL every `--kill-every` seconds (and replaced); its jobs are taken again when
  their lease expires (`--lease`, 60 s in production; 10 s here by default).
Then it waits for the backlog to drain (`--drain` seconds at most) and prints: events acknowledged, stored,
processed, duplicated, lost; replies queued, sent, duplicated, uncertain, failed; 5xx answers; the medians
(acknowledgement, event to processed, reply queued to sent) and their ratio to a bare baseline (`--baseline`
seconds at the same rate, no faults, no kills, no redeliveries; 0 to skip). `--quick`: 30 s of faults at 4 deliveries
a second after a 10 s baseline, a minute or two in all (more on a loaded machine: the backlog must drain).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compris.db import Database
from compris.inbox import actions
from compris.models import Case, Message, Outbox, RawEvent, RawEventStatus, User
from compris.runtime import Runtime
from tests.reliability.support import (
    SECRET_KEY,
    Faults,
    ServerThread,
    StandIn,
    create_database,
    delivery,
    drop_database,
    free_port,
    setup_brand,
    signed,
    worker_command,
    worker_env,
)


@dataclass
class Phase:
    """One run (the baseline or the chaos) and what it measured on the sending side."""

    name: str
    acked: set[str] = field(default_factory=set)  #: event ids acknowledged (200)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)  #: network errors (each retried, 3 tries)
    ack_latency: list[float] = field(default_factory=list)
    kills: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def web_process(url: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, COMPRIS_DATABASE_URL=url, COMPRIS_SECRET_KEY=SECRET_KEY, COMPRIS_WORKERS="0",
               COMPRIS_DATA_DIR=str(tmp), COMPRIS_TRIAGE_ACCURATE="off")
    env.pop("COMPRIS_PASSWORD_HASH_COST", None)
    log = (tmp / "web.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "compris", "serve", "--port", str(port), "--workers", "0"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"compris serve did not start; see {tmp / 'web.log'}")
        yield base
    finally:
        server.terminate()
        server.wait(20)
        log.close()


class WorkerPool:
    def __init__(self, url: str, tmp: Path, count: int, lease: float) -> None:
        self.env = worker_env(url, str(tmp), lease_seconds=lease)
        self.env.pop("COMPRIS_PASSWORD_HASH_COST", None)
        self.tmp = tmp
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self) -> None:
        self.started += 1
        with (self.tmp / f"worker-{self.started}.log").open("wb") as log:
            self.processes.append(subprocess.Popen(worker_command(sys.executable), env=self.env, stdout=log,
                                                   stderr=subprocess.STDOUT))

    def fill(self) -> None:
        while len(self.processes) < self.count:
            self.start()

    def kill_one(self, rng: random.Random) -> None:
        victim = rng.choice(self.processes)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        self.processes.remove(victim)
        self.start()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes = []


class Agent(threading.Thread):
    """Answers every new customer message at once, on its case (in public or in private, as the customer wrote)."""

    def __init__(self, runtime: Runtime, agent_id: int) -> None:
        super().__init__(daemon=True)
        self.runtime = runtime
        self.agent_id = agent_id
        self.last_message = 0
        self.queued = 0
        self.stopping = threading.Event()

    def answer_new_messages(self) -> None:
        with self.runtime.db.transaction() as session:
            agent = session.get(User, self.agent_id)
            assert agent is not None
            new = session.execute(select(Message.id, Message.case_id, Message.visibility).where(
                Message.id > self.last_message, Message.direction == "inbound").order_by(Message.id).limit(500)).all()
            for message_id, case_id, visibility in new:
                case = session.get(Case, case_id)
                assert case is not None
                actions.add_reply(session, self.runtime.publisher, actor=agent, case=case,
                                  text=f"Thanks, we are looking into it ({message_id}).", visibility=visibility)
                self.last_message = message_id
                self.queued += 1

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            try:
                self.answer_new_messages()
            except Exception as exc:  # the bench goes on; the figures will tell
                print(f"  agent: {type(exc).__name__}: {exc}", file=sys.stderr)


def load(phase: Phase, webhook: str, secret: str, *, run: str, duration: float, rate: float, redeliver: float,
         pool: WorkerPool | None, kill_every: float, rng: random.Random) -> int:
    """Deliveries at ``rate`` a second for ``duration`` seconds (with redeliveries and kills); returns how many."""
    client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64))

    def post(raw: bytes, event_id: str) -> None:
        for _ in range(3):  # as a platform does, a delivery that met a network error is sent again
            started = time.perf_counter()
            try:
                response = client.post(webhook, content=raw, headers=signed(secret, raw))
                break
            except httpx.TransportError as exc:
                with phase.lock:
                    phase.transport_errors[type(exc).__name__] += 1
                time.sleep(0.5)
        else:
            return
        elapsed = time.perf_counter() - started
        with phase.lock:
            phase.statuses[response.status_code] += 1
            if response.status_code == 200:
                phase.acked.add(event_id)
                phase.ack_latency.append(elapsed)

    sent = 0
    started = time.monotonic()
    next_kill = started + kill_every if pool and kill_every else float("inf")
    with ThreadPoolExecutor(32) as executor:
        while (elapsed := time.monotonic() - started) < duration:
            due = int(elapsed * rate) + 1
            while sent < due:
                raw = delivery(sent, run=run, kind="dm" if sent % 3 == 0 else "post", customers=2000)
                event_id = f"evt-{run}-{sent}"
                executor.submit(post, raw, event_id)
                if rng.random() < redeliver:
                    for _ in range(rng.randint(1, 3)):  # again, at once or up to 2 s later
                        delay = rng.choice([0.0, rng.uniform(0.1, 2.0)])
                        if delay:
                            threading.Timer(delay, executor.submit, (post, raw, event_id)).start()
                        else:
                            executor.submit(post, raw, event_id)
                sent += 1
            if pool is not None and time.monotonic() >= next_kill:
                pool.kill_one(rng)
                phase.kills += 1
                next_kill = time.monotonic() + kill_every
            time.sleep(0.01)
        time.sleep(2.5)  # the late redeliveries
    client.close()
    return sent


def counts(db: Database, run: str) -> dict[str, Any]:
    like = f"evt-{run}-%"
    with db.transaction() as session:
        events = session.execute(select(RawEvent.status, func.count()).where(RawEvent.event_key.like(like))
                                 .group_by(RawEvent.status)).all()
        stored = sum(n for _, n in events)
        keys = set(session.scalars(select(RawEvent.event_key).where(RawEvent.event_key.like(like))))
        by_status = {str(s): n for s, n in events}
        inbound = session.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "inbound", Message.platform_message_id.like(f"m-{run}-%"))) or 0
        distinct = session.scalar(select(func.count(func.distinct(Message.platform_message_id))).where(
            Message.direction == "inbound", Message.platform_message_id.like(f"m-{run}-%"))) or 0
        processing = [(e.processed_at - e.created_at).total_seconds() for e in session.scalars(
            select(RawEvent).where(RawEvent.event_key.like(like), RawEvent.processed_at.is_not(None)))
            if e.processed_at is not None]
    return {"stored": stored, "keys": keys, "by_status": by_status, "inbound": inbound, "distinct": distinct,
            "processing": processing}


def outbox_figures(db: Database, since_id: int) -> dict[str, Any]:
    with db.transaction() as session:
        rows = session.execute(select(Outbox.id, Outbox.state, Outbox.created_at, Outbox.sent_at,
                                      Outbox.idempotency_key).where(Outbox.id > since_id)).all()
    states = Counter(str(r.state) for r in rows)
    latency = [(r.sent_at - r.created_at).total_seconds() for r in rows if r.sent_at is not None]
    return {"rows": rows, "states": states, "latency": latency, "last_id": max((r.id for r in rows), default=since_id)}


def drain(db: Database, run: str, acked: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with db.transaction() as session:
            pending = session.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.event_key.like(f"evt-{run}-%"), RawEvent.status == RawEventStatus.PENDING)) or 0
            unsent = session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.state.in_(["queued", "sending", "retrying"]))) or 0
        if pending == 0 and unsent == 0:
            return
        time.sleep(1)
    print(f"  ({run}: the drain stopped after {seconds:.0f} s: {pending} events pending, {unsent} replies unsent)")


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def report(phase: Phase, sent: int, db: Database, run: str, standin: StandIn, since_outbox: int,
           base: dict[str, float] | None, seconds: float) -> dict[str, float]:
    c = counts(db, run)
    o = outbox_figures(db, since_outbox)
    keys = {r.idempotency_key for r in o["rows"]}
    posts, attempts = standin.counts(keys)
    acked = len(phase.acked)
    still_queued = sum(o["states"].get(s, 0) for s in ("queued", "sending", "retrying"))
    processed = c["by_status"].get(RawEventStatus.PROCESSED, 0)
    fives = sum(n for code, n in phase.statuses.items() if code >= 500)
    medians = {"ack": median_ms(phase.ack_latency), "process": median_ms(c["processing"]),
               "reply": median_ms(o["latency"])}

    def ratio(name: str) -> str:
        if not base or not base.get(name) or base[name] != base[name]:
            return ""
        return f" (x{medians[name] / base[name]:.2f} the baseline)"

    print(f"\n== {phase.name}: {seconds:.0f} s, {sent:,} deliveries, {sum(phase.statuses.values()):,} requests "
          f"with redeliveries, {phase.kills} worker kills")
    print(f"events:  acknowledged {acked:,}  stored {c['stored']:,}  processed {processed:,}  "
          f"unprocessable {c['by_status'].get(RawEventStatus.UNPROCESSABLE, 0):,}  "
          f"pending {c['by_status'].get(RawEventStatus.PENDING, 0):,}  "
          f"duplicated {c['inbound'] - c['distinct'] + max(0, c['distinct'] - c['stored']):,}  "
          f"lost {len(phase.acked - c['keys']):,}  (messages {c['inbound']:,})")
    print(f"replies: queued {len(o['rows']):,}  sent {o['states'].get('sent', 0):,}  "
          f"duplicated {sum(1 for n in posts.values() if n > 1):,}  uncertain {o['states'].get('uncertain', 0):,}  "
          f"failed {o['states'].get('failed', 0):,}  still queued {still_queued:,}  "
          f"| on the platform {sum(1 for n in posts.values() if n):,}, requests {sum(attempts.values()):,}, "
          f"resent after the platform stored it {sum(1 for k, n in attempts.items() if n > 1 and posts[k]):,}")
    print(f"faults:  5xx answers to webhooks {fives:,}  other refusals "
          f"{sum(n for code, n in phase.statuses.items() if 300 <= code < 500):,}  transport errors "
          f"{dict(phase.transport_errors) or 0}  injected on sends {dict(standin.injected)}")
    print(f"medians: acknowledgement {medians['ack']:.1f} ms{ratio('ack')}  event to processed "
          f"{medians['process']:.0f} ms{ratio('process')}  reply queued to sent {medians['reply']:.0f} ms"
          f"{ratio('reply')}")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=600, help="seconds of faults")
    parser.add_argument("--rate", type=float, default=40, help="new deliveries a second")
    parser.add_argument("--workers", type=int, default=2, help="compris worker processes (2 threads each)")
    parser.add_argument("--kill-every", type=float, default=20, help="seconds between SIGKILLs (0: none)")
    parser.add_argument("--lease", type=float, default=10, help="the workers' job lease, seconds")
    parser.add_argument("--redeliver", type=float, default=0.3, help="share of deliveries sent again")
    parser.add_argument("--fail-before", type=float, default=0.03)
    parser.add_argument("--fail-after", type=float, default=0.03)
    parser.add_argument("--late", type=float, default=0.005, help="share of sends answered after the timeout")
    parser.add_argument("--slow", type=float, default=0.05)
    parser.add_argument("--no-keys", action="store_true", help="the stand-in ignores idempotency keys")
    parser.add_argument("--baseline", type=float, default=60, help="seconds of the bare baseline (0: none)")
    parser.add_argument("--drain", type=float, default=300, help="seconds to wait for the backlog at most")
    parser.add_argument("--quick", action="store_true", help="30 s of faults at 4/s after a 10 s baseline")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.baseline, args.kill_every, args.drain = 30, 10, 8, 120
        args.rate = min(args.rate, 4)

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="compris-chaos-"))
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}; logs in {tmp}")
    standin = StandIn(honour_keys=not args.no_keys, seed=args.seed)
    platform_server = ServerThread(standin.app(), lifespan="off").start()
    url = create_database("compris_chaos")
    runtime: Runtime | None = None
    try:
        brand = setup_brand(url, platform_server.base, slug="chaos")
        from compris.config import Settings

        runtime = Runtime.create(Settings(database_url=url, secret_key=SECRET_KEY, workers=0, data_dir=tmp,
                                          triage_accurate="off"))
        db = runtime.db
        pool = WorkerPool(url, tmp, args.workers, args.lease)
        agent = Agent(runtime, brand.agent_id)
        with web_process(url, tmp) as base:
            webhook = f"{base}/webhooks/{brand.account_id}"
            pool.fill()
            time.sleep(3)
            agent.start()
            baseline: dict[str, float] | None = None
            outbox_mark = 0
            if args.baseline:
                phase = Phase("baseline (no faults)")
                started = time.monotonic()
                sent = load(phase, webhook, brand.webhook_secret, run="base", duration=args.baseline, rate=args.rate,
                            redeliver=0.0, pool=None, kill_every=0, rng=rng)
                drain(db, "base", len(phase.acked), args.drain)
                baseline = report(phase, sent, db, "base", standin, outbox_mark, None, time.monotonic() - started)
                outbox_mark = outbox_figures(db, 0)["last_id"]
            standin.faults = Faults(fail_before=args.fail_before, fail_after=args.fail_after, late=args.late,
                                    slow=args.slow)
            standin.injected.clear()
            phase = Phase("chaos")
            started = time.monotonic()
            sent = load(phase, webhook, brand.webhook_secret, run="chaos", duration=args.duration, rate=args.rate,
                        redeliver=args.redeliver, pool=pool, kill_every=args.kill_every, rng=rng)
            drain(db, "chaos", len(phase.acked), args.drain)
            agent.stopping.set()
            agent.join(10)
            agent.answer_new_messages()  # the last messages' replies...
            drain(db, "chaos", len(phase.acked), min(args.drain, 60))  # ... sent too
            report(phase, sent, db, "chaos", standin, outbox_mark, baseline, time.monotonic() - started)
            pool.stop()
    finally:
        if runtime is not None:
            if runtime.listener is not None:
                runtime.listener.stop()
                runtime.listener = None
            runtime.stop()
        platform_server.stop()
        drop_database(url)


if __name__ == "__main__":
    main()
