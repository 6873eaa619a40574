"""What linking new messages to open incidents costs ingestion: the time to store one customer message (the inbound
action with every listener: triage, routing, SLA, listening...) with the incidents' listener, against a bare
baseline where that listener does nothing.

    PYTHONPATH=src .venv/bin/python bench/incidents.py [--messages 200] [--rounds 5] [--incidents 5]
        [--database sqlite|postgresql]

Three setups, run in interleaved rounds on one database (a fresh SQLite file, or a database the bench creates on
the PostgreSQL cluster at COMPRIS_TEST_PG and drops at the end):
- ``baseline``: the incidents' listener replaced by a no-op;
- ``none open``: the listener, no open incident (the common case: one small indexed query per transaction);
- ``N open``: the listener with ``--incidents`` open incidents of 10 keywords each (one in crisis mode), a tenth of
  the messages matching one of them.
Prints each setup's median time per message (over rounds of ``--messages`` messages, one transaction each) and its
ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compris import migrate
from compris.accounts import actions as accounts
from compris.channels.actions import create_account
from compris.config import Settings
from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox import actions as inbox
from compris.listening import incidents
from compris.models import ChannelAccount, User
from compris.runtime import Runtime

WORDS = ["retard", "bagage", "remboursement", "annulé", "colis", "livraison", "delay", "refund", "parcel", "seat"]


def _message(i: int, matching: bool) -> InboundMessage:
    text = (f"Mon vol AF{1000 + i % 7} est annulé, que faire ?" if matching
            else f"Bonjour, une question sur ma réservation {i} et le siège {i % 30}, merci d'avance")
    author = f"c{i}"
    return InboundMessage(platform_message_id=uuid.uuid4().hex, thread_key=f"dm-{author}",
                          visibility=Visibility.PRIVATE, author=Author(platform_user_id=author, handle=f"@{author}",
                                                                       name=f"Client {i}"),
                          text=text, created_at=datetime.now(UTC))


def _round(runtime: Runtime, account_id: int, n: int, offset: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        with runtime.db.transaction() as session:
            account = session.get(ChannelAccount, account_id)
            assert account is not None
            inbox.record_inbound(session, runtime.publisher, account, _message(offset + i, i % 10 == 0))
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--incidents", type=int, default=5)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-incidents-"))
    pg_name = None
    if args.database == "postgresql":
        import psycopg

        admin = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
        pg_name = f"bench_incidents_{os.getpid()}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = admin.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    settings = Settings(data_dir=tmp, database_url=url, secret_key="bench-secret-key-long-enough-0123456789",
                        workers=0, sandbox=False, base_url="http://127.0.0.1", password_hash_cost="minimal",
                        triage_accurate="off")
    runtime = Runtime.create(settings)
    try:
        migrate.upgrade(runtime.db.engine)
        with runtime.db.transaction() as session:
            ws = accounts.create_workspace(session, slug="bench", name="Bench")
            boss = accounts.create_user(session, workspace=ws, email="boss@bench.test", name="Boss",
                                        password="correct horse battery", role="supervisor")
            account = create_account(session, settings.secret_key, workspace_id=ws.id, network="sandbox",
                                     name="Bench", external_id="bench", settings={"api_base": "http://x.invalid"},
                                     secrets={"webhook_secret": "w", "api_token": "t"})
            account_id, boss_id = account.id, boss.id
        real = incidents.auto_link

        def with_boss(fn: Any) -> None:
            with runtime.db.transaction() as session:
                actor = session.get(User, boss_id)
                assert actor is not None
                fn(session, actor)

        def open_all(session: Any, actor: User) -> None:
            rows = session.query(incidents.Incident).order_by(incidents.Incident.id).all()
            if not rows:
                for k in range(args.incidents):
                    words = [f"{w}{k}" for w in WORDS] if k else ["AF1003", *WORDS[1:]]
                    rows.append(incidents.open_incident(session, runtime.publisher, actor=actor, name=f"I{k}",
                                                        match={"keywords": words}))
            else:
                for inc in rows:
                    incidents.reopen(session, runtime.publisher, actor=actor, incident=inc)
            incidents.set_crisis(session, runtime.publisher, actor=actor, incident=rows[0], on=True, priority=20)

        def resolve_all(session: Any, actor: User) -> None:
            for inc in session.query(incidents.Incident).all():
                if inc.status != "resolved":
                    incidents.resolve(session, runtime.publisher, actor=actor, incident=inc)

        names = ["baseline", "none open", f"{args.incidents} open"]
        times: dict[str, list[float]] = {n: [] for n in names}
        offset = 0
        _round(runtime, account_id, 20, 10_000_000)  # warm-up
        for _ in range(args.rounds):
            for name in names:
                incidents.auto_link = real if name != "baseline" else (lambda *a, **k: [])  # type: ignore[assignment]
                if name == names[2]:
                    with_boss(open_all)
                times[name].append(_round(runtime, account_id, args.messages, offset))
                offset += args.messages
                if name == names[2]:
                    with_boss(resolve_all)
        incidents.auto_link = real
        base = statistics.median(times["baseline"])
        print(f"{args.database}, {args.messages} messages x {args.rounds} rounds, one transaction each")
        for name in names:
            median = statistics.median(times[name])
            print(f"  {name:>10}: {median * 1000:7.2f} ms per message  (x{median / base:.3f} of baseline)")
    finally:
        runtime.stop()
        runtime.db.dispose()
        if pg_name is not None:
            import psycopg

            admin = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

