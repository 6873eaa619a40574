"""Ingest end to end: signed webhook deliveries → messages and cases committed by the workers (issue 22).

    .venv/bin/python bench/ingest.py --db postgresql [--messages 3000] [--worker-processes 2] [--threads 2]
    .venv/bin/python bench/ingest.py --db sqlite [--messages 3000] [--threads 2]
    .venv/bin/python bench/ingest.py --db postgresql --history 2000000   # the same on a database with a history
    .venv/bin/python bench/ingest.py --db postgresql --web-processes 2 --worker-processes 2   # scaled out

Compris runs as deployed: on PostgreSQL ``compris serve --workers 0`` (acknowledgements only) and
``--worker-processes`` ``compris worker`` processes, behind ``--web-processes`` web processes (the client spreads
the deliveries over them round robin, as a load balancer would); on SQLite one ``compris serve`` process with its
worker threads.
The traffic (``--concurrency`` client threads, as fast as Compris acknowledges): a mix of new customers opening
cases (public posts and DMs), follow-ups by customers already known (the same thread, or a DM on an open case),
and 10 % redeliveries of a delivery already sent (the same event id: acknowledged, stored once). The figure is the
**end-to-end rate**: distinct events divided by the time from the first delivery to the last event processed (a
message and its case committed); with the **lag** of each event (processed − received) at p50/p99. Beside it, the
**bare baseline**: a minimal Starlette app served by the same uvicorn, one ``INSERT`` and a commit per POST into
the same database engine, under the same client — the most a process can store per second here. ``--history N``
first loads N cases server-side (as ``bench/ingest_indexes.py`` does) so that the rate with and without a history
can be compared. The accurate triage re-scoring is off (it runs on the background lane, after the message is
committed, and would take the CPU the ingest is measured on). Only 127.0.0.1 is used; the run stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from compris.connectors.sandbox import sign

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py, also when loaded from its file
import common

SECRET = "bench-secret-key-0123456789abcdef"
PG_ADMIN = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
WEBHOOK_SECRET = "whsec"


# --- the bare baseline: one INSERT and a commit per POST ------------------------------------------------------

def bare_app(url: str) -> Any:
    """A Starlette app storing each POST's body in one row (its own connection per thread, a commit per row)."""
    import sqlite3
    import threading

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    local = threading.local()
    sqlite_path = url.removeprefix("sqlite:///") if url.startswith("sqlite") else None

    def connection() -> Any:
        conn = getattr(local, "conn", None)
        if conn is None:
            if sqlite_path:
                conn = sqlite3.connect(sqlite_path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            else:
                conn = psycopg.connect(url)
            local.conn = conn
        return conn

    def store(body: bytes) -> None:
        conn = connection()
        if sqlite_path:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bare (body) VALUES (?)", (body,))
            conn.execute("COMMIT")
        else:
            conn.execute("INSERT INTO bare (body) VALUES (%s)", (body,))
            conn.commit()

    async def endpoint(request: Request) -> PlainTextResponse:
        from starlette.concurrency import run_in_threadpool

        body = await request.body()
        await run_in_threadpool(store, body)
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/bare", endpoint, methods=["POST"])])


def serve_bare(url: str, port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(url), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- Compris ---------------------------------------------------------------------------------------------------

def prepare(url: str) -> int:
    from compris import migrate
    from compris.accounts import actions as accounts
    from compris.channels.actions import create_account
    from compris.db import Database

    db = Database(url)
    migrate.upgrade(db.engine)
    with db.transaction() as s:
        ws = accounts.create_workspace(s, slug="bench", name="Bench")
        account = create_account(s, SECRET, workspace_id=ws.id, network="sandbox", name="bench", external_id="brand",
                                 settings={"api_base": "http://127.0.0.1:9"},
                                 secrets={"webhook_secret": WEBHOOK_SECRET, "api_token": "tok"})
        account_id = int(account.id)
    db.dispose()
    return account_id


def load_history(url: str, cases: int) -> float:
    """``cases`` resolved cases (and their contacts' ids) written server-side, foreign keys off for the session."""
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"""
            INSERT INTO cases (number, contact_id, status, subject, priority, triage, preview, last_activity_at,
                unread, workspace_id, created_at, last_channel_account_id, first_inbound_at, first_response_at,
                priority_info)
            SELECT 1000000 + g, 1000000 + g % 50000, 'resolved', 'history', 0, '{{}}', '', now(), false, 1,
                now() - (({cases} - g) * interval '1 minute'), 1, now() - (({cases} - g) * interval '1 minute'),
                now() - (({cases} - g) * interval '1 minute') + interval '20 minutes', '{{}}'
            FROM generate_series(1, {cases}) g""")
        conn.execute("VACUUM ANALYZE cases")
    return time.perf_counter() - start


def deliveries(n: int, run: str, rng: random.Random) -> list[bytes]:
    """``n`` deliveries: 45 % new customers, 45 % follow-ups of known ones, 10 % redeliveries."""
    out: list[bytes] = []
    known: list[tuple[str, str, str]] = []  # (customer, kind, thread)
    for i in range(n):
        draw = rng.random()
        if draw < 0.10 and out:
            out.append(rng.choice(out))  # the same delivery again (the platform retried it)
            continue
        if draw < 0.55 or not known:
            customer = f"{run}-c{i}"
            kind = "dm" if rng.random() < 0.4 else "post"
            thread = f"dm-{customer}" if kind == "dm" else f"post-{run}-{i}"
            known.append((customer, kind, thread))
        else:
            customer, kind, thread = rng.choice(known)
        mid = f"{run}-m{i}"
        text = rng.choice(["Where is my parcel? Ordered two weeks ago, nothing received.",
                           "Mon vol AF1234 est annulé, je suis bloqué à l'aéroport, que faire ?",
                           "Thanks for the quick answer!", "Any news about my refund?",
                           "Toujours pas de réponse à mon e-mail d'hier..."])
        data = {"id": mid, "kind": kind, "thread_id": thread, "text": f"{text} ({i})",
                "author": {"id": customer, "handle": f"@{customer}", "name": f"Customer {customer}"},
                "created_at": datetime.now(UTC).isoformat()}
        out.append(json.dumps({"event_id": f"evt-{mid}", "type": "message", "data": data}).encode())
    return out


def wait_http(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def post_all(endpoints: list[str], bodies: list[bytes], concurrency: int, headers: Any) -> tuple[float, list[float]]:
    """POST every body from ``concurrency`` threads, the k-th to ``endpoints[k % len(endpoints)]`` (round robin, as a
    load balancer in front of several web processes would); (seconds, latencies)."""
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        def one(item: tuple[int, bytes]) -> float:
            k, raw = item
            started = time.perf_counter()
            r = client.post(endpoints[k % len(endpoints)], content=raw, headers=headers(raw))
            assert r.status_code == 200, r.text
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, enumerate(bodies)))
        return time.perf_counter() - started, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def run_compris(args: argparse.Namespace, url: str, tmp: Path, run: int, account_id: int) -> dict[str, float]:
    ports = [common.free_port() for _ in range(args.web_processes)]
    env = dict(os.environ, COMPRIS_DATABASE_URL=url, COMPRIS_SECRET_KEY=SECRET, COMPRIS_DATA_DIR=str(tmp),
               COMPRIS_TRIAGE_ACCURATE="off", COMPRIS_SANDBOX="0",
               OMP_NUM_THREADS="1")
    sqlite = url.startswith("sqlite")
    web_workers = args.threads if sqlite else 0
    procs = [subprocess.Popen([sys.executable, "-m", "compris", "serve", "--port", str(port), "--workers",
                               str(web_workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for port in ports]
    if not sqlite:
        procs += [subprocess.Popen([sys.executable, "-m", "compris", "worker", "--threads", str(args.threads)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for _ in range(args.worker_processes)]
    from sqlalchemy import func, select

    from compris.db import Database
    from compris.models import RawEvent, RawEventStatus

    db = Database(url)
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/login")
        time.sleep(3)  # the workers' imports
        bodies = deliveries(args.messages, f"r{run}", random.Random(run))
        distinct = len(set(bodies))
        with db.transaction() as s:
            before = int(s.scalar(select(func.count()).select_from(RawEvent)) or 0)
        endpoints = [f"http://127.0.0.1:{port}/webhooks/{account_id}" for port in ports]
        started = time.perf_counter()
        ack_seconds, latencies = post_all(
            endpoints, bodies, args.concurrency,
            lambda raw: {"content-type": "application/json", "x-sandbox-signature": sign(WEBHOOK_SECRET, raw)})
        deadline = time.monotonic() + args.timeout
        while True:
            with db.transaction() as s:
                pending = int(s.scalar(select(func.count()).select_from(RawEvent)
                                       .where(RawEvent.status == RawEventStatus.PENDING)) or 0)
            if pending == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{pending} events still pending after {args.timeout} s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        with db.transaction() as s:
            rows = s.execute(select(RawEvent.created_at, RawEvent.processed_at, RawEvent.status)
                             .order_by(RawEvent.id).offset(before)).all()
        assert len(rows) == distinct, (len(rows), distinct)
        failed = sum(1 for *_, status in rows if status != RawEventStatus.PROCESSED)
        lags = [(p - c).total_seconds() for c, p, _ in rows if p is not None and c is not None]
        return {"rate": distinct / elapsed, "ack_rate": len(bodies) / ack_seconds, "distinct": distinct,
                "failed": failed, "lag_p50": pct(lags, 0.5), "lag_p99": pct(lags, 0.99),
                "ack_p99": pct(latencies, 0.99) * 1000}
    finally:
        db.dispose()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def run_bare(args: argparse.Namespace, url: str) -> float:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY, body BLOB)")
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bare (id bigserial PRIMARY KEY, body bytea)")
    ports = [common.free_port() for _ in range(args.web_processes)]
    procs = [subprocess.Popen([sys.executable, __file__, "--bare-server", url, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/")
        bodies = deliveries(args.messages, f"bare{uuid.uuid4().hex[:4]}", random.Random(7))
        seconds, _ = post_all([f"http://127.0.0.1:{port}/bare" for port in ports], bodies, args.concurrency,
                              lambda raw: {"content-type": "application/json"})
        return len(bodies) / seconds
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="worker threads per process")
    parser.add_argument("--worker-processes", type=int, default=2, help="compris worker processes (PostgreSQL)")
    parser.add_argument("--web-processes", type=int, default=1,
                        help="compris serve processes taking the webhooks, the client spreading them round robin "
                             "(PostgreSQL; the bare baseline gets as many)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--history", type=int, default=0, help="cases loaded first (PostgreSQL)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--bare-server", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.db == "sqlite" and args.web_processes != 1:
        parser.error("--web-processes: SQLite runs in one process")
    if args.bare_server:
        serve_bare(args.bare_server, args.port)
        return

    tmp = Path(tempfile.mkdtemp(prefix="compris-ingest-"))
    dbname = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        dbname = f"compris_ingest_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname
    try:
        account_id = prepare(url)
        if args.history and args.db == "postgresql":
            print(f"history: {args.history:,} cases loaded in {load_history(url, args.history):.1f} s")
        results = []
        for run in range(args.runs):
            results.append(run_compris(args, url, tmp, run, account_id))
            print(f"run {run + 1}: " + ", ".join(f"{k} {v:,.2f}" for k, v in results[-1].items()))
        bare = statistics.median(run_bare(args, url) for _ in range(args.runs))
        rate = statistics.median(r["rate"] for r in results)
        setup = (f"{args.web_processes} web processes, {args.worker_processes} worker processes × {args.threads} "
                 "threads" if args.db == "postgresql"
                 else f"one process, {args.threads} worker threads")
        print(f"{args.db} ({setup}, history {args.history:,} cases): end to end median {rate:,.0f} messages/s "
              f"over {args.runs} runs of {args.messages:,} deliveries (10 % redeliveries); "
              f"lag p50 {statistics.median(r['lag_p50'] for r in results):.2f} s, "
              f"p99 {statistics.median(r['lag_p99'] for r in results):.2f} s; "
              f"acknowledged {statistics.median(r['ack_rate'] for r in results):,.0f}/s "
              f"(p99 {statistics.median(r['ack_p99'] for r in results):.0f} ms)")
        print(f"bare baseline (one INSERT + commit per POST): {bare:,.0f}/s; end to end = {rate / bare:.1%} of it")
    finally:
        if dbname:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
