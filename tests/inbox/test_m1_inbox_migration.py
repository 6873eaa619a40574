"""Migration m1_inbox: the folded search columns are filled for the rows written before it, in batches."""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from compris import migrate
from compris.inbox import queries
from compris.inbox.ingest import receive
from compris.inbox.queries import InboxFilter
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request

m1 = importlib.import_module("compris.migrations.versions.m1_inbox")


def test_the_migration_backfills_the_folded_text(world: World) -> None:
    rt = world.runtime
    for i, text in enumerate(["Colis reçu abîmé", "Où est ma réservation ?", "Gérard écrit encore", ""]):
        receive(rt.db, rt.publisher, SECRET, world.account.id,
                _request(world, world.payload(text or "x", author=f"c{i}")))
    world.run_jobs()
    engine = rt.db.engine
    migrate.downgrade(engine, "l6_retention")
    try:
        with engine.begin() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("messages")}
            if "search_text" in columns:  # SQLite keeps the columns: empty them as before the migration
                conn.execute(sa.text("UPDATE messages SET search_text = NULL"))
                conn.execute(sa.text("UPDATE contacts SET search_name = NULL"))
                conn.execute(sa.text("UPDATE cases SET search_subject = NULL"))
    finally:
        migrate.upgrade(engine)
    with engine.connect() as conn:
        folded = set(conn.execute(sa.text("SELECT search_text FROM messages")).scalars())
        subjects = set(conn.execute(sa.text("SELECT search_subject FROM cases")).scalars())
    assert {"colis recu abime", "ou est ma reservation", "gerard ecrit encore"} <= folded
    assert "colis recu abime" in subjects
    with rt.db.transaction() as s:
        found = queries.list_cases(s, world.workspace_id, world.agent.id, InboxFilter(q="RECU ABIME"))
        assert [r.case.number for r in found] == [1]


def test_the_backfill_goes_in_batches(world: World) -> None:
    rt = world.runtime
    for i in range(5):
        receive(rt.db, rt.publisher, SECRET, world.account.id,
                _request(world, world.payload(f"Réclamation n°{i}", author=f"b{i}")))
    world.run_jobs()
    with rt.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE messages SET search_text = NULL"))
        written = m1.backfill(conn, "messages", "text", "search_text", 20_000, batch=2)
        folded = sorted(conn.execute(sa.text("SELECT search_text FROM messages")).scalars())
    assert written == 5
    assert folded == [f"reclamation n {i}" for i in range(5)]
