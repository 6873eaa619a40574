"""Bench of routing + SLA: per new case, and the scheduled SLA pass with 100,000 open cases.

    .venv/bin/python bench/routing.py [--db postgresql|sqlite] [--cases N] [--open 100000] [--json OUT]

PostgreSQL: a scratch database is created next to ``$COMPRIS_TEST_PG``
(default ``postgresql://postgres@127.0.0.1:5432/test``) and dropped afterwards.

1. **Per new case**: ``record_inbound`` of N customer messages from distinct customers (one transaction each),
   with a default team of 10 online agents (capacity 5: the team fills up and later cases queue), two routing
   rules and two SLA policies (one in Paris business hours). Reports the whole inbound write (triage included)
   and the routing + SLA part alone (the listeners of ``MessageReceived`` with orders 10 to 30: team, assignment
   with row locks, expected wait, SLA clocks and stored due times).
2. **The scheduled pass**: 100,000 open cases (each with a customer message and stored SLA fields, as the
   inbox leaves them) of which K are due; ``run_pass`` (one batch of up to 2,000, as the ``sla.pass`` job does)
   for K = 0, 100, 1,000, 2,000.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text, update

from compris import bus, migrate
from compris.connectors.base import Author, InboundMessage, Visibility
from compris.db import Database
from compris.events import MessageReceived
from compris.inbox import actions
from compris.kit.clock import now
from compris.live import Hub, Publisher
from compris.models import (
    AgentProfile,
    BusinessHours,
    Case,
    ChannelAccount,
    Contact,
    Message,
    RoutingRule,
    SlaPolicy,
    Team,
    TeamMember,
    User,
    Workspace,
)
from compris.routing import shifts
from compris.sla.clocks import run_pass

PG_ADMIN = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def setup_workspace(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        ws = Workspace(slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench", timezone="Europe/Paris")
        s.add(ws)
        s.flush()
        account = ChannelAccount(workspace_id=ws.id, network="sandbox", name="Bench", external_id="bench",
                                 settings={"api_base": "http://sandbox.invalid"})
        s.add(account)
        care = Team(workspace_id=ws.id, name="Care", is_default=True, timezone="Europe/Paris",
                    shifts={"weekly": {str(d): ["00:00-00:00"] for d in range(7)}})
        bags = Team(workspace_id=ws.id, name="Baggage", timezone="Europe/Paris", shifts={})
        s.add_all([care, bags])
        s.flush()
        s.add(RoutingRule(workspace_id=ws.id, position=1, team_id=bags.id,
                          conditions={"keywords": ["suitcase", "valise"], "networks": ["x"]}))
        s.add(RoutingRule(workspace_id=ws.id, position=2, team_id=care.id, conditions={"languages": ["fr"]}))
        office = BusinessHours(workspace_id=ws.id, name="Office", timezone="Europe/Paris",
                               hours=shifts.parse("mon-fri 09:00-17:00\nholiday 2026-12-25"))
        s.add(office)
        s.flush()
        s.add(SlaPolicy(workspace_id=ws.id, name="Complaints", position=1, intents=["complaint"],
                        first_response_s=600, next_response_s=1800, resolution_s=86400, warn_before_s=120))
        s.add(SlaPolicy(workspace_id=ws.id, name="Office", position=2, first_response_s=3600,
                        resolution_s=5 * 86400, warn_before_s=600, business_hours_id=office.id))
        for i in range(10):
            user = User(workspace_id=ws.id, email=f"agent{i}-{ws.slug}@bench.test", name=f"Agent {i}",
                        password_hash="x" * 40)
            s.add(user)
            s.flush()
            s.add(AgentProfile(workspace_id=ws.id, user_id=user.id, capacity=5, presence="online",
                               last_seen_at=now() + timedelta(days=1)))
            s.add(TeamMember(workspace_id=ws.id, team_id=care.id, user_id=user.id))
        return ws.id, account.id


def bench_new_cases(db: Database, publisher: Publisher, n: int) -> dict[str, Any]:
    _ws, account_id = setup_workspace(db)
    hook_times: list[float] = []
    started: list[float] = []

    def start(*_args: Any) -> None:  # before routing (order 10)
        started.append(time.perf_counter())

    def stop(*_args: Any) -> None:  # after the SLA (order 30)
        hook_times.append(time.perf_counter() - started.pop())

    texts = ["My suitcase never arrived, this is unacceptable", "Mon vol est annulé, que faire ?",
             "Can I change my seat?", "Thanks for the upgrade!"]
    totals: list[float] = []
    with bus.subscribed(MessageReceived, start, order=0), bus.subscribed(MessageReceived, stop, order=31):
        for i in range(n):
            t = time.perf_counter()
            with db.transaction() as s:
                account = s.get(ChannelAccount, account_id)
                assert account is not None
                actions.record_inbound(s, publisher, account, InboundMessage(
                    platform_message_id=f"m{i}", thread_key=f"dm-c{i}", visibility=Visibility.PRIVATE,
                    author=Author(platform_user_id=f"c{i}", handle=f"@c{i}"), text=texts[i % len(texts)],
                    created_at=now()))
            totals.append(time.perf_counter() - t)
    warm_hooks, warm_totals = hook_times[10:], totals[10:]
    return {
        "cases": n,
        "inbound_write_ms_median": round(statistics.median(warm_totals) * 1000, 2),
        "inbound_cases_per_s": round(len(warm_totals) / sum(warm_totals), 1),
        "routing_sla_ms_median": round(statistics.median(warm_hooks) * 1000, 2),
        "routing_sla_ms_p95": round(sorted(warm_hooks)[int(len(warm_hooks) * 0.95)] * 1000, 2),
        "routing_sla_cases_per_s": round(len(warm_hooks) / sum(warm_hooks), 1),
    }


def fill_open_cases(db: Database, open_cases: int) -> tuple[int, list[int]]:
    ws_id, account_id = setup_workspace(db)
    base = now()
    with db.transaction() as s:
        s.execute(update(Workspace).where(Workspace.id == ws_id).values(case_seq=open_cases))
        contacts = [{"workspace_id": ws_id, "display_name": f"C{i}", "created_at": base} for i in range(1000)]
        s.execute(insert(Contact), contacts)
        first_contact = s.scalar(text("SELECT min(id) FROM contacts WHERE workspace_id = :w"), {"w": ws_id})
        policy_id = s.scalar(text("SELECT min(id) FROM sla_policies WHERE workspace_id = :w"), {"w": ws_id})
        team_id = s.scalar(text("SELECT min(id) FROM teams WHERE workspace_id = :w AND is_default"), {"w": ws_id})
    ids: list[int] = []
    chunk = 5000
    for start in range(0, open_cases, chunk):
        rows = []
        for i in range(start, min(open_cases, start + chunk)):
            arrived = base - timedelta(seconds=i % 500)
            rows.append({
                "workspace_id": ws_id, "number": i + 1, "contact_id": first_contact + i % 1000, "status": "open",
                "subject": "x", "priority": 20, "triage": {"intent": "complaint"}, "last_channel_account_id":
                account_id, "preview": "x", "first_inbound_at": arrived, "last_inbound_at": arrived,
                "last_activity_at": arrived, "unread": True, "created_at": arrived, "sla_policy_id": policy_id,
                "sla_first_response_due": arrived + timedelta(minutes=10),
                "sla_resolution_due": arrived + timedelta(days=1),
                "sla_next_due_at": arrived + timedelta(minutes=10),
                "sla_check_at": base + timedelta(hours=1, seconds=i), "sla_status": "ok", "team_id": team_id,
                # 1 % answered in the last 3 hours: the team's throughput is known, so the pass predicts breaches
                # with the queue ahead (one aggregate query, then the team's queue)
                "first_response_at": base - timedelta(minutes=i % 180) if i % 100 == 0 else None,
            })
        with db.transaction() as s:
            new_ids = list(s.scalars(insert(Case).returning(Case.id), rows))
            s.execute(insert(Message), [
                {"workspace_id": ws_id, "case_id": cid, "channel_account_id": account_id, "direction": "inbound",
                 "visibility": "private", "text": "x", "attachments": [], "sent_at": base, "triage": {},
                 "platform_extra": {}, "promoted": False, "reshares": 0, "created_at": base - timedelta(minutes=5)}
                for cid in new_ids])
        ids += new_ids
    with db.transaction() as s:
        if db.dialect == "postgresql":
            s.execute(text("ANALYZE cases"))
            s.execute(text("ANALYZE messages"))
            s.execute(text("ANALYZE case_events"))
    return ws_id, ids


def bench_pass(db: Database, publisher: Publisher, open_cases: int, repeats: int = 3) -> dict[str, Any]:
    _ws, ids = fill_open_cases(db, open_cases)
    results: dict[str, Any] = {"open_cases": open_cases}
    for due in (0, 100, 1000, 2000):
        times = []
        for _ in range(repeats):
            with db.transaction() as s:  # make ``due`` cases due (the rest stay an hour away)
                s.execute(update(Case).where(Case.id.in_(ids[:due])).values(sla_check_at=now() - timedelta(seconds=1),
                                                                            sla_status="ok"))
            t = time.perf_counter()
            with db.transaction() as s:
                result = run_pass(s, publisher)
            times.append(time.perf_counter() - t)
            assert result.checked == due, (result, due)
        results[f"pass_s_due_{due}"] = round(statistics.median(times), 3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    name = f"compris_bench_{uuid.uuid4().hex[:6]}"
    if args.db == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    try:
        migrate.upgrade(db.engine)
        publisher = Publisher(Hub(), use_notify=db.dialect == "postgresql")
        report: dict[str, Any] = {
            "database": db.dialect,
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        report["new_cases"] = bench_new_cases(db, publisher, args.cases)
        print(json.dumps(report, indent=2), flush=True)
        report["scheduled_pass"] = bench_pass(db, publisher, args.open)
        print(json.dumps(report["scheduled_pass"], indent=2))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    finally:
        db.dispose()
        if args.db == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
