from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from compris import migrate
from compris.db import Database
from compris.inbox.search import include_object
from compris.models import Base, Upload
from tests.conftest import World


def _fresh_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    url: str = request.getfixturevalue("pg_url")
    db = Database(url)
    with db.engine.begin() as conn:  # start from an empty schema
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    return url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")  # o1_search's
def test_migrations_build_the_models_schema_from_empty(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    db = Database(_fresh_url(request, backend, tmp_path))
    try:
        migrate.upgrade(db.engine)
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        for name, table in Base.metadata.tables.items():
            if name != "workspaces":
                assert "workspace_id" in table.columns, f"{name} has no workspace_id"
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False,
                                                                 "include_object": include_object}), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        migrate.downgrade(db.engine, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(db.engine)
    finally:
        db.dispose()


def test_f9_merges_duplicate_uploads_and_links_them_to_their_replies(world: World) -> None:
    """Rows made by two simultaneous submits before the unique constraint: one is kept (the one a reply names),
    the replies naming another are made to name it, and it records the reply that carried it."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from compris.models import Message
    from compris.models.base import UTCDateTime
    from tests.uploads.helpers import png, reply_with, upload

    engine = world.runtime.db.engine
    first = upload(world, png("dup"), "dup.png")
    loose = upload(world, png("loose"), "loose.png")
    message_id = reply_with(world, [first])
    migrate.downgrade(engine, "f8_reply_attachments")
    try:
        uploads = sa.table("uploads", *(sa.column(c) for c in (
            "id", "workspace_id", "name", "mime_type", "kind", "size", "sha256", "uploaded_by_id")),
            sa.column("created_at", UTCDateTime()))
        messages = sa.table("messages", sa.column("id"), sa.column("attachments", sa.JSON()))
        later = datetime(2030, 1, 1, tzinfo=UTC)
        row = {"workspace_id": first.workspace_id, "name": first.name, "mime_type": first.mime_type,
               "kind": first.kind, "size": first.size, "sha256": first.sha256, "uploaded_by_id": first.uploaded_by_id}
        with engine.begin() as conn:
            named = conn.execute(sa.insert(uploads).values(**row, created_at=first.created_at)
                                 .returning(uploads.c.id)).scalar_one()
            conn.execute(sa.insert(uploads).values(**row, created_at=later))
            attachments = [{"kind": "image", "url": f"/uploads/{named}", "name": first.name,
                            "mime_type": first.mime_type, "size": first.size, "upload_id": named}]
            conn.execute(sa.update(messages).where(messages.c.id == message_id).values(attachments=attachments))
    finally:
        migrate.upgrade(engine)
    with world.runtime.db.transaction() as session:
        rows = {u.id: u for u in session.scalars(sa.select(Upload))}
        assert set(rows) == {named, loose.id}  # the named duplicate kept; the first and the unused one merged
        assert rows[named].message_id == message_id and rows[loose.id].message_id is None
        assert rows[named].last_uploaded_at == later
        message = session.get(Message, message_id)
        assert message is not None and message.attachments[0]["upload_id"] == named
        assert message.attachments[0]["url"] == f"/uploads/{named}"


def test_o6_sums_the_volume_per_day_from_its_hours(world: World) -> None:
    """The volume's day rows (hour -1) of the slices already there are the sums of their hourly rows; other
    metrics' rows are left as they were."""
    from datetime import date

    import sqlalchemy as sa

    engine = world.runtime.db.engine
    migrate.downgrade(engine, "o5_analytics_backlog")
    slices = sa.table("analytics_slices", *(sa.column(c) for c in (
        "workspace_id", "metric", "dim", "value", "day", "hour", "policy_id", "bucket", "n", "total")))
    day = date(2026, 11, 2)
    base = {"workspace_id": world.workspace_id, "day": day, "policy_id": 0, "bucket": -1, "total": 0.0}
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(slices))
            conn.execute(sa.insert(slices), [
                {**base, "metric": "msg_in", "dim": "network", "value": "x", "hour": 9, "n": 3},
                {**base, "metric": "msg_in", "dim": "network", "value": "x", "hour": 17, "n": 2},
                {**base, "metric": "msg_in", "dim": "", "value": "", "hour": 9, "n": 5},
                {**base, "metric": "case_new", "dim": "team", "value": "4", "hour": 9, "n": 1},
                {**base, "metric": "reply", "dim": "", "value": "", "hour": -1, "n": 7},
            ])
    finally:
        migrate.upgrade(engine)
    with engine.connect() as conn:
        days = {(m, d, v): n for m, d, v, n in conn.execute(
            sa.select(slices.c.metric, slices.c.dim, slices.c.value, slices.c.n).where(slices.c.hour == -1))}
    assert days == {("msg_in", "network", "x"): 5, ("msg_in", "", ""): 5, ("case_new", "team", "4"): 1,
                    ("reply", "", ""): 7}


def test_o7_sums_the_weekly_sets_from_the_daily_cube_as_the_rollup_does(world: World) -> None:
    """The weekly sets the migration sums from the daily cube of the data already there are those the rollup
    writes (every set: none, one dimension, a filter by a grouping, pairs of filters)."""
    import sqlalchemy as sa

    from compris.models import AnalyticsSlice, AnalyticsWeekly
    from tests.analytics.test_queries import _history

    _history(world)
    engine = world.runtime.db.engine

    def rows(model: Any) -> dict[tuple[object, ...], tuple[int, float]]:
        table = model.__table__
        columns = [c for c in table.columns if c.name not in ("id", "n", "total")]
        with engine.connect() as conn:
            return {tuple(r[:-2]): (int(r[-2]), round(float(r[-1]), 2))
                    for r in conn.execute(sa.select(*columns, table.c.n, table.c.total))}

    weekly, slices = rows(AnalyticsWeekly), rows(AnalyticsSlice)
    assert {k[2] for k in weekly} >= {"", "intent", "intent>agent", "language>topic", "intent+language",
                                      "intent+language>agent", "network+intent>hours"}
    assert len(weekly) > 200 and any(k[2] == "intent+language" for k in slices)
    migrate.downgrade(engine, "o6_analytics_daily_volume")
    assert not any("+" in k[2] for k in rows(AnalyticsSlice))
    migrate.upgrade(engine)
    assert rows(AnalyticsWeekly) == weekly and rows(AnalyticsSlice) == slices


def test_o8_sums_the_days_online_from_the_minutes_as_the_sampling_does(world: World) -> None:
    """The days online the migration sums from the minutes already there are those the sampling job keeps (local
    days of the workspace's time zone)."""
    import sqlalchemy as sa

    from compris.analytics import rollups
    from compris.models import AgentOnlineDay, AgentProfile, Presence, Workspace

    evening = datetime(2026, 3, 2, 22, 58, tzinfo=UTC)  # Paris: 23:58, then past midnight
    with world.runtime.db.transaction() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        workspace.timezone = "Europe/Paris"
        for user in (world.agent, world.admin):
            s.add(AgentProfile(workspace_id=world.workspace_id, user_id=user.id, presence=Presence.ONLINE,
                               last_seen_at=evening + timedelta(minutes=4)))
    with world.runtime.db.transaction() as s:
        for minute in range(5):
            rollups.sample_presence(s, evening + timedelta(minutes=minute))
    engine = world.runtime.db.engine

    def days() -> set[tuple[object, ...]]:
        table = AgentOnlineDay.__table__
        with engine.connect() as conn:
            return {tuple(r) for r in conn.execute(sa.select(table.c.workspace_id, table.c.user_id, table.c.day,
                                                             table.c.minutes))}

    kept = days()
    assert len(kept) == 4 and sum(int(r[3]) for r in kept) == 10  # type: ignore[call-overload]
    migrate.downgrade(engine, "o7_analytics_weekly")
    migrate.upgrade(engine)
    assert days() == kept


def test_o9_marks_the_cases_with_expected_waits_guard_findings_or_tags_for_the_rollup(world: World) -> None:
    """After the upgrade, the rollup job recomputes those cases and the three figures read them from the rollups."""
    from compris.analytics import queries
    from compris.analytics.figures import Filters
    from tests.analytics.helpers import catch_up, dirty
    from tests.analytics.test_queries import DAY, _history

    ids = _history(world)  # a case with an expected wait and a guard finding, one without
    engine = world.runtime.db.engine
    migrate.downgrade(engine, "o8_analytics_drill_indexes")
    with world.runtime.db.transaction() as s:
        s.execute(text("DELETE FROM analytics_dirty"))
    migrate.upgrade(engine)
    assert dirty(world) == 1
    with world.runtime.db.transaction() as s:
        assert s.execute(text("SELECT case_id FROM analytics_dirty")).scalars().all() == [ids["a"]]
    catch_up(world)
    with world.runtime.db.transaction() as s:
        two_days = Filters(start=DAY, end=DAY + timedelta(days=1))
        assert queries.expected_wait(s, world.workspace_id, two_days).announced == 1
        assert queries.guard(s, world.workspace_id, two_days).findings == 1


def test_p1_sums_the_pairs_days_and_the_agents_pairs_from_the_daily_cube_as_the_rollup_does(world: World) -> None:
    """The pairs' daily slices the migration sums from the daily cube for the metrics it adds (next response,
    surveys sent, escalations, expected wait, the guard's findings, …) and the weekly sets of the agent with each
    filter are those the rollup writes; going back removes them and leaves the daily trends' metrics."""
    import sqlalchemy as sa

    from compris.models import AnalyticsSlice, AnalyticsWeekly
    from tests.analytics.test_queries import _history

    _history(world)
    engine = world.runtime.db.engine
    table = AnalyticsSlice.__table__

    def pairs() -> dict[tuple[object, ...], tuple[int, float]]:
        columns = [c for c in table.columns if c.name not in ("id", "n", "total")]
        with engine.connect() as conn:
            return {tuple(r[:-2]): (int(r[-2]), round(float(r[-1]), 2)) for r in conn.execute(
                sa.select(*columns, table.c.n, table.c.total).where(table.c.dim.like("%+%")))}

    def agent_pairs() -> dict[tuple[object, ...], tuple[int, float]]:
        weekly = AnalyticsWeekly.__table__
        columns = [c for c in weekly.columns if c.name not in ("id", "n", "total")]
        with engine.connect() as conn:
            return {tuple(r[:-2]): (int(r[-2]), round(float(r[-1]), 2)) for r in conn.execute(
                sa.select(*columns, weekly.c.n, weekly.c.total).where(weekly.c.dim.like("%+agent")))}

    kept, kept_agents = pairs(), agent_pairs()
    assert {k[2] for k in kept_agents} == {"network+agent", "account+agent", "team+agent", "intent+agent",
                                           "language+agent"}
    assert any(k[3] == f"complaint|{world.agent.id}" and k[1] == "frt_c" for k in kept_agents)
    metrics = {k[1] for k in kept}
    assert {"csat_sent", "esc_created", "esc_rt", "wait_n", "guard_ovr:no_acknowledgement",
            "frt_c", "msg_in"} <= metrics
    migrate.downgrade(engine, "o9_analytics_live_sources")
    assert {k[1] for k in pairs()} == metrics - {"in_target", "nrt_c", "nrt_b", "csat_sent", "esc_created",
                                                 "esc_overdue", "esc_rt", "wait_n", "wait_actual", "wait_error",
                                                 "wait_within", "guard:no_acknowledgement",
                                                 "guard_ovr:no_acknowledgement"}
    assert not agent_pairs()
    migrate.upgrade(engine)
    assert pairs() == kept and agent_pairs() == kept_agents
