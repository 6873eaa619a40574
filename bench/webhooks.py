"""Webhook acknowledgements per second: verify + durable insert + 200, through a real HTTP server.

    .venv/bin/python bench/webhooks.py [--requests 2000] [--concurrency 16] [--runs 3] [--db sqlite|postgresql]

Starts `compris serve` (workers off, so only the acknowledgement path is measured) on a free loopback port,
sends signed sandbox deliveries from a thread pool, prints the median rate of several runs and the latency
percentiles. Traffic goes only to 127.0.0.1; the run is bounded in count and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from compris.connectors.sandbox import sign

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py, also when loaded from its file
import common

SECRET = "bench-secret-key-0123456789abcdef"
PG_ADMIN = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def prepare(url: str, data_dir: Path) -> tuple[int, str]:
    from compris import migrate
    from compris.accounts import actions as accounts
    from compris.channels.actions import create_account
    from compris.db import Database

    db = Database(url)
    migrate.upgrade(db.engine)
    with db.transaction() as s:
        ws = accounts.create_workspace(s, slug="bench", name="Bench")
        account = create_account(
            s,
            SECRET,
            workspace_id=ws.id,
            network="sandbox",
            name="bench",
            external_id="brand",
            settings={"api_base": "http://127.0.0.1:9"},
            secrets={"webhook_secret": "whsec", "api_token": "tok"},
        )
        account_id = account.id
    db.dispose()
    return account_id, "whsec"


def body(n: int) -> bytes:
    mid = uuid.uuid4().hex
    return json.dumps(
        {
            "event_id": f"e-{mid}",
            "type": "message",
            "data": {
                "id": mid,
                "kind": "post",
                "thread_id": f"t-{n % 50}",
                "text": f"Where is my parcel {n}?",
                "author": {"id": f"c{n % 500}", "name": "Bench"},
                "created_at": datetime.now(UTC).isoformat(),
            },
        }
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="compris-bench-"))
    dbname = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        dbname = f"compris_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname
    account_id, secret = prepare(url, tmp)
    port = common.free_port()
    env = dict(
        os.environ, COMPRIS_DATABASE_URL=url, COMPRIS_SECRET_KEY=SECRET, COMPRIS_WORKERS="0", COMPRIS_DATA_DIR=str(tmp)
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "compris", "serve", "--port", str(port), "--workers", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}/webhooks/{account_id}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        rates: list[float] = []
        latencies: list[float] = []
        with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=args.concurrency)) as client:

            def one(n: int) -> float:
                raw = body(n)
                started = time.perf_counter()
                r = client.post(
                    endpoint,
                    content=raw,
                    headers={"content-type": "application/json", "x-sandbox-signature": sign(secret, raw)},
                )
                assert r.status_code == 200, r.text
                return time.perf_counter() - started

            for run in range(args.runs):
                started = time.perf_counter()
                with ThreadPoolExecutor(args.concurrency) as pool:
                    run_lat = list(pool.map(one, range(run * args.requests, (run + 1) * args.requests)))
                elapsed = time.perf_counter() - started
                rates.append(args.requests / elapsed)
                latencies.extend(run_lat)
                print(f"run {run + 1}: {args.requests / elapsed:,.0f} acks/s")
        latencies.sort()
        p = lambda q: latencies[int(q * (len(latencies) - 1))] * 1000  # noqa: E731
        print(
            f"{args.db}: median {statistics.median(rates):,.0f} acknowledged webhooks/s over {args.runs} runs of "
            f"{args.requests} (concurrency {args.concurrency}); latency p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, "
            f"p99 {p(0.99):.1f} ms"
        )
    finally:
        server.terminate()
        server.wait(10)
        if dbname:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
