"""Reads of listening's alerts, always scoped to a workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris.models import Alert, AlertKind, Case, Message

KINDS = (AlertKind.SPIKE, AlertKind.REACH, AlertKind.CLUSTER)
STATES = ("open", "acknowledged", "all")


def alerts(session: Session, workspace_id: int, *, state: str = "all", kind: str | None = None,
           limit: int = 100, before_id: int | None = None) -> list[Alert]:
    """The workspace's alerts, newest first (``state``: open — not acknowledged —, acknowledged, all)."""
    stmt = select(Alert).where(Alert.workspace_id == workspace_id)
    if state == "open":
        stmt = stmt.where(Alert.acknowledged_at.is_(None))
    elif state == "acknowledged":
        stmt = stmt.where(Alert.acknowledged_at.is_not(None))
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if before_id is not None:
        stmt = stmt.where(Alert.id < before_id)
    return list(session.scalars(stmt.order_by(Alert.id.desc()).limit(limit)))


def alert(session: Session, workspace_id: int, alert_id: int) -> Alert | None:
    row = session.get(Alert, alert_id)
    return row if row is not None and row.workspace_id == workspace_id else None


def case_alerts(session: Session, workspace_id: int, case_id: int) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.workspace_id == workspace_id, Alert.case_id == case_id)
                                .order_by(Alert.id.desc())))


def high_reach_cases(session: Session, workspace_id: int, case_ids: Sequence[int]) -> set[int]:
    """Which of ``case_ids`` have a high-reach alert (the inbox's badge)."""
    if not case_ids:
        return set()
    found = session.scalars(select(Alert.case_id).where(
        Alert.workspace_id == workspace_id, Alert.kind == AlertKind.REACH, Alert.case_id.in_(list(case_ids))))
    return {int(c) for c in found if c is not None}


def open_count(session: Session, workspace_id: int) -> int:
    return int(session.scalar(select(func.count(Alert.id)).where(
        Alert.workspace_id == workspace_id, Alert.acknowledged_at.is_(None))) or 0)


@dataclass(frozen=True)
class Sample:
    message_id: int
    case_number: int
    text: str
    sent_at: Any


def samples(session: Session, workspace_id: int, rows: Sequence[Alert]) -> dict[int, list[Sample]]:
    """The sample messages of spike alerts, read now (a message erased since is left out)."""
    wanted = {int(s["message_id"]) for a in rows for s in (a.data or {}).get("samples", [])}
    if not wanted:
        return {}
    found = {m.id: (m, int(n)) for m, n in session.execute(
        select(Message, Case.number).join(Case, Case.id == Message.case_id)
        .where(Message.workspace_id == workspace_id, Message.id.in_(wanted), Message.deleted_at.is_(None)))}
    out: dict[int, list[Sample]] = {}
    for a in rows:
        got = []
        for s in (a.data or {}).get("samples", []):
            hit = found.get(int(s["message_id"]))
            if hit is not None:
                got.append(Sample(hit[0].id, hit[1], hit[0].text, hit[0].sent_at))
        out[a.id] = got
    return out
