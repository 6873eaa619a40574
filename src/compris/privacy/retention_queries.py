"""Reads of retention: the workspace's periods, what is due for removal at a given time, and the preview.

**What is due** (``at``: the run's time; ``cutoff = at - N days``; "older than N days" is strictly before the
cutoff, so a row exactly N days old stays until the next run):

* **messages** (``messages_days``): a message created before the cutoff, whose case is *resolved* or *closed*
  and has had no activity since the cutoff (so a case reopened, even briefly, keeps its conversation for another
  full period), and whose content is not removed yet. An active case's messages are never due.
* **attachments** (``attachments_days``): a stored file (an upload a message carries) first stored before the
  cutoff whose message's case is resolved or closed, and every file of a message whose content is due (a
  message's files are part of its content). Files of active cases, files held by an escalation without a
  message, and an abandoned draft's files (the hourly ``uploads.purge_orphans`` deletes them) are not.
* **raw events** (``raw_events_days``): a delivery *processed* before the cutoff; a delivery set aside
  (*unprocessable*) only when older than both the cutoff and :data:`SET_ASIDE_MIN_DAYS` (an admin replays
  those after a fix); a *pending* one never.
* **audit entries** (``audit_days``): entries recorded before the cutoff and before the first entry kept in the
  chain's order (``compris.auditlog.actions.purge_before`` deletes them and anchors the hash chain where it now
  starts).

The preview and the run use the same conditions (:func:`messages_due`, :func:`uploads_due`,
:func:`raw_events_due`, :func:`audit_due`): what the page announces is what the next run removes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.models import (
    AuditEntry,
    Case,
    CaseStatus,
    Message,
    RawEvent,
    RawEventStatus,
    RetentionPolicy,
    Upload,
)

#: the kinds a run removes, in the order of :class:`Counts` and of the page
KINDS: tuple[str, ...] = ("messages", "attachments", "raw_events", "audit_entries")
#: each kind's field on :class:`~compris.models.RetentionPolicy`
FIELDS: dict[str, str] = {"messages": "messages_days", "attachments": "attachments_days",
                          "raw_events": "raw_events_days", "audit_entries": "audit_days"}
#: the shortest period each kind accepts (days). Messages: 30 — a resolved case is reopened when the customer
#: writes again, its satisfaction survey is answered and its escalation closed in the weeks after, and agents need
#: the conversation then (the reports never depend on it: the rows, times and triage labels stay). Attachments: 7.
#: Raw events: 1 (a delivery is replayable for at least a day). Audit entries: 30 (an investigation needs a month).
MINIMUM_DAYS: dict[str, int] = {"messages_days": 30, "attachments_days": 7, "raw_events_days": 1, "audit_days": 30}
#: the longest period accepted (about a hundred years; longer: leave it empty, kept for ever)
MAXIMUM_DAYS = 36500
#: a delivery set aside as unprocessable is kept at least this long, whatever the raw events' period
SET_ASIDE_MIN_DAYS = 30
CLOSED_STATUSES = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)


@dataclass(frozen=True)
class Periods:
    """A workspace's periods, in days (None: kept for ever)."""

    messages_days: int | None = None
    attachments_days: int | None = None
    raw_events_days: int | None = None
    audit_days: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)

    def any(self) -> bool:
        return any(v is not None for v in self.as_dict().values())

    @classmethod
    def of(cls, policy: RetentionPolicy | None) -> Periods:
        if policy is None:
            return cls()
        return cls(messages_days=policy.messages_days, attachments_days=policy.attachments_days,
                   raw_events_days=policy.raw_events_days, audit_days=policy.audit_days)


@dataclass(frozen=True)
class Cutoffs:
    """What is older than these is due (None: that kind is kept for ever)."""

    at: datetime
    messages: datetime | None
    attachments: datetime | None
    raw_events: datetime | None
    set_aside: datetime | None
    audit: datetime | None


@dataclass
class Counts:
    """How many rows of each kind a run removed (or would remove)."""

    messages: int = 0
    attachments: int = 0
    raw_events: int = 0
    audit_entries: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in asdict(self).items()}

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


@dataclass(frozen=True)
class Due:
    """One kind in the preview: its period, how many rows the next run removes and the oldest one's date."""

    kind: str
    days: int | None
    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class Preview:
    at: datetime
    items: tuple[Due, ...]

    def counts(self) -> Counts:
        return Counts(**{d.kind: d.count for d in self.items})

    def of(self, kind: str) -> Due:
        return next(d for d in self.items if d.kind == kind)


def policy_of(session: Session, workspace_id: int) -> RetentionPolicy | None:
    return session.scalar(select(RetentionPolicy).where(RetentionPolicy.workspace_id == workspace_id))


def periods_of(session: Session, workspace_id: int) -> Periods:
    return Periods.of(policy_of(session, workspace_id))


def workspaces_with_policy(session: Session) -> list[int]:
    """The workspaces that keep at least one kind for a limited time."""
    return [int(ws) for ws in session.scalars(
        select(RetentionPolicy.workspace_id).where(or_(
            RetentionPolicy.messages_days.is_not(None), RetentionPolicy.attachments_days.is_not(None),
            RetentionPolicy.raw_events_days.is_not(None), RetentionPolicy.audit_days.is_not(None)))
        .order_by(RetentionPolicy.workspace_id))]


def cutoffs(periods: Periods, at: datetime) -> Cutoffs:
    def before(days: int | None) -> datetime | None:
        return at - timedelta(days=days) if days is not None else None

    raw = periods.raw_events_days
    return Cutoffs(at=at, messages=before(periods.messages_days), attachments=before(periods.attachments_days),
                   raw_events=before(raw), set_aside=before(max(raw, SET_ASIDE_MIN_DAYS) if raw is not None else None),
                   audit=before(periods.audit_days))


def messages_due(workspace_id: int, cutoff: datetime) -> list[ColumnElement[bool]]:
    """Messages whose content is due for removal (see the module's docstring)."""
    quiet_closed_cases = select(Case.id).where(Case.workspace_id == workspace_id, Case.status.in_(CLOSED_STATUSES),
                                               Case.last_activity_at < cutoff)
    return [Message.workspace_id == workspace_id, Message.content_removed_at.is_(None), Message.created_at < cutoff,
            Message.case_id.in_(quiet_closed_cases)]


def uploads_due(workspace_id: int, c: Cutoffs) -> list[ColumnElement[bool]] | None:
    """Stored files due for removal: old enough in a closed case, or carried by a message whose content is due;
    None when neither period is set."""
    reasons: list[ColumnElement[bool]] = []
    if c.attachments is not None:
        of_closed_cases = (select(Message.id).join(Case, Case.id == Message.case_id)
                           .where(Case.workspace_id == workspace_id, Case.status.in_(CLOSED_STATUSES)))
        reasons.append(and_(Upload.created_at < c.attachments, Upload.message_id.in_(of_closed_cases)))
    if c.messages is not None:
        reasons.append(Upload.message_id.in_(select(Message.id).where(*messages_due(workspace_id, c.messages))))
    if not reasons:
        return None
    return [Upload.workspace_id == workspace_id, Upload.message_id.is_not(None), or_(*reasons)]


def raw_events_due(workspace_id: int, c: Cutoffs) -> list[ColumnElement[bool]] | None:
    if c.raw_events is None or c.set_aside is None:
        return None
    return [RawEvent.workspace_id == workspace_id, RawEvent.created_at < c.raw_events,
            or_(RawEvent.status == RawEventStatus.PROCESSED.value,
                and_(RawEvent.status == RawEventStatus.UNPROCESSABLE.value, RawEvent.created_at < c.set_aside))]


def audit_due(workspace_id: int, c: Cutoffs) -> list[ColumnElement[bool]] | None:
    """The entries the audit log's purge removes: recorded before the cutoff and before (in the chain's order, which
    is the ids' order) the first entry it keeps, so that the chain stays one piece."""
    if c.audit is None:
        return None
    first_kept = (select(func.min(AuditEntry.id))
                  .where(AuditEntry.workspace_id == workspace_id, AuditEntry.at >= c.audit).scalar_subquery())
    return [AuditEntry.workspace_id == workspace_id, AuditEntry.at < c.audit,
            or_(first_kept.is_(None), AuditEntry.id < first_kept)]


def _due(session: Session, kind: str, days: int | None, column: Any,
         where: list[ColumnElement[bool]] | None) -> Due:
    if where is None:
        return Due(kind, days, 0, None)
    count, oldest = session.execute(select(func.count(), func.min(column)).where(*where)).one()
    return Due(kind, days, int(count or 0), oldest)


def preview(session: Session, workspace_id: int, *, at: datetime | None = None,
            periods: Periods | None = None) -> Preview:
    """What a run at ``at`` (default: now) would remove, per kind: how many rows and the oldest one's date."""
    at = at or now()
    p = periods if periods is not None else periods_of(session, workspace_id)
    c = cutoffs(p, at)
    return Preview(at=at, items=(
        _due(session, "messages", p.messages_days, Message.created_at,
             messages_due(workspace_id, c.messages) if c.messages is not None else None),
        _due(session, "attachments", p.attachments_days, Upload.created_at, uploads_due(workspace_id, c)),
        _due(session, "raw_events", p.raw_events_days, RawEvent.created_at, raw_events_due(workspace_id, c)),
        _due(session, "audit_entries", p.audit_days, AuditEntry.at, audit_due(workspace_id, c)),
    ))
