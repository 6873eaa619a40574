"""Bench of analytics at scale: rollup rebuild, every figure over periods up to a year, and the upkeep under ingest.

    .venv/bin/python bench/analytics.py [--cases 2000000] [--messages 10000000] [--days 400] [--repeats 5]
                                        [--keep] [--reuse] [--rebuild-only] [--profile OUT] [--db-name NAME]
                                        [--statements] [--json OUT]

PostgreSQL only. The database ``compris_bench_analytics`` is created next to ``$COMPRIS_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``), migrated to the real schema, and dropped afterwards (``--keep``
keeps it; ``--reuse`` times a kept one again without rebuilding it; ``--rebuild-only`` times the rebuild alone —
with ``--reuse``, the kept data set's rebuild again —, ``--profile`` writes a cProfile of it, ``--db-name`` names
another database).

1. **Data set** — one workspace (Europe/Paris) with 12 channel accounts on 8 networks, 4 teams, 40 agents and
   an SLA policy; ``--cases`` cases over ``--days`` days (daytime and weekday peaks) holding ``--messages``
   messages between them (customer messages, agents' replies, the odd automatic acknowledgement), the timeline
   rows the measures read (routed, assigned, reassigned, status changes, resolutions, reopenings), surveys,
   SLA breaches and escalations; the agents' time online (shifts, five days a week: a row per agent and
   minute, about 5,000,000); what some figures read live (an expected wait per case, guard findings on one
   answered case in six, tags on a third of the cases). Written by ``COPY`` into the migrated tables (foreign-key
   triggers off for the loading session: the generator writes consistent ids), then ``VACUUM ANALYZE`` (as
   autovacuum would).
2. **Rebuild** — ``compris analytics rebuild``'s work (``rollups.rebuild_all``, its batch of cases per transaction):
   cases/s and source rows (messages + timeline rows + surveys) per second.
3. **Figures** — every query of ``compris.analytics.queries`` (what the dashboard and the API call) over the last
   7, 30, 90 and 365 days, each with no filter and with filters (network, account, team, agent, intent +
   language): median and p95 per figure, and the whole dashboard (every figure plus the previous period's, as
   the /reports page computes them); beside them a bare baseline, ``SELECT count(*)`` over the same rows of
   ``analytics_daily``.
4. **Upkeep** — a burst of 1,000 messages (500 customer messages, half on new cases, and 500 replies), each
   marking its case as the listener does, then the ``analytics.rollup`` job's work (``process_dirty`` until
   nothing is left): messages/s, against the bare insert of the same rows.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import statistics
import sys
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from compris import migrate
from compris.analytics import queries, rollups
from compris.analytics.figures import Filters, Measure
from compris.db import Database

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py, also when loaded from its file
import common

PG_ADMIN = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DB_NAME = "compris_bench_analytics"
TZ = ZoneInfo("Europe/Paris")
NETWORKS = ("x", "facebook", "instagram", "whatsapp", "telegram", "google", "tripadvisor", "mastodon")
ACCOUNTS = (("x", 20), ("x", 6), ("facebook", 14), ("facebook", 8), ("instagram", 12), ("instagram", 5),
            ("whatsapp", 14), ("telegram", 5), ("google", 6), ("tripadvisor", 4), ("mastodon", 3), ("whatsapp", 3))
PRIVATE = {"whatsapp", "telegram"}
INTENTS = (("complaint", 34), ("question", 32), ("request", 12), ("praise", 10), ("spam", 5), ("other", 7))
SENTIMENT = {"complaint": "negative", "question": "neutral", "request": "neutral", "praise": "positive",
             "spam": "neutral", "other": "neutral"}
TOPICS = ("delay", "cancellation", "baggage", "booking/payment", "refund", "customer service", "staff", "other")
HOURS = (1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.6, 4.0, 5.0, 5.6, 5.6, 5.0, 4.5, 4.4, 4.4, 4.6, 5.0, 5.6, 5.2, 4.2,
         3.2, 2.3, 1.6)
WEEKDAYS = (1.3, 1.1, 1.0, 1.0, 1.05, 0.55, 0.5)
TEAMS = 4
AGENTS = 40
PERIODS = (7, 30, 90, 365)


# --- the data set ---------------------------------------------------------------------------------------------------


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"))
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Copier:
    """Buffers rows per table and sends them with ``COPY ... FROM STDIN`` (psycopg) in large chunks."""

    CHUNK = 50_000

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.buffers: dict[str, tuple[tuple[str, ...], io.StringIO, list[int]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        entry = self.buffers.get(table)
        if entry is None:
            entry = self.buffers[table] = (columns, io.StringIO(), [0])
        entry[1].write("\t".join(_copy_value(v) for v in row))
        entry[1].write("\n")
        entry[2][0] += 1
        if entry[2][0] >= self.CHUNK:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            columns, buffer, pending = self.buffers[name]
            if not pending[0]:
                continue
            with self.connection.cursor() as cur, cur.copy(
                    f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            self.counts[name] = self.counts.get(name, 0) + pending[0]
            self.buffers[name] = (columns, io.StringIO(), [0])


MESSAGE_COLUMNS = ("id", "workspace_id", "created_at", "case_id", "channel_account_id", "direction", "visibility",
                   "platform_message_id", "author_identity_id", "author_user_id", "text", "attachments", "sent_at",
                   "language", "triage", "promoted", "reshares", "platform_extra", "delivery_state")
CASE_COLUMNS = ("id", "workspace_id", "created_at", "number", "contact_id", "status", "subject", "assignee_id",
                "language", "priority", "triage", "last_channel_account_id", "preview", "first_inbound_at",
                "last_inbound_at", "first_response_at", "last_activity_at", "resolved_at", "unread", "team_id",
                "sla_policy_id", "sla_status")
EVENT_COLUMNS = ("id", "workspace_id", "created_at", "case_id", "actor_user_id", "kind", "data")
SURVEY_COLUMNS = ("id", "workspace_id", "created_at", "case_id", "cycle", "contact_id", "channel_account_id",
                  "network", "agent_id", "team_id", "state", "send_at", "sent_at", "language", "scale", "rating",
                  "score", "answered_at", "answered_via")
BREACH_COLUMNS = ("id", "workspace_id", "created_at", "case_id", "metric", "cycle", "breached_at", "policy_id")


@dataclass
class World:
    """The small fixed rows (made through the ORM) the generated ones refer to."""

    workspace_id: int
    accounts: list[tuple[int, str, int]]  # id, network, weight
    teams: list[int]
    agents: list[list[int]]  # per team
    supervisor: int
    policy_id: int
    partner_id: int
    end: datetime  # the end of the data (now)
    ids: dict[str, int] = field(default_factory=dict)  # the next id per table


def make_world(db: Database, end: datetime) -> World:
    from compris.models import ChannelAccount, Partner, SlaPolicy, Team, TeamMember, User, Workspace

    with db.transaction() as s:
        ws = Workspace(slug="bench", name="Bench", timezone="Europe/Paris", default_language="fr")
        s.add(ws)
        s.flush()
        accounts = []
        for i, (network, weight) in enumerate(ACCOUNTS):
            account = ChannelAccount(workspace_id=ws.id, network=network, name=f"{network} account {i + 1}",
                                     external_id=f"bench-{i}", settings={}, secrets_encrypted="")
            s.add(account)
            s.flush()
            accounts.append((account.id, network, weight))
        supervisor = User(workspace_id=ws.id, email="supervisor@bench.example", name="Supervisor",
                          password_hash="x", role="supervisor")
        s.add(supervisor)
        teams, agents = [], []
        for t in range(TEAMS):
            team = Team(workspace_id=ws.id, name=f"Team {t + 1}", timezone="Europe/Paris")
            s.add(team)
            s.flush()
            teams.append(team.id)
            members = []
            for a in range(AGENTS // TEAMS):
                user = User(workspace_id=ws.id, email=f"agent{t}-{a}@bench.example", name=f"Agent {t}-{a}",
                            password_hash="x", role="agent")
                s.add(user)
                s.flush()
                s.add(TeamMember(workspace_id=ws.id, team_id=team.id, user_id=user.id))
                members.append(user.id)
            agents.append(members)
        policy = SlaPolicy(workspace_id=ws.id, name="Standard", first_response_s=3600, next_response_s=4 * 3600,
                           resolution_s=48 * 3600)
        partner = Partner(workspace_id=ws.id, name="Refunds", kind="team", emails=["refunds@bench.example"])
        s.add_all([policy, partner])
        s.flush()
        return World(ws.id, accounts, teams, agents, supervisor.id, policy.id, partner.id, end)


def _arrivals(rng: random.Random, cases: int, days: int, end: datetime) -> Iterator[datetime]:
    """``cases`` arrival times over ``days`` local days before ``end``, with daytime and weekday peaks, in order."""
    first = end.astimezone(TZ).date() - timedelta(days=days - 1)
    weights = [WEEKDAYS[(first + timedelta(days=d)).weekday()] * (1 + 0.3 * d / days) for d in range(days)]
    total = sum(weights)
    made = 0
    for d, weight in enumerate(weights):
        count = round(cases * weight / total) if d < days - 1 else cases - made
        count = min(count, cases - made)
        day = first + timedelta(days=d)
        hours = sorted(rng.choices(range(24), weights=HOURS, k=count))
        for hour in hours:
            at = datetime.combine(day, time(hour), TZ).astimezone(UTC) + timedelta(seconds=rng.random() * 3600)
            yield min(at, end - timedelta(minutes=1))
        made += count


def generate(db: Database, world: World, cases: int, messages: int, days: int, seed: int,
             progress: Callable[[str], None] = print) -> dict[str, int]:
    """Write the data set by COPY; returns the rows written per table."""
    rng = random.Random(seed)
    per_case = messages / cases
    ws = world.workspace_id
    end = world.end
    contacts = max(1, cases // 3)
    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no per-row foreign-key triggers while loading
        copier = Copier(connection)
        for c in range(1, contacts + 1):
            copier.add("contacts", ("id", "workspace_id", "created_at", "display_name"), (c, ws, end, f"C {c}"))
            copier.add("identities", ("id", "workspace_id", "created_at", "contact_id", "network",
                                      "platform_user_id", "verified", "updated_at"),
                       (c, ws, end, c, "x", f"u{c}", False, end))
        copier.flush()
        progress(f"contacts: {contacts:,}")
        account_weights = [w for _, _, w in world.accounts]
        intents = [k for k, _ in INTENTS]
        intent_weights = [w for _, w in INTENTS]
        message_id = event_id = survey_id = breach_id = 0
        started = clock.perf_counter()
        for n, opened in enumerate(_arrivals(rng, cases, days, end), start=1):
            account_id, network, _ = rng.choices(world.accounts, weights=account_weights)[0]
            private = network in PRIVATE or rng.random() < 0.2
            intent = rng.choices(intents, weights=intent_weights)[0]
            language = "fr" if rng.random() < 0.6 else "en"
            topic = rng.choice(TOPICS)
            t_index = rng.randrange(TEAMS)
            team = world.teams[t_index]
            agent = rng.choice(world.agents[t_index])
            contact = rng.randrange(1, contacts + 1)
            triage = {"language": language, "intent": intent, "sentiment": SENTIMENT[intent], "topic": topic,
                      "priority": 30 if intent == "complaint" else 10}
            # this case's messages: customer, reply, customer, reply... (the count averages ``per_case``)
            count = max(1, int(per_case + rng.uniform(-2, 2) + 0.5))
            msgs: list[tuple[datetime, bool, datetime]] = []  # created, inbound, sent
            at = opened
            answered = rng.random() < 0.93 and intent != "spam"
            for k in range(count):
                inbound = k % 2 == 0
                if inbound:
                    if k:
                        at += timedelta(minutes=rng.lognormvariate(math.log(60), 1.0))
                    msgs.append((at, True, at))
                elif answered:
                    at += timedelta(minutes=rng.lognormvariate(math.log(35), 1.2))
                    msgs.append((at, False, at + timedelta(seconds=2)))
                else:
                    at += timedelta(minutes=1)
                    msgs.append((at, True, at))
            msgs = [m for m in msgs if m[2] <= end]
            if not msgs:
                msgs = [(opened, True, opened)]
            first_in = msgs[0][0]
            replies = [m for m in msgs if not m[1]]
            first_response = replies[0][2] if replies else None
            last_in = max(m[0] for m in msgs if m[1])
            last = max(m[2] for m in msgs)
            resolved = last + timedelta(minutes=rng.lognormvariate(math.log(20), 1.0)) if replies else None
            status = "new" if not replies else "open"
            if resolved is not None and resolved <= end and rng.random() < 0.97:
                status = "resolved"
            elif intent == "spam" and opened + timedelta(hours=3) <= end:
                status, resolved = "closed", None
            else:
                resolved = None
            for created, inbound, sent in msgs:
                message_id += 1
                copier.add("messages", MESSAGE_COLUMNS, (
                    message_id, ws, created, n, account_id, "inbound" if inbound else "outbound",
                    "private" if private else "public", f"m{message_id}", contact if inbound else None,
                    None if inbound else agent, "…", "[]", sent, language, triage if inbound else "{}", False, 0,
                    "{}" if inbound else '{"origin":"agent"}', None if inbound else "sent"))
            if network == "whatsapp" and rng.random() < 0.5:  # an automatic acknowledgement (never a response)
                message_id += 1
                copier.add("messages", MESSAGE_COLUMNS, (
                    message_id, ws, opened + timedelta(seconds=2), n, account_id, "outbound", "private",
                    f"m{message_id}", None, None, "…", "[]", opened + timedelta(seconds=3), language, "{}", False,
                    0, '{"origin":"auto_ack","auto_ack":true}', "sent"))

            def event(at: datetime, kind: str, actor: int | None, data: dict[str, Any], case_id: int = n) -> None:
                nonlocal event_id
                event_id += 1
                copier.add("case_events", EVENT_COLUMNS, (event_id, ws, at, case_id, actor, kind, data))

            event(opened, "routed", None, {"team_id": team})
            assignee = agent
            if rng.random() < 0.05:  # reassigned before the reply: the reply's author gets the credit
                other = rng.choice(world.agents[t_index])
                event(opened + timedelta(seconds=1), "assigned", None,
                      {"assignee_id": other, "previous_assignee_id": None})
                event(opened + timedelta(minutes=2), "assigned", world.supervisor,
                      {"assignee_id": agent, "previous_assignee_id": other})
            else:
                event(opened + timedelta(seconds=1), "assigned", None,
                      {"assignee_id": agent, "previous_assignee_id": None})
            if first_response is not None:
                event(replies[0][0], "status_changed", agent, {"from_status": "new", "to_status": "open",
                                                               "reason": "replied"})
            if status == "resolved" and resolved is not None:
                event(resolved, "resolved", agent, {"from_status": "open", "to_status": "resolved"})
            elif status == "closed":
                event(opened + timedelta(hours=2), "closed", agent, {"from_status": "new", "to_status": "closed",
                                                                     "reason": "spam"})
            if first_response is not None and first_response - first_in > timedelta(hours=1):
                breach_id += 1
                copier.add("sla_breaches", BREACH_COLUMNS, (breach_id, ws, first_in + timedelta(hours=1), n,
                                                            "first_response", 1, first_in + timedelta(hours=1),
                                                            world.policy_id))
            if status == "resolved" and resolved is not None and not private and rng.random() < 0.25 \
                    and resolved + timedelta(hours=1) <= end:
                survey_id += 1
                sent_at = resolved + timedelta(hours=1)
                rating = rng.choices((1, 2, 3, 4, 5), weights=(6, 7, 12, 30, 45))[0] if rng.random() < 0.5 \
                    else None
                copier.add("surveys", SURVEY_COLUMNS, (
                    survey_id, ws, resolved, n, 1, contact, account_id, network, agent, team,
                    "answered" if rating else "sent", sent_at, sent_at, language, "stars5", rating,
                    (rating - 1) * 25 if rating else None, sent_at + timedelta(minutes=20) if rating else None,
                    "button" if rating else None))
            copier.add("cases", CASE_COLUMNS, (
                n, ws, opened, n, contact, status, "…", assignee, language, triage["priority"], triage, account_id,
                "…", first_in, last_in, first_response, last, resolved, status == "new", team, world.policy_id,
                "met" if first_response and first_response - first_in <= timedelta(hours=1) else "breached"))
            if n % 100_000 == 0:
                rate = n / (clock.perf_counter() - started)
                progress(f"cases: {n:,} of {cases:,} ({rate:,.0f}/s), messages: {message_id:,}")
        copier.flush()
        with connection.cursor() as cur:
            for table, last_id in (("contacts", contacts), ("identities", contacts), ("cases", cases),
                                   ("messages", message_id), ("case_events", event_id), ("surveys", survey_id),
                                   ("sla_breaches", breach_id)):
                if last_id:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last_id})")
            cur.execute("UPDATE workspaces SET case_seq = %s WHERE id = %s", (cases, ws))
            cur.execute("SET session_replication_role = DEFAULT")
        connection.commit()
        with connection.cursor() as cur:
            connection.autocommit = True
            # VACUUM as autovacuum would on a live database (it is off on some servers, this one included): without
            # the visibility map, index-only scans (the backlog's counts) read the heap
            cur.execute("VACUUM ANALYZE")
        connection.autocommit = False  # back to the pool as it came (else the rebuild would run in autocommit)
        return dict(copier.counts)
    finally:
        raw.close()


def load_presence(db: Database, world: World, days: int, seed: int,
                  progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Time online as the sampling job leaves it: each agent works five days a week (its days off rotate with
    its rank), a shift of about eight hours (early, day or late by rank, ±30 min) with a break, one row per
    minute online (``analytics_agent_online``, by COPY); then the days online recomputed from them as
    ``compris analytics rebuild`` does (``rollups.rebuild_presence``), timed."""
    rng = random.Random(seed + 1)
    first = world.end.astimezone(TZ).date() - timedelta(days=days - 1)
    agents = [user for team in world.agents for user in team]
    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        copier = Copier(connection)
        for rank, user in enumerate(agents):
            start_hour = (6, 9, 13)[rank % 3]
            for d in range(days):
                day = first + timedelta(days=d)
                if (day.weekday() + rank) % 7 >= 5:  # two days off a week
                    continue
                begin = datetime.combine(day, time(start_hour), TZ).astimezone(UTC) + timedelta(
                    minutes=rng.randint(-30, 30))
                pause = rng.randint(180, 300)
                for minute in range(480 + rng.randint(-20, 20)):
                    if pause <= minute < pause + 30:
                        continue
                    at = begin + timedelta(minutes=minute)
                    if at < world.end:
                        copier.add("analytics_agent_online", ("workspace_id", "user_id", "minute"),
                                   (world.workspace_id, user, at))
        copier.flush()
        connection.commit()
    finally:
        raw.close()
    progress(f"presence: {copier.counts.get('analytics_agent_online', 0):,} agent-minutes")
    t = clock.perf_counter()
    with db.transaction() as session:
        minutes = rollups.rebuild_presence(session, world.workspace_id)
    return {"minutes": minutes, "rebuild_presence_s": round(clock.perf_counter() - t, 1)}


#: the reply guard's rules the data set's findings name (``compris.replies.guard``)
GUARD_RULES = ("no_acknowledgement", "office_hours", "send_elsewhere", "review_bargain", "asks_personal_data")


def load_live_sources(db: Database, world: World, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """What the figures read from live tables rather than the rollups, at the data set's scale: an expected wait
    announced for every case when it opened (and the first response it got), reply-guard findings on about one
    answered case in six (a third of them overridden), and five tags on a third of the cases (one or two each),
    as ``bench/reads.py`` tags them. Written by ``INSERT … SELECT`` from the cases."""
    ws = world.workspace_id
    params = {"w": ws}
    t = clock.perf_counter()
    rules = "ARRAY[" + ", ".join(f"'{r}'" for r in GUARD_RULES) + "]"
    with db.engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO wait_predictions (workspace_id, case_id, channel_account_id, predicted_s, actual_s,
                                          created_at)
            SELECT :w, id, last_channel_account_id, 600 + (number % 50) * 60,
                   CASE WHEN first_response_at IS NOT NULL
                        THEN extract(epoch FROM first_response_at - first_inbound_at)::int END, first_inbound_at
            FROM cases WHERE workspace_id = :w AND first_inbound_at IS NOT NULL"""), params)
        conn.execute(text(f"""
            INSERT INTO guard_events (workspace_id, case_id, user_id, rule, severity, overridden, source,
                                      created_at)
            SELECT :w, id, assignee_id, ({rules})[1 + number % {len(GUARD_RULES)}], 'warning', number % 3 = 0,
                   'ui', first_response_at
            FROM cases WHERE workspace_id = :w AND first_response_at IS NOT NULL AND number % 6 = 1"""), params)
        common.tag_a_third(conn, ws)
        counts = {table: int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE workspace_id = :w"),
                                          params).scalar_one())
                  for table in ("wait_predictions", "guard_events", "case_tags")}
    progress(f"live sources: {counts} in {clock.perf_counter() - t:.1f} s")
    return counts


# --- timing ---------------------------------------------------------------------------------------------------------


def filter_sets(db: Database, world: World) -> dict[str, dict[str, Any]]:
    return {
        "none": {},
        "network": {"network": "x"},
        "account": {"channel_account_id": world.accounts[2][0]},
        "team": {"team_id": world.teams[1]},
        "agent": {"agent_id": world.agents[0][0]},
        "intent+language": {"intent": "complaint", "language": "fr"},
        # not in the default list: another pair, and the agent with another filter (no weekly set: the cube)
        "team+intent": {"team_id": world.teams[1], "intent": "complaint"},
        "agent+intent": {"agent_id": world.agents[0][0], "intent": "complaint"},
    }


FIGURES: dict[str, Callable[[Session, int, Filters], Any]] = {
    "volume": queries.volume,
    "response_rate": queries.response_rate,
    "response_times": queries.response_times,
    "sla": queries.sla,
    "csat": queries.csat,
    "backlog": queries.backlog,
    "agents": queries.agents,
    "expected_wait": queries.expected_wait,
    "guard": queries.guard,
    "escalations": queries.escalations,
    "heatmap": queries.heatmap,
    "drill-down (late, page 1)": lambda s, w, f: queries.cases_behind(s, w, f, Measure.LATE),
    "drill-down (resolved, page 1)": lambda s, w, f: queries.cases_behind(s, w, f, Measure.RESOLVED),
}


def _baseline(session: Session, workspace_id: int, f: Filters) -> Any:
    return session.execute(text("SELECT count(*) FROM analytics_daily WHERE workspace_id = :w AND day >= :s "
                                "AND day <= :e"), {"w": workspace_id, "s": f.start, "e": f.end}).scalar()


PAGE = "/reports page (HTTP, rendered)"
DASHBOARD = "dashboard (reports.dashboard: figures + previous period + objectives)"
PAGE_PARAMS = {"network": "network", "channel_account_id": "account", "team_id": "team", "agent_id": "agent",
               "intent": "intent", "language": "language"}


def _page_client(url: str, world: World) -> Any:
    """A signed-in supervisor's browser on the app (no workers), for the /reports page."""
    import html
    import re
    import tempfile

    from fastapi.testclient import TestClient

    from compris.config import Settings
    from compris.kit.passwords import hash_password
    from compris.web.app import create_app

    password = "bench-password-1"
    with Database(url).transaction() as s:
        s.execute(text("UPDATE users SET password_hash = :h WHERE id = :u"),
                  {"h": hash_password(password), "u": world.supervisor})
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, secret_key="b" * 48, workers=0,
                        sandbox=False, base_url="http://testserver", password_hash_cost="minimal")
    client = TestClient(create_app(settings, workers=0), follow_redirects=False)
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"email": "supervisor@bench.example", "password": password,
                                         "csrf_token": html.unescape(token.group(1)), "next": "/reports"})
    assert answer.status_code == 303, answer.text[:300]
    return client


def time_figures(db: Database, world: World, repeats: int, url: str, periods: tuple[int, ...] = PERIODS,
                 only: tuple[str, ...] | None = None) -> dict[str, Any]:
    from compris.analytics import reports

    last = world.end.astimezone(TZ).date()
    filters = {k: v for k, v in filter_sets(db, world).items() if only is None or k in only}
    client = _page_client(url, world)
    per_figure: dict[str, list[float]] = {name: [] for name in (*FIGURES, DASHBOARD, PAGE,
                                                                "baseline: count(*) over the period")}
    worst: dict[str, tuple[float, str]] = {}
    for days in periods:
        for fname, values in filters.items():
            f = Filters(start=last - timedelta(days=days - 1), end=last, **values)
            for name, fn in [*FIGURES.items(), ("baseline: count(*) over the period", _baseline)]:
                times = []
                for _ in range(repeats):
                    with db.transaction() as s:
                        t = clock.perf_counter()
                        fn(s, world.workspace_id, f)
                        times.append(clock.perf_counter() - t)
                per_figure[name] += times
                p95 = common.p95(times)
                if p95 > worst.get(name, (0.0, ""))[0]:
                    worst[name] = (p95, f"{days} days, filter {fname}")
            selection = reports.Selection(filters=f, preset="custom", values={})
            params = {"period": "custom", "from": f.start.isoformat(), "to": f.end.isoformat(),
                      **{PAGE_PARAMS[k]: str(v) for k, v in values.items()}}
            for name in (DASHBOARD, PAGE):
                times = []
                for _ in range(repeats):
                    t = clock.perf_counter()
                    if name == PAGE:
                        answer = client.get("/reports", params=params)
                        assert answer.status_code == 200, answer.text[:300]
                    else:
                        with db.transaction() as s:
                            reports.dashboard(s, world.workspace_id, selection)
                    times.append(clock.perf_counter() - t)
                per_figure[name] += times
                if common.p95(times) > worst.get(name, (0.0, ""))[0]:
                    worst[name] = (common.p95(times), f"{days} days, filter {fname}")
    out: dict[str, Any] = {}
    for name, values in per_figure.items():
        out[name] = {**common.summary(values), **({"worst_p95": {"s": round(worst[name][0], 4), "at": worst[name][1]}}
                                            if name in worst else {})}
    return out


def time_statements(db: Database, world: World, periods: tuple[int, ...], only: tuple[str, ...],
                    log: Callable[[str], None]) -> list[dict[str, Any]]:
    """One dashboard per period and filter set, every SQL statement timed (cursor execute to its end): where a
    dashboard's time goes. Prints the total, the statements' sum and the three slowest of each."""
    from sqlalchemy import event

    from compris.analytics import reports

    last = world.end.astimezone(TZ).date()
    filters = {k: v for k, v in filter_sets(db, world).items() if k in only}
    timed: list[tuple[float, str]] = []

    def before(conn: Any, *_args: Any) -> None:
        conn.info["compris.bench.t0"] = clock.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        timed.append((clock.perf_counter() - conn.info["compris.bench.t0"], " ".join(statement.split())[:140]))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    out: list[dict[str, Any]] = []
    try:
        for days in periods:
            for name, values in filters.items():
                f = Filters(start=last - timedelta(days=days - 1), end=last, **values)
                timed.clear()
                with db.transaction() as s:
                    t = clock.perf_counter()
                    reports.dashboard(s, world.workspace_id, reports.Selection(filters=f, preset="custom", values={}))
                    total = clock.perf_counter() - t
                slowest = sorted(timed, reverse=True)[:3]
                out.append({"days": days, "filters": name, "s": round(total, 4), "statements": len(timed),
                            "sql_s": round(sum(x for x, _ in timed), 4),
                            "slowest": [{"s": round(x, 4), "sql": sql} for x, sql in slowest]})
                log(f"dashboard, {days} days, {name}: {total * 1000:.0f} ms, {len(timed)} statements, "
                    f"SQL {sum(x for x, _ in timed) * 1000:.0f} ms")
                for x, sql in slowest:
                    print(f"      {x * 1000:7.0f} ms  {sql}", flush=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
    return out


def time_rebuild(db: Database, world: World, progress: Callable[[str], None],
                 profile: Path | None = None) -> dict[str, Any]:
    with db.transaction() as s:
        sources = {t: s.execute(text(f"SELECT count(*) FROM {t} WHERE workspace_id = :w"),
                                {"w": world.workspace_id}).scalar_one()
                   for t in ("cases", "messages", "case_events", "surveys", "sla_breaches")}
    started = clock.perf_counter()
    last_report = [started]

    def report(done: int, total: int) -> None:
        if clock.perf_counter() - last_report[0] > 30:
            last_report[0] = clock.perf_counter()
            rate = done / (last_report[0] - started)
            progress(f"rebuild: {done:,} of {total:,} cases ({rate:,.0f}/s, about "
                     f"{(total - done) / max(rate, 1) / 60:.0f} min left)")

    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        count = profiler.runcall(rollups.rebuild_all, db, world.workspace_id, progress=report)
        profiler.dump_stats(profile)
    else:
        count = rollups.rebuild_all(db, world.workspace_id, progress=report)
    elapsed = clock.perf_counter() - started
    with db.transaction() as s:
        cells = {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                 for t in ("analytics_daily", "analytics_hourly", "analytics_cases")}
    rows = sum(sources.values())
    return {"cases": count, "seconds": round(elapsed, 1), "cases_per_s": round(count / elapsed),
            "source_rows": rows, "source_rows_per_s": round(rows / elapsed), "sources": sources,
            "rollup_rows": cells}


def time_upkeep(db: Database, world: World, rounds: int = 3) -> dict[str, Any]:
    """1,000 messages (500 customer messages, half on new cases, half on recent open ones; 500 replies), marked as
    the listener marks them, then the rollup job's work until nothing is left."""
    from compris.analytics.rollups import BATCH, mark_dirty, process_dirty

    results = []
    rng = random.Random(7)
    for r in range(rounds):
        with db.transaction() as s:
            next_case = s.execute(text("SELECT max(id) FROM cases")).scalar_one() + 1
            next_message = s.execute(text("SELECT max(id) FROM messages")).scalar_one() + 1
            recent = [int(c) for c in s.execute(text(
                "SELECT id FROM cases WHERE workspace_id = :w ORDER BY id DESC LIMIT 2000"),
                {"w": world.workspace_id}).scalars()]
        at = datetime.now(UTC)
        account_id = world.accounts[0][0]
        new_cases = list(range(next_case, next_case + 250))
        targets = new_cases + rng.sample(recent, 250)
        case_rows = [{"id": c, "workspace_id": world.workspace_id, "created_at": at, "number": c, "contact_id": 1,
                      "status": "new", "subject": "…", "priority": 10, "triage": json.dumps({"intent": "question"}),
                      "preview": "…", "last_activity_at": at, "unread": True, "team_id": world.teams[0],
                      "language": "fr", "first_inbound_at": at, "last_channel_account_id": account_id}
                     for c in new_cases]
        message_rows = []
        event_rows = []
        mid = next_message
        for k, case_id in enumerate(targets):
            agent = world.agents[0][k % len(world.agents[0])]
            for inbound in (True, False):
                t = at + timedelta(seconds=k * 0.01 + (0 if inbound else 30))
                message_rows.append({
                    "id": mid, "workspace_id": world.workspace_id, "created_at": t, "case_id": case_id,
                    "channel_account_id": account_id, "direction": "inbound" if inbound else "outbound",
                    "visibility": "public", "platform_message_id": f"burst{r}-{mid}",
                    "author_user_id": None if inbound else agent, "text": "…", "attachments": "[]", "sent_at": t,
                    "language": "fr", "triage": json.dumps({"intent": "question", "language": "fr"}),
                    "promoted": False, "reshares": 0,
                    "platform_extra": "{}" if inbound else json.dumps({"origin": "agent"}),
                    "delivery_state": None if inbound else "sent"})
                mid += 1
            event_rows.append({"workspace_id": world.workspace_id, "created_at": at, "case_id": case_id,
                               "actor_user_id": None, "kind": "assigned",
                               "data": json.dumps({"assignee_id": world.agents[0][k % len(world.agents[0])],
                                                   "previous_assignee_id": None})})
        insert_cases = text(f"INSERT INTO cases ({', '.join(case_rows[0])}) VALUES "
                            f"({', '.join(':' + c for c in case_rows[0])})")
        insert_messages = text(f"INSERT INTO messages ({', '.join(message_rows[0])}) VALUES "
                               f"({', '.join(':' + c for c in message_rows[0])})")
        insert_events = text(f"INSERT INTO case_events ({', '.join(event_rows[0])}) VALUES "
                             f"({', '.join(':' + c for c in event_rows[0])})")
        t0 = clock.perf_counter()
        with db.transaction() as s:
            s.execute(insert_cases, case_rows)
            s.execute(insert_messages, message_rows)
            s.execute(insert_events, event_rows)
            s.execute(text("SELECT setval(pg_get_serial_sequence('messages', 'id'), :m)"), {"m": mid - 1})
        t1 = clock.perf_counter()
        with db.transaction() as s:  # the listener: one mark per event (a message, a reply sent)
            for message in message_rows:
                mark_dirty(s, world.workspace_id, [message["case_id"]])
        t2 = clock.perf_counter()
        marks = 0
        while True:
            with db.transaction() as s:
                taken = process_dirty(s, BATCH)
            marks += taken
            if taken == 0:
                break
        t3 = clock.perf_counter()
        results.append({"insert_s": t1 - t0, "mark_s": t2 - t1, "rollup_s": t3 - t2, "marks": marks})
    rollup = [x["rollup_s"] for x in results]
    inserts = [x["insert_s"] for x in results]
    marks = [x["mark_s"] for x in results]
    return {"messages_per_round": 1000, "rounds": rounds,
            "rollup_job_s_median": round(statistics.median(rollup), 3),
            "rollup_messages_per_s": round(1000 / statistics.median(rollup)),
            "marking_s_median": round(statistics.median(marks), 3),
            "baseline_bare_insert_s_median": round(statistics.median(inserts), 3),
            "baseline_insert_messages_per_s": round(1000 / statistics.median(inserts)),
            "ratio_rollup_to_insert": round(statistics.median(rollup) / statistics.median(inserts), 1)}


# --- main -----------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=400, help="days the cases are spread over (default 400)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each figure × period × filter")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--periods", default=",".join(map(str, PERIODS)),
                        help="the periods timed, in days (default 7,30,90,365)")
    parser.add_argument("--filters", default="none,network,account,team,agent,intent+language",
                        help="the filter sets timed (default: the six above; also team+intent, agent+intent)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a database kept by an earlier --keep run")
    parser.add_argument("--no-upkeep", action="store_true",
                        help="skip the upkeep burst (it adds 3,000 messages to the data set, which a later --reuse "
                             "run would see in its recent days)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rebuild-only", action="store_true",
                        help="time the rebuild only (with --reuse: rebuild the kept data set again), no figures")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the rebuild to this file")
    parser.add_argument("--statements", action="store_true",
                        help="also time one dashboard per period and filter set statement by statement (the slowest)")
    parser.add_argument("--db-name", default=DB_NAME, help=f"the bench's database (default {DB_NAME})")
    args = parser.parse_args()
    if args.cases < 1 or args.messages < args.cases:
        parser.error("--cases must be at least 1 and --messages at least --cases")
    import psycopg

    def log(line: str) -> None:
        print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)

    db_name = args.db_name
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
    if not args.reuse:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name}"')
    db = Database(url)
    report: dict[str, Any] = {"machine": common.machine(), "database": "PostgreSQL",
                              "at": datetime.now(UTC).isoformat(timespec="seconds"),
                              "command": "bench/analytics.py " + " ".join(
                                  f"--{k} {v}" for k, v in (("cases", args.cases), ("messages", args.messages),
                                                           ("days", args.days), ("repeats", args.repeats),
                                                           ("periods", args.periods), ("filters", args.filters)))}
    try:
        with db.engine.connect() as conn:
            report["database"] = str(conn.execute(text("SHOW server_version")).scalar())
        if args.reuse:
            migrate.upgrade(db.engine)  # a data set kept by an earlier version: to the current schema first
            world = _load_world(db)
            with db.engine.connect() as conn:
                has_presence = conn.execute(text("SELECT EXISTS (SELECT 1 FROM analytics_agent_online)")).scalar()
                has_live = conn.execute(text("SELECT EXISTS (SELECT 1 FROM wait_predictions)")).scalar()
            if not has_presence:  # kept before the bench wrote time online
                report["presence"] = load_presence(db, world, args.days, args.seed, log)
                log(f"presence: {json.dumps(report['presence'])}")
            if not has_live:  # ... or the expected waits, guard findings and tags
                report["live_sources"] = load_live_sources(db, world, log)
            if not (has_presence and has_live):
                with db.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            migrate.upgrade(db.engine)
            world = make_world(db, datetime.now(UTC).replace(microsecond=0))
            log(f"generating {args.cases:,} cases and about {args.messages:,} messages over {args.days} days")
            t = clock.perf_counter()
            counts = generate(db, world, args.cases, args.messages, args.days, args.seed, log)
            report["load"] = {"rows": counts, "seconds": round(clock.perf_counter() - t, 1)}
            report["presence"] = load_presence(db, world, args.days, args.seed, log)
            log(f"presence: {json.dumps(report['presence'])}")
            report["live_sources"] = load_live_sources(db, world, log)
            log(f"loaded: {json.dumps(report['load'])}")
        if not args.reuse or args.rebuild_only:
            report["rebuild"] = time_rebuild(db, world, log, args.profile)
            log(f"rebuild: {json.dumps(report['rebuild'])}")
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        if args.rebuild_only:
            if args.json:
                args.json.write_text(json.dumps(report, indent=2))
            return
        if args.statements:
            report["statements"] = time_statements(db, world, tuple(int(p) for p in args.periods.split(",")),
                                                   tuple(args.filters.split(",")), log)
        report["figures"] = time_figures(db, world, args.repeats, url,
                                         tuple(int(p) for p in args.periods.split(",")),
                                         tuple(args.filters.split(",")))
        log("figures:")
        for name, values in report["figures"].items():
            print(f"  {name:70} median {values['median_s'] * 1000:8.1f} ms   p95 {values['p95_s'] * 1000:8.1f} ms"
                  + (f"   worst p95 {values['worst_p95']['s'] * 1000:.1f} ms ({values['worst_p95']['at']})"
                     if "worst_p95" in values else ""), flush=True)
        if not args.no_upkeep:
            report["upkeep"] = time_upkeep(db, world)
            log(f"upkeep: {json.dumps(report['upkeep'])}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    finally:
        db.dispose()
        if not args.keep:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _load_world(db: Database) -> World:
    """The fixed rows of a kept data set (``--reuse``)."""
    with db.transaction() as s:
        ws = s.execute(text("SELECT id FROM workspaces WHERE slug = 'bench'")).scalar_one()
        accounts = [(int(i), str(n), 1) for i, n in s.execute(text(
            "SELECT id, network FROM channel_accounts WHERE workspace_id = :w ORDER BY id"), {"w": ws})]
        teams = [int(t) for t in s.execute(text("SELECT id FROM teams WHERE workspace_id = :w ORDER BY id"),
                                           {"w": ws}).scalars()]
        agents = [[int(u) for u in s.execute(text("SELECT user_id FROM team_members WHERE team_id = :t ORDER BY "
                                                  "user_id"), {"t": t}).scalars()] for t in teams]
        supervisor = s.execute(text("SELECT id FROM users WHERE role = 'supervisor' AND workspace_id = :w"),
                               {"w": ws}).scalar_one()
        policy = s.execute(text("SELECT id FROM sla_policies WHERE workspace_id = :w"), {"w": ws}).scalar_one()
        partner = s.execute(text("SELECT id FROM partners WHERE workspace_id = :w"), {"w": ws}).scalar_one()
        end = s.execute(text("SELECT max(created_at) FROM messages WHERE workspace_id = :w"), {"w": ws}).scalar_one()
    return World(int(ws), accounts, teams, agents, int(supervisor), int(policy), int(partner), end)


if __name__ == "__main__":
    main()
