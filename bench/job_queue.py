"""Customer-facing work behind a burst of background work (issue 22, item 2; issue 20 "accurate path cost").

    .venv/bin/python bench/job_queue.py [--burst 300] [--runs 3] [--workers 2] [--db sqlite|postgresql]

One process as `compris serve` runs it (uvicorn on a loopback port, the sandbox network mounted as the stand-in
platform, `--workers` job threads): `--burst` signed webhooks arrive at once with `COMPRIS_TRIAGE_ACCURATE=all`,
so that each message queues a real accurate re-scoring (`triage.refine`, the sentence encoder: tens of
milliseconds of CPU each); once they are stored, an agent's reply is queued, and the time until the platform has
it (outbox `sent`) is measured. Three set-ups, each `--runs` times on a fresh database:

- **baseline**: the same reply with nothing queued;
- **lanes** (the default): `COMPRIS_BACKGROUND_WORKERS=1`, the re-scoring on a lane of its own;
- **one queue**: `COMPRIS_BACKGROUND_WORKERS=0`, every job in one first-in-first-out queue (as before).

Prints the median time to sent of each and its ratio to the baseline, and how many re-scorings were still
queued when the reply went out. Target: lanes within a second of the baseline. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import uvicorn
from sqlalchemy import func, select

from compris import migrate
from compris.accounts import actions as accounts
from compris.channels.actions import create_account
from compris.config import Settings
from compris.inbox.actions.outbox import queue_outbound
from compris.models import Case, Job, JobStatus, Message, Outbox, RawEvent
from compris.models.pipeline import RawEventStatus
from compris.runtime import Runtime
from compris.triage.refine import REFINE_TRIAGE
from compris.web.app import create_app

SECRET = "bench-secret-key-0123456789abcdef"
PG_ADMIN = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BRAND = "brand-queue-bench"
WEBHOOK_SECRET = "whsec-queue-bench"
TEXTS = ["My flight was cancelled and nobody answers the phone", "Où est ma valise ? Toujours rien depuis 3 jours",
         "Charged twice for the same booking, please fix it", "Merci pour votre aide hier, très efficace",
         "Is the lounge open at 5am in terminal 2?", "Livraison prévue il y a un mois, rien reçu"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Result:
    seconds: float
    refines_waiting: int


def _database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'queue-{uuid.uuid4().hex[:6]}.db'}", None
    name = f"compris_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def _drop(name: str | None) -> None:
    if name:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _simulate(client: httpx.Client, n: int) -> None:
    """A customer writes to the brand on the sandbox network, which delivers the signed webhook to Compris."""
    answer = client.post("/sandbox-network/api/simulate", json={
        "brand": BRAND, "kind": "dm", "text": f"{TEXTS[n % len(TEXTS)]} ({n})",
        "author": {"id": f"c{n}", "handle": f"@c{n}", "name": f"Customer {n}", "followers": 10, "verified": False}})
    answer.raise_for_status()


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.005)


def one_run(kind: str, tmp: Path, *, burst: int, workers: int, background: int) -> Result:
    url, name = _database(kind, tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp, database_url=url, secret_key=SECRET, workers=workers, sandbox=True,
                        base_url=base, background_workers=background, triage_accurate="all",
                        password_hash_cost="minimal")
    runtime = Runtime.create(settings)
    migrate.upgrade(runtime.db.engine)
    with runtime.db.transaction() as session:
        workspace = accounts.create_workspace(session, slug="bench", name="Bench")
        create_account(session, SECRET, workspace_id=workspace.id, network="sandbox", name="Bench",
                                 external_id=BRAND, settings={"api_base": f"{base}/sandbox-network"},
                                 secrets={"webhook_secret": WEBHOOK_SECRET, "api_token": "tok-bench"})
    app = create_app(settings, runtime, workers=workers)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait(lambda: server.started, 30, "uvicorn did not start")
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            _simulate(client, 0)

            def stored(count: int) -> bool:
                with runtime.db.transaction() as session:
                    return (session.scalar(select(func.count()).select_from(Message)) or 0) >= count and not \
                        session.scalar(select(func.count()).select_from(RawEvent)
                                       .where(RawEvent.status == RawEventStatus.PENDING))

            def refines_queued() -> int:
                with runtime.db.transaction() as session:
                    return session.scalar(select(func.count()).select_from(Job).where(
                        Job.kind == REFINE_TRIAGE, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))) or 0

            _wait(lambda: stored(1) and refines_queued() == 0, 120, "the first message and its re-scoring")
            for n in range(1, burst + 1):  # the burst (a wave of complaints)
                _simulate(client, n)
            _wait(lambda: stored(burst + 1), 300, "the burst was not stored")
            with runtime.db.transaction() as session:
                case = session.scalars(select(Case).order_by(Case.id)).first()
                assert case is not None
                message = queue_outbound(session, runtime.publisher, case=case, text="Sorry, rebooking you now",
                                         visibility="private")
                message_id = message.id
            start = time.perf_counter()

            def sent() -> bool:
                with runtime.db.transaction() as session:
                    return session.scalar(select(Outbox.state).where(Outbox.message_id == message_id)) == "sent"

            try:
                _wait(sent, 1800, "the reply was never sent")
            except TimeoutError:
                with runtime.db.transaction() as session:
                    row = session.scalars(select(Outbox).where(Outbox.message_id == message_id)).one()
                    raise TimeoutError(f"the reply was never sent: {row.state} {row.last_error}") from None
            seconds = time.perf_counter() - start
            return Result(seconds, refines_queued())
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        runtime.stop()
        runtime.db.dispose()
        _drop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--skip-one-queue", action="store_true", help="only the baseline and the lanes")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="compris-queue-bench-"))
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}; db={args.db} burst={args.burst} workers={args.workers}")
    setups = {"baseline (nothing queued)": (0, 1), "lanes (background workers 1)": (args.burst, 1),
              "one queue (background workers 0)": (args.burst, 0)}
    if args.skip_one_queue:  # it waits for the whole burst: minutes on a loaded machine
        del setups["one queue (background workers 0)"]
    medians: dict[str, float] = {}
    for label, (burst, background) in setups.items():
        results = [one_run(args.db, tmp, burst=burst, workers=args.workers, background=background)
                   for _ in range(args.runs)]
        times = [r.seconds for r in results]
        medians[label] = statistics.median(times)
        waiting = statistics.median(r.refines_waiting for r in results)
        print(f"{label:34} reply sent after median {medians[label]:7.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in times)}); re-scorings still queued: {waiting:.0f}")
    base = medians["baseline (nothing queued)"]
    for label, value in medians.items():
        print(f"{label:34} {value / base:6.1f}x the baseline, {value - base:+.3f} s")


if __name__ == "__main__":
    main()
