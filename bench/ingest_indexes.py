"""What every inbound message reads on ``cases``, with and without the indexes of migration ``o0_ingest_indexes``.

Issue 22: with 2,000,000 cases, ingest collapsed to about 2 messages/s per worker thread because the expected wait's
samples and the SLA forecast read time windows of ``cases`` with no index behind them. This bench builds a
PostgreSQL database of its own (migrated: the real schema), fills ``cases`` server-side (``generate_series``; foreign
keys off for the loading session) with ``--cases`` cases over as many minutes, the last 1 % open, then times each
query as the code runs it (``compris.sla.wait``, ``compris.sla.clocks.load_forecast``) with the indexes and, in a
transaction rolled back, without them. Baseline: a primary-key look-up of one case. Prints medians of ``--repeats``
runs and the ratio to the baseline.

    .venv/bin/python bench/ingest_indexes.py --cases 500000 --repeats 15
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import psycopg

from compris import migrate
from compris.db import Database

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
INDEXES = ["ix_cases_ws_first_response", "ix_cases_account_first_response", "ix_cases_team_first_response",
           "ix_cases_unanswered", "ix_cases_team_first_due"]

#: the per-message reads, as compris.sla.wait and compris.sla.clocks issue them
QUERIES = {
    "SLA forecast: teams' throughput (4 h)":
        "SELECT team_id, count(*) FROM cases WHERE team_id IN (1, 2) AND first_response_at > now() - interval '4 "
        "hours' AND first_response_at <= now() GROUP BY team_id",
    "SLA forecast: a team's queue":
        "SELECT sla_first_response_due FROM cases WHERE team_id = 1 AND sla_first_response_due IS NOT NULL AND "
        "sla_first_response_due < now() + interval '2 hours' AND status IN ('new', 'open') "
        "ORDER BY sla_first_response_due LIMIT 200",
    "expected wait: queue ahead (account)":
        "SELECT count(*) FROM cases WHERE workspace_id = 1 AND last_channel_account_id = 3 AND status IN ('new', "
        "'open') AND first_response_at IS NULL",
    "expected wait: handle times (workspace)":
        "SELECT assignee_id, first_inbound_at, first_response_at FROM cases WHERE workspace_id = 1 AND "
        "first_response_at >= now() - interval '28 days' AND first_response_at <= now() AND assignee_id IS NOT "
        "NULL AND first_inbound_at IS NOT NULL ORDER BY first_response_at DESC LIMIT 500",
    "expected wait: first responses (account)":
        "SELECT first_inbound_at, first_response_at FROM cases WHERE workspace_id = 1 AND last_channel_account_id "
        "= 3 AND first_response_at >= now() - interval '28 days' AND first_response_at <= now() AND "
        "first_inbound_at IS NOT NULL ORDER BY first_response_at DESC LIMIT 500",
}
BASELINE = "SELECT id, status FROM cases WHERE id = 4242"


def load(url: str, cases: int) -> float:
    start = time.perf_counter()
    open_from, answered_to = cases - cases // 100, cases - cases // 160
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # the generator writes consistent ids itself
        conn.execute(f"""
            INSERT INTO cases (number, contact_id, status, subject, priority, triage, preview, last_activity_at,
                unread, workspace_id, created_at, team_id, last_channel_account_id, first_inbound_at,
                first_response_at, assignee_id, sla_first_response_due, priority_info)
            SELECT g, g % 50000 + 1, CASE WHEN g > {open_from} THEN 'open' ELSE 'resolved' END, 'subject', 0, '{{}}',
                '', now(), false, 1 + (g % 4 = 0)::int, now() - (({cases} - g) * interval '1 minute'), g % 8 + 1,
                g % 12 + 1, now() - (({cases} - g) * interval '1 minute'),
                CASE WHEN g > {answered_to} THEN NULL
                     ELSE now() - (({cases} - g) * interval '1 minute') + interval '20 minutes' END,
                g % 40 + 1, CASE WHEN g > {open_from} THEN now() + interval '1 hour' END, '{{}}'
            FROM generate_series(1, {cases}) g""")
        conn.execute("VACUUM ANALYZE cases")
    return time.perf_counter() - start


def timed(conn: psycopg.Connection, sql: str, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        conn.execute(sql).fetchall()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    name = f"compris_bench_ingest_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        db = Database(url)
        migrate.upgrade(db.engine)
        db.dispose()
        print(f"{args.cases:,} cases loaded in {load(url, args.cases):.1f} s")
        with psycopg.connect(url) as conn:
            base = timed(conn, BASELINE, args.repeats)
            with_idx = {label: timed(conn, sql, args.repeats) for label, sql in QUERIES.items()}
            for index in INDEXES:
                conn.execute(f"DROP INDEX {index}")  # inside the transaction, rolled back below
            without = {label: timed(conn, sql, args.repeats) for label, sql in QUERIES.items()}
            conn.rollback()
        print(f"baseline (primary-key look-up): {base:.3f} ms (median of {args.repeats})")
        print(f"{'query':44} {'indexed ms':>11} {'x base':>8} {'no index ms':>12} {'x base':>8}")
        for label in QUERIES:
            print(f"{label:44} {with_idx[label]:11.3f} {with_idx[label] / base:8.1f} {without[label]:12.1f} "
                  f"{without[label] / base:8.0f}")
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
