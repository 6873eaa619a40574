"""The distribution plan (``compris.models.distribution``, ``docs/scaling.md``) against the models: every table has a
place, every distributed table carries its workspace, every unique key that would have to change is known."""

from __future__ import annotations

import sqlalchemy as sa

from compris.models import Base
from compris.models.distribution import (
    DISTRIBUTION_COLUMN,
    GLOBAL_KEYS,
    NOT_DISTRIBUTED,
    TENANT_TABLE,
    KeyChange,
    Placement,
    placement,
)

TABLES = Base.metadata.tables


def _unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    keys = [tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, sa.UniqueConstraint)]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return keys


def test_the_plan_names_only_tables_that_exist() -> None:
    assert set(NOT_DISTRIBUTED) <= set(TABLES)
    assert {table for table, _key in GLOBAL_KEYS} <= set(TABLES)
    assert TENANT_TABLE in TABLES


def test_every_distributed_table_carries_its_workspace() -> None:
    for name, table in TABLES.items():
        if name == TENANT_TABLE or placement(name) is not Placement.DISTRIBUTED:
            continue
        column = table.c.get(DISTRIBUTION_COLUMN)
        assert column is not None, f"{name}: no {DISTRIBUTION_COLUMN}: place it in NOT_DISTRIBUTED or add the column"
        assert not column.nullable, f"{name}.{DISTRIBUTION_COLUMN} may be NULL: a distributed row needs a workspace"
        assert any(fk.column.table.name == TENANT_TABLE for fk in column.foreign_keys), name


def test_every_unique_key_without_the_workspace_is_known() -> None:
    """A new unique key on a distributed table either includes workspace_id or is placed in GLOBAL_KEYS (scoped:
    workspace_id goes in front; looked up: a reference table maps it to its workspace)."""
    found: set[tuple[str, tuple[str, ...]]] = set()
    for name, table in TABLES.items():
        if name == TENANT_TABLE or placement(name) is not Placement.DISTRIBUTED:
            continue
        for key in _unique_keys(table):
            if DISTRIBUTION_COLUMN not in key:
                found.add((name, key))
    assert found - set(GLOBAL_KEYS) == set(), "unique keys to place in GLOBAL_KEYS"
    assert set(GLOBAL_KEYS) - found == set(), "GLOBAL_KEYS entries that no longer exist"


def test_a_scoped_key_names_a_row_of_one_workspace() -> None:
    """Putting workspace_id in front of a scoped key keeps its meaning only if the key already holds an id of a row
    of one workspace (or a value the code makes unique per workspace, such as an idempotency key)."""
    for (table, key), change in GLOBAL_KEYS.items():
        if change is not KeyChange.SCOPE:
            continue
        assert all(c in TABLES[table].c for c in key), (table, key)
        assert any(c.endswith(("_id", "_key")) for c in key), (table, key)


def test_nothing_distributed_points_at_the_coordinator() -> None:
    """Citus refuses a foreign key from a distributed table to a table left on the coordinator."""
    coordinator = {name for name, (where, _why) in NOT_DISTRIBUTED.items() if where is Placement.COORDINATOR}
    for name, table in TABLES.items():
        if placement(name) is Placement.DISTRIBUTED:
            targets = {fk.column.table.name for fk in table.foreign_keys}
            assert not targets & coordinator, (name, targets & coordinator)


def test_every_exception_says_why() -> None:
    assert all(len(why) > 20 for _where, why in NOT_DISTRIBUTED.values())
