"""The analytics bench's data generator (``bench/analytics.py``) at a tiny size: consistent rows through the real
schema, which the rollup rebuild counts exactly (PostgreSQL only: the generator writes by COPY)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func, select, text

from compris.analytics.figures import Filters
from compris.analytics.queries import agents, by_tag, expected_wait, guard, response_rate, volume
from compris.analytics.rollups import rebuild, rollup_sums
from compris.db import Database
from compris.models import Case, CaseEvent, Message, Survey

BENCH = Path(__file__).resolve().parents[2] / "bench" / "analytics.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_analytics", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def test_the_bench_data_set_is_consistent_and_counted_by_the_rebuild(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the bench writes by COPY (PostgreSQL)")
    bench = _bench()
    end = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    world = bench.make_world(db, end)
    counts = bench.generate(db, world, 300, 1500, 30, 1, progress=lambda line: None)
    # then the rows are there, with their timeline rows and surveys, and the tables' sequences follow them
    assert counts["cases"] == 300
    assert 1200 <= counts["messages"] <= 1900
    assert counts["case_events"] >= 600 and counts.get("surveys", 0) > 0
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 300
        cases_without_inbound = s.scalar(text(
            "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.case_id = c.id "
            "AND m.direction = 'inbound')"))
        assert cases_without_inbound == 0
        orphans = s.scalar(text("SELECT count(*) FROM messages m LEFT JOIN cases c ON c.id = m.case_id "
                                "WHERE c.id IS NULL"))
        assert orphans == 0
        first, last = s.execute(select(func.min(Message.created_at), func.max(Message.sent_at))).one()
        assert first >= datetime(2026, 10, 31, tzinfo=UTC) and last <= end
        answered = s.scalar(select(func.count()).select_from(Survey).where(Survey.rating.is_not(None)))
        assert answered and answered > 0
        s.add(CaseEvent(workspace_id=world.workspace_id, kind="probe", data={}))  # the sequence moved on
        s.flush()
        inbound = s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "inbound", Message.workspace_id == world.workspace_id))
    # what some figures read from their own tables, and the time online, at the data set's scale
    live = bench.load_live_sources(db, world, progress=lambda line: None)
    assert live["wait_predictions"] == 300 and 0 < live["guard_events"] < 100 and live["case_tags"] >= 100
    # and the rebuild counts every case and every customer message
    with db.transaction() as s:
        assert rebuild(s, world.workspace_id) == 300
        sums = rollup_sums(s, world.workspace_id)
        assert sums["case_new"][0] == 300
        assert sums["msg_in"][0] == inbound
        figures = Filters(start=date(2026, 10, 30), end=date(2026, 11, 30))
        assert volume(s, world.workspace_id, figures).messages == inbound
        rate = response_rate(s, world.workspace_id, figures)
        assert rate.needing > 0 and 0 < rate.responded <= rate.needing
    presence = bench.load_presence(db, world, 30, 1, progress=lambda line: None)
    assert presence["minutes"] > 40 * 20 * 400  # forty agents, about 21 days each, about 7.5 h a day
    with db.transaction() as s:
        people = agents(s, world.workspace_id, figures)
        assert sum(1 for r in people.agents if r.online_s) == 40
        assert expected_wait(s, world.workspace_id, figures).announced == 300
        assert guard(s, world.workspace_id, figures).findings == live["guard_events"]
        assert sum(t.value for t in by_tag(s, world.workspace_id, figures)) == live["case_tags"]
