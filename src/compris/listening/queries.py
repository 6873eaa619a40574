"""queries of listening (filled in by its issue)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.errors import NotFound
from compris.listening import incident_queries as incidents  # noqa: F401  (re-exported: the incidents' reads)
from compris.models import BulkItem, BulkRun, Case, DeliveryState, Message, User

# --- bulk operations (li-bulk) ---------------------------------------------------------------------------------

#: delivery states that count as "the network did not take it" in a bulk reply's progress
SEND_PROBLEMS = (DeliveryState.FAILED, DeliveryState.UNCERTAIN)


@dataclass
class BulkOutcome:
    """One case of a bulk run: its item's state and reason, and the reply it queued with its delivery state."""

    case_id: int
    case_number: int
    state: str
    reason: str | None
    message_id: int | None
    delivery: str | None


@dataclass
class BulkProgress:
    run: BulkRun
    actor: User | None
    pending: int
    done: int
    skipped: int
    failed: int
    sent: int
    send_failed: int
    outcomes: list[BulkOutcome]

    @property
    def settled(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.settled / self.run.total) if self.run.total else 100

    @property
    def in_flight(self) -> int:
        """Replies queued and not yet settled (queued, sending, retrying): the progress keeps following them."""
        return sum(1 for o in self.outcomes if o.delivery in (DeliveryState.QUEUED, DeliveryState.SENDING,
                                                               DeliveryState.RETRYING))

    @property
    def following(self) -> bool:
        """Whether the progress is still moving: the run works its cases, or its replies are being sent."""
        return self.run.state == "running" or self.in_flight > 0

    @property
    def problems(self) -> list[BulkOutcome]:
        """The cases to look at: skipped, failed, or whose reply the network refused (or may not have taken)."""
        return [o for o in self.outcomes if o.state in ("skipped", "failed") or o.delivery in SEND_PROBLEMS]


def get_bulk_run(session: Session, workspace_id: int, run_id: int) -> BulkRun:
    run = session.scalar(select(BulkRun).where(BulkRun.workspace_id == workspace_id, BulkRun.id == run_id))
    if run is None:
        raise NotFound("no such bulk operation")
    return run


def bulk_progress(session: Session, workspace_id: int, run_id: int) -> BulkProgress:
    """A run's progress: its items per state, its replies' deliveries, each case's outcome (in one query)."""
    run = get_bulk_run(session, workspace_id, run_id)
    rows = session.execute(
        select(BulkItem.case_id, Case.number, BulkItem.state, BulkItem.error, BulkItem.message_id,
               Message.delivery_state)
        .join(Case, Case.id == BulkItem.case_id)
        .outerjoin(Message, Message.id == BulkItem.message_id)
        .where(BulkItem.workspace_id == workspace_id, BulkItem.run_id == run.id)
        .order_by(BulkItem.id))
    outcomes = [BulkOutcome(int(cid), int(num), str(state), err, mid, str(dstate) if dstate else None)
                for cid, num, state, err, mid, dstate in rows]
    count = {s: 0 for s in ("pending", "done", "skipped", "failed")}
    for o in outcomes:
        count[o.state] = count.get(o.state, 0) + 1
    sent = sum(1 for o in outcomes if o.delivery in (DeliveryState.SENT, DeliveryState.DELIVERED,
                                                       DeliveryState.READ))
    send_failed = sum(1 for o in outcomes if o.delivery in SEND_PROBLEMS)
    actor = session.get(User, run.actor_user_id) if run.actor_user_id else None
    return BulkProgress(run, actor, count["pending"], count["done"], count["skipped"], count["failed"], sent,
                        send_failed, outcomes)


def recent_bulk_runs(session: Session, workspace_id: int, *, limit: int = 10) -> list[BulkRun]:
    return list(session.scalars(select(BulkRun).where(BulkRun.workspace_id == workspace_id)
                                .order_by(BulkRun.id.desc()).limit(limit)))
