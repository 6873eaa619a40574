"""Objectives the supervisor sets (compris.analytics.objectives): validation of untrusted input, the audit row and
SettingsChanged of every write, workspace isolation, and how an objective compares with an actual figure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from compris.analytics import objectives
from compris.kit.errors import Invalid, NotFound
from compris.models import Objective, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.routing.test_admin_actions import recorded
from tests.test_admin_audit import kinds, last_event_id

COMPLAINTS_1H = {"name": "Complaints answered within the hour", "metric": "first_response_within", "target": "90",
                 "threshold_seconds": "3600", "intent": "complaint", "clock": "calendar"}


def test_create_update_delete_are_audited(runtime: Runtime, world: World) -> None:
    start = last_event_id(runtime)
    with recorded() as seen, runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        row = objectives.create_objective(s, runtime.publisher, actor=admin, values=COMPLAINTS_1H)
        oid = row.id
        assert (row.metric, row.target, row.threshold_seconds, row.intent, row.clock) == (
            "first_response_within", 90, 3600, "complaint", "calendar")
        objectives.update_objective(s, runtime.publisher, actor=admin, objective_id=oid,
                                    values={**COMPLAINTS_1H, "target": "95"})
        objectives.update_objective(s, runtime.publisher, actor=admin, objective_id=oid,
                                    values={**COMPLAINTS_1H, "target": "95.0"})  # nothing changed: no audit
        objectives.delete_objective(s, runtime.publisher, actor=admin, objective_id=oid)
    assert [(e.entity, e.action, e.entity_id, e.changes) for e in seen] == [
        ("objective", "created", oid, tuple(sorted(objectives.FIELDS))),
        ("objective", "updated", oid, ("target",)),
        ("objective", "deleted", oid, ()),
    ]
    rows = kinds(runtime, world.workspace_id, start)
    assert [r[0] for r in rows] == ["settings_changed"] * 3
    assert all(r[1] == world.admin.id for r in rows)
    with runtime.db.transaction() as s:
        assert objectives.list_objectives(s, world.workspace_id) == []


@pytest.mark.parametrize(("values", "message"), [
    ({"metric": "happiness", "target": "1"}, "unknown metric"),
    ({"metric": "csat"}, "target is required"),
    ({"metric": "csat", "target": "abc"}, "target must be a number"),
    ({"metric": "csat", "target": "nan"}, "target must be a number"),
    ({"metric": "csat", "target": "150"}, "between 0 and 100%"),
    ({"metric": "csat", "target": "0"}, "between 0 and 100%"),
    ({"metric": "first_response_median", "target": "-5"}, "between 1 second and 90 days"),
    ({"metric": "first_response_within", "target": "90"}, "time limit is required"),
    ({"metric": "first_response_within", "target": "90", "threshold_seconds": "5"}, "between 1 minute"),
    ({"metric": "csat", "target": "80", "intent": "rant"}, "unknown intent"),
    ({"metric": "csat", "target": "80", "network": "<x>"}, "unknown network"),
    ({"metric": "csat", "target": "80", "clock": "lunar"}, "business or calendar"),
    ({"metric": "csat", "target": "80", "name": "x" * 121}, "at most 120"),
    ({"metric": ["csat"], "target": "80"}, "metric is not valid"),
    ({"metric": "csat", "target": True}, "target must be a number"),
])
def test_bad_input_is_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        objectives.check(values)


def test_targets_and_defaults() -> None:
    assert objectives.check({"metric": "csat", "target": "85,5"}).target == pytest.approx(85.5)
    assert objectives.check({"metric": "response_rate", "target": 80}).target == 80
    median = objectives.check({"metric": "first_response_median", "target": "1800", "threshold_seconds": "60"})
    assert (median.target, median.threshold_seconds, median.clock) == (1800, None, "business")


def test_workspaces_do_not_mix(runtime: Runtime, world_factory: Callable[[str], World]) -> None:
    one, two = world_factory("one"), world_factory("two")
    with runtime.db.transaction() as s:
        admin = s.get(User, one.admin.id)
        assert admin is not None
        oid = objectives.create_objective(s, None, actor=admin, values={"metric": "csat", "target": 80}).id
    with runtime.db.transaction() as s:
        other = s.get(User, two.admin.id)
        assert other is not None
        assert objectives.list_objectives(s, two.workspace_id) == []
        with pytest.raises(NotFound):
            objectives.update_objective(s, None, actor=other, objective_id=oid, values={"metric": "csat",
                                                                                          "target": 10})
        with pytest.raises(NotFound):
            objectives.delete_objective(s, None, actor=other, objective_id=oid)
        assert [o.id for o in objectives.list_objectives(s, one.workspace_id)] == [oid]


def test_too_many(runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        for _ in range(objectives.MAX_OBJECTIVES):
            objectives.create_objective(s, None, actor=admin, values={"metric": "csat", "target": 80})
        with pytest.raises(Invalid, match="at most 50"):
            objectives.create_objective(s, None, actor=admin, values={"metric": "csat", "target": 80})


def test_assess() -> None:
    share = Objective(metric="response_rate", target=80)
    time = Objective(metric="first_response_median", target=1800)
    assert objectives.assess(share, 80).met is True
    assert objectives.assess(share, 79.9).met is False
    assert objectives.assess(time, 1800).met is True
    assert objectives.assess(time, 1801).met is False
    none = objectives.assess(share, None, 0)
    assert (none.actual, none.met) == (None, None)
