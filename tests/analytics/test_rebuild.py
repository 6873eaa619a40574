"""The from-scratch rebuild (``rollups.rebuild_all``: states inserted in bulk, the cells of a batch summed first
and written at once — on PostgreSQL by ``COPY`` and one upsert per table) gives exactly what recomputing each case
on its own gives (the live path), cell for cell and state for state, on random histories spread over many cases
and cut into small batches (so that batches share cells); and it leaves a case the live job counted meanwhile as
that job left it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from compris.analytics import rollups
from compris.models import (
    AnalyticsCase,
    AnalyticsDaily,
    AnalyticsHourly,
    AnalyticsSlice,
    AnalyticsWeekly,
    Case,
    Workspace,
)
from tests.analytics.helpers import message, new_case, snapshot
from tests.analytics.test_random_histories import START, Story, op
from tests.conftest import World

_SLUGS = itertools.count()
#: the same operations as the random histories' test, on up to 8 cases
wide_op = op.map(lambda o: (o[0], o[1] * 3 + (o[1] + len(o)) % 3, *o[2:]) if len(o) > 1 else o)
wide_step = st.tuples(wide_op, st.integers(0, 900))


def states(world: World) -> dict[int, tuple[Any, ...]]:
    """Every case's stored contribution and summary (``computed_at`` left out)."""
    with world.runtime.db.transaction() as s:
        cols = [c for c in AnalyticsCase.__table__.columns  # type: ignore[attr-defined]
                if c.name not in ("id", "computed_at")]
        return {int(r.case_id): tuple(r) for r in s.execute(
            select(*cols).where(AnalyticsCase.workspace_id == world.workspace_id))}


def _paris(world: World) -> None:
    with world.runtime.db.transaction() as s:
        ws = s.get(Workspace, world.workspace_id)
        assert ws is not None
        ws.timezone = "Europe/Paris"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(wide_step, min_size=4, max_size=30), batch=st.integers(1, 4))
def test_the_bulk_rebuild_equals_recomputing_each_case(world_factory: Callable[[str], World], steps: list[Any],
                                                       batch: int) -> None:
    world = world_factory(f"bulk{next(_SLUGS)}")
    _paris(world)
    story = Story(world)
    for operation, minutes in steps:
        story.at += timedelta(minutes=minutes)
        story.apply(operation)
    with world.runtime.db.transaction() as s:
        ids = sorted(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id)))
    for case_id in ids:  # the live path, one case at a time
        with world.runtime.db.transaction() as s:
            rollups.recompute(s, [case_id])
    cells, kept = snapshot(world), states(world)
    assert rollups.rebuild_all(world.runtime.db, world.workspace_id, batch=batch) == len(ids)
    assert snapshot(world) == cells
    assert states(world) == kept


def test_the_bulk_rebuild_of_many_cases_on_few_days(world_factory: Callable[[str], World]) -> None:
    """Enough cases and cells for PostgreSQL's bulk path on large batches; the same with one case a batch."""
    world = world_factory("bulkmany")
    _paris(world)
    with world.runtime.db.transaction() as s:
        for k in range(60):
            at = START + timedelta(minutes=37 * k)
            case = new_case(s, world, at)
            for j in range(k % 4 + 1):
                message(s, world, case.id, at + timedelta(minutes=j), inbound=True, language="fr",
                        triage={"intent": ("question", "complaint", "spam")[(k + j) % 3], "topic": "delay"})
                if (k + j) % 5:
                    message(s, world, case.id, at + timedelta(minutes=j, seconds=40 + 300 * k), inbound=False,
                            delivery_state="sent", author_user_id=world.agent.id)
    assert rollups.rebuild_all(world.runtime.db, world.workspace_id, batch=1) == 60
    cells, kept = snapshot(world), states(world)
    assert rollups.rebuild_all(world.runtime.db, world.workspace_id) == 60
    assert snapshot(world) == cells
    assert states(world) == kept


def test_a_case_the_live_job_counted_meanwhile_is_left_as_it_is(world_factory: Callable[[str], World]) -> None:
    world = world_factory("bulklive")
    with world.runtime.db.transaction() as s:
        ids = []
        for k in range(3):
            case = new_case(s, world, START + timedelta(hours=k))
            message(s, world, case.id, START + timedelta(hours=k), inbound=True)
            ids.append(case.id)
    for case_id in ids:
        with world.runtime.db.transaction() as s:
            rollups.recompute(s, [case_id])
    cells = snapshot(world)
    with world.runtime.db.transaction() as s:  # the rebuild's clearing, then the live job counts one case first
        for model in (AnalyticsDaily, AnalyticsHourly, AnalyticsSlice, AnalyticsWeekly, AnalyticsCase):
            s.execute(delete(model).where(model.workspace_id == world.workspace_id))
        rollups.recompute(s, [ids[1]])
    with world.runtime.db.transaction() as s:
        assert rollups.compute_fresh(s, ids) == 2
    assert snapshot(world) == cells
