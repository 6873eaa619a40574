"""Objectives the supervisor sets (issue 15): "first response within 1 h for 90% of complaints", "response rate at
least 80%", "CSAT at least 85%", "median first response under 30 min"...

Writes (``create_objective``, ``update_objective``, ``delete_objective``) validate untrusted input (``Invalid`` → 422),
write the row, and record the audit row and the ``SettingsChanged`` event (:func:`compris.audit.record`); they never
commit. Reads (``list_objectives``, ``get_objective``) are scoped to the workspace. How an objective compares with
the actual figure of a period is :func:`assess` (the figure itself comes from :mod:`compris.analytics.queries`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import audit
from compris.kit.errors import Invalid, NotFound
from compris.live import Publisher
from compris.models import Objective, ObjectiveMetric, User
from compris.triage.labels import INTENTS

#: Shares are percentages (0–100, as the figures give them) where higher is better; times are seconds where lower
#: is better.
SHARES: frozenset[str] = frozenset({
    ObjectiveMetric.FIRST_RESPONSE_WITHIN, ObjectiveMetric.RESPONSE_RATE, ObjectiveMetric.ANSWERED_WITHIN,
    ObjectiveMetric.SLA_ATTAINMENT, ObjectiveMetric.CSAT,
})
TIMES: frozenset[str] = frozenset({
    ObjectiveMetric.FIRST_RESPONSE_MEDIAN, ObjectiveMetric.FIRST_RESPONSE_P90, ObjectiveMetric.RESOLUTION_MEDIAN,
})
#: The metrics measured on a clock (business or calendar hours).
TIMED: frozenset[str] = TIMES | {ObjectiveMetric.FIRST_RESPONSE_WITHIN, ObjectiveMetric.ANSWERED_WITHIN}
CLOCKS = ("business", "calendar")
MAX_OBJECTIVES = 50
MAX_SECONDS = 90 * 86400
FIELDS = ("name", "metric", "target", "threshold_seconds", "intent", "network", "clock", "position")


@dataclass(frozen=True)
class ObjectiveInput:
    """An objective's fields, checked (see :func:`check`)."""

    name: str
    metric: str
    target: float
    threshold_seconds: int | None
    intent: str | None
    network: str | None
    clock: str
    position: int


def higher_is_better(metric: str) -> bool:
    return metric in SHARES


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise Invalid.of("%(field)s is not valid", field=key)
    return str(value).strip()


def _number(values: Mapping[str, Any], key: str) -> float | None:
    raw = values.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise Invalid.of("%(field)s must be a number", field=key)
    try:
        value = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError) as exc:
        raise Invalid.of("%(field)s must be a number", field=key) from exc
    if not math.isfinite(value):
        raise Invalid.of("%(field)s must be a number", field=key)
    return value


def check(values: Mapping[str, Any]) -> ObjectiveInput:
    """Validate an objective's fields (untrusted: a form or a JSON body).

    ``target``: for a share, a percentage (``90`` for 90 %); for a time, seconds. ``threshold_seconds``: the time
    limit of ``first_response_within`` (required) and ``answered_within`` (1 h when not given); else ignored.
    """
    metric = _text(values, "metric")
    if metric not in {m.value for m in ObjectiveMetric}:
        raise Invalid.of("unknown metric %(metric)s", metric=metric[:40])
    target = _number(values, "target")
    if target is None:
        raise Invalid("target is required")
    if metric in SHARES:
        if not 0 < target <= 100:
            raise Invalid("a share's target is between 0 and 100%")
    elif not 0 < target <= MAX_SECONDS:
        raise Invalid("a time's target is between 1 second and 90 days")
    threshold: int | None = None
    if metric in (ObjectiveMetric.FIRST_RESPONSE_WITHIN, ObjectiveMetric.ANSWERED_WITHIN):
        raw = _number(values, "threshold_seconds")
        if raw is None and metric == ObjectiveMetric.ANSWERED_WITHIN:
            raw = 3600
        if raw is None:
            raise Invalid("a time limit is required for this objective")
        if not 60 <= raw <= MAX_SECONDS:
            raise Invalid("the time limit is between 1 minute and 90 days")
        threshold = round(raw)
    intent = _text(values, "intent") or None
    if intent is not None and intent not in INTENTS:
        raise Invalid.of("unknown intent %(intent)s", intent=intent[:40])
    network = _text(values, "network") or None
    if network is not None and (len(network) > 32 or not network.replace("_", "").replace("-", "").isalnum()):
        raise Invalid("unknown network")
    clock = _text(values, "clock") or "business"
    if clock not in CLOCKS:
        raise Invalid("clock is business or calendar")
    name = _text(values, "name")
    if len(name) > 120:
        raise Invalid("the name is at most 120 characters")
    position_raw = _number(values, "position")
    position = int(position_raw) if position_raw is not None else 0
    if not 0 <= position <= 1000:
        raise Invalid("position is between 0 and 1000")
    return ObjectiveInput(name=name, metric=metric, target=target, threshold_seconds=threshold, intent=intent,
                          network=network, clock=clock, position=position)


# --- reads ---------------------------------------------------------------------------------------------------------

def list_objectives(session: Session, workspace_id: int) -> list[Objective]:
    return list(session.scalars(
        select(Objective).where(Objective.workspace_id == workspace_id).order_by(Objective.position, Objective.id)))


def get_objective(session: Session, workspace_id: int, objective_id: int) -> Objective:
    row = session.get(Objective, objective_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("no such objective")
    return row


# --- writes --------------------------------------------------------------------------------------------------------

def create_objective(session: Session, publisher: Publisher | None, *, actor: User,
                     values: Mapping[str, Any]) -> Objective:
    clean = check(values)
    existing = session.scalar(select(func.count()).select_from(Objective)
                              .where(Objective.workspace_id == actor.workspace_id)) or 0
    if existing >= MAX_OBJECTIVES:
        raise Invalid.of("at most %(n)s objectives", n=MAX_OBJECTIVES)
    row = Objective(workspace_id=actor.workspace_id, created_by_user_id=actor.id,
                    **{key: getattr(clean, key) for key in FIELDS})
    session.add(row)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="objective",
                 action="created", entity_id=row.id, changes=FIELDS)
    return row


def update_objective(session: Session, publisher: Publisher | None, *, actor: User, objective_id: int,
                     values: Mapping[str, Any]) -> Objective:
    """Replace an objective's fields (missing optional ones are cleared, as a form sends them); audited with the
    names of the fields that changed (no row, no event when nothing did)."""
    row = get_objective(session, actor.workspace_id, objective_id)
    clean = check(values)
    changed = [key for key in FIELDS if getattr(row, key) != getattr(clean, key)]
    for key in changed:
        setattr(row, key, getattr(clean, key))
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="objective",
                 action="updated", entity_id=row.id, changes=changed)
    return row


def delete_objective(session: Session, publisher: Publisher | None, *, actor: User, objective_id: int) -> None:
    row = get_objective(session, actor.workspace_id, objective_id)
    row_id = row.id
    session.delete(row)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="objective",
                 action="deleted", entity_id=row_id)


# --- against the actual --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Assessment:
    """An objective against the actual figure of a period: ``met`` is None without an actual (no data)."""

    objective: Objective
    actual: float | None
    met: bool | None
    measured: int  # how many cases or messages the actual is measured over (0: no data)


def assess(objective: Objective, actual: float | None, measured: int = 0) -> Assessment:
    if actual is None:
        return Assessment(objective, None, None, measured)
    met = actual >= objective.target if higher_is_better(objective.metric) else actual <= objective.target
    return Assessment(objective, actual, met, measured)
