"""Retention: the workspace's periods (:func:`save_policy`) and the run that removes what is due (:func:`apply`).

What is due is defined once, in :mod:`compris.privacy.retention_queries` (the preview uses the same conditions).
A run works kind by kind in batches of at most ``batch`` rows, each batch its own transaction, with set-based
``UPDATE``/``DELETE`` statements that check the conditions again: an interrupted run leaves every batch it
committed done and the next run goes on from there; a second run finds nothing left (idempotent).

* **attachments** first: the upload rows are deleted, the attachment entry of the message that carried each one
  is marked ``{"state": "removed", "reason": "retention"}`` (its link and download go; the case page says
  "Attachment removed under the retention policy"), then, after the commit, each file is deleted from the uploads
  folder unless another upload row of the workspace still names the same bytes (the store is content-addressed).
* **messages**: the content goes — text, attachments' names, links and sizes (each becomes a removed marker of
  its kind), the author's identity link, the permalink, a delivery error, the personal data triage found, and the
  copies of the text elsewhere (a triage correction's training text, the clustering's signature and vector) —
  while the row stays with its case, direction, visibility, times, delivery state, author agent, language and
  triage labels (intent, sentiment, topic, urgency...): SLA figures, reports and ``compris analytics rebuild``
  give the same numbers after as before. A case whose every message lost its content loses its preview line
  (and the personal data in its triage); its number, status, subject, tags and timeline stay.
* **raw events**: deleted (a message keeps its row; its link to the delivery is emptied by the foreign key).
* **audit entries**: ``compris.auditlog.actions.purge_before`` deletes them and anchors the hash chain.

Each run records ``last_run_at`` and ``last_run`` (the counts) on the policy and emits
:class:`~compris.events.RetentionApplied` (the audit log records it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.db import Database
from compris.events import RetentionApplied, RetentionPolicyChanged
from compris.inbox import search
from compris.kit import origin
from compris.kit.clock import now
from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.models import Case, ClusterItem, Message, RawEvent, RetentionPolicy, TriageCorrection, Upload, User
from compris.privacy import retention_queries as q
from compris.privacy.retention_queries import Counts, Periods
from compris.uploads import store
from compris.worker.queue import enqueue

log = logging.getLogger(__name__)

#: the daily job (``privacy/tasks.py``)
JOB = "privacy.retention"
#: rows per transaction
BATCH = 1000
#: the triage keys removed with a message's content (the labels the reports read stay)
TRIAGE_CONTENT_KEYS = frozenset({"personal_data", "notes"})
REMOVED = {"state": "removed", "reason": "retention"}


class PeriodInvalid(Invalid):
    """A period the policy refuses; ``field`` names it (``messages_days``...)."""

    def __init__(self, field: str, message: str, *, msgid: str, params: Mapping[str, object]) -> None:
        super().__init__(message, msgid=msgid, params=params)
        self.field = field


def check_days(field: str, value: object) -> int | None:
    """``value`` as a period of ``field`` (an integer of days, empty or None: for ever); raises
    :class:`PeriodInvalid` below the kind's minimum, above :data:`~retention_queries.MAXIMUM_DAYS` or not a whole
    number."""
    if field not in q.MINIMUM_DAYS:
        raise Invalid.of("unknown retention period %(field)s", field=field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    minimum = q.MINIMUM_DAYS[field]
    days: int | None = None
    if isinstance(value, bool):
        days = None
    elif isinstance(value, int):
        days = value
    elif isinstance(value, str) and value.strip().isdigit():
        days = int(value.strip())
    if days is None:
        msgid = "enter a whole number of days (at least %(min)s), or leave it empty to keep for ever"
        raise PeriodInvalid(field, msgid % {"min": minimum}, msgid=msgid, params={"min": minimum})
    if days < minimum:
        msgid = ("at least %(min)s days (or leave it empty to keep for ever)" if minimum > 1
                 else "at least %(min)s day (or leave it empty to keep for ever)")
        raise PeriodInvalid(field, msgid % {"min": minimum}, msgid=msgid, params={"min": minimum})
    if days > q.MAXIMUM_DAYS:
        msgid = "at most %(max)s days (or leave it empty to keep for ever)"
        raise PeriodInvalid(field, msgid % {"max": q.MAXIMUM_DAYS}, msgid=msgid, params={"max": q.MAXIMUM_DAYS})
    return days


def check_periods(values: Mapping[str, object]) -> tuple[Periods, dict[str, PeriodInvalid]]:
    """Every period of ``values`` checked: the periods (a refused one as None) and the errors by field."""
    errors: dict[str, PeriodInvalid] = {}
    checked: dict[str, int | None] = {}
    for field in q.MINIMUM_DAYS:
        try:
            checked[field] = check_days(field, values.get(field))
        except PeriodInvalid as exc:
            errors[field] = exc
            checked[field] = None
    return Periods(**checked), errors


def save_policy(session: Session, publisher: Publisher | None, *, actor: User,
                values: Mapping[str, object]) -> RetentionPolicy:
    """Set the workspace's periods (every field of :data:`~retention_queries.MINIMUM_DAYS`; a missing or empty
    one: for ever). Raises :class:`PeriodInvalid` (422) for the first refused period. Records the change (before
    and after) in the timeline and emits :class:`~compris.events.RetentionPolicyChanged`; saving the same
    periods again writes nothing."""
    periods, errors = check_periods(values)
    if errors:
        raise next(iter(errors.values()))
    workspace_id = actor.workspace_id
    policy = q.policy_of(session, workspace_id)
    if policy is None:
        policy = RetentionPolicy(workspace_id=workspace_id)
        session.add(policy)
        session.flush()
    before = Periods.of(policy).as_dict()
    after = periods.as_dict()
    changed = sorted(k for k in after if before[k] != after[k])
    if not changed:
        return policy
    for field, days in after.items():
        setattr(policy, field, days)
    policy.updated_at = now()
    session.flush()
    timeline.settings_changed(session, workspace_id=workspace_id, actor_user_id=actor.id, entity="retention_policy",
                              action="updated", entity_id=policy.id, changes=changed, before=before, after=after)
    bus.emit(session, publisher or Publisher.outside_server(session), RetentionPolicyChanged(
        workspace_id=workspace_id, actor_user_id=actor.id, policy_id=policy.id, before=before, after=after))
    return policy


# --- the run ---------------------------------------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge_audit_before(session: Session, workspace_id: int, before: datetime) -> int:
    """The audit log's own purge (``compris.auditlog.actions.purge_before``): how many entries it deleted."""
    purge: Callable[..., Any] = import_module("compris.auditlog.actions").purge_before
    result = purge(session, workspace_id, before)
    if isinstance(result, int):
        return result
    return int(getattr(result, "removed", 0) or 0)


def _removed_entry(entry: Any) -> dict[str, Any]:
    kind = entry.get("kind") if isinstance(entry, dict) and isinstance(entry.get("kind"), str) else "file"
    return {"kind": kind, **REMOVED}


def _file_removed(entry: dict[str, Any]) -> dict[str, Any]:
    """A message's attachment entry once its file is deleted: what it was (kind, name, type, size), no link."""
    return _removed_entry(entry) | {k: entry[k] for k in ("name", "mime_type", "size") if k in entry}


def _remove_uploads(db: Database, workspace_id: int, c: q.Cutoffs, data_dir: Path, batch: int) -> int:
    where = q.uploads_due(workspace_id, c)
    if where is None:
        return 0
    removed = 0
    while True:
        with db.transaction() as session:
            ids = list(session.scalars(select(Upload.id).where(*where).order_by(Upload.id).limit(batch)))
            rows = list(session.execute(delete(Upload).where(Upload.id.in_(ids), *where)
                                        .returning(Upload.id, Upload.sha256, Upload.message_id)
                                        .execution_options(synchronize_session=False))) if ids else []
            gone = {int(r.id) for r in rows}
            carriers = sorted({int(r.message_id) for r in rows if r.message_id is not None})
            changes = []
            for message_id, attachments in session.execute(
                    select(Message.id, Message.attachments).where(Message.id.in_(carriers))):
                entries = [_file_removed(a) if isinstance(a, dict) and a.get("upload_id") in gone else a
                           for a in attachments or []]
                if entries != attachments:
                    changes.append({"id": message_id, "attachments": entries})
            if changes:
                session.execute(update(Message), changes)
        removed += len(rows)
        for sha in sorted({str(r.sha256) for r in rows}):
            store.discard(data_dir, workspace_id, sha, written_before=c.at,
                          in_use=partial(_named, db, workspace_id, sha))
        if len(ids) < batch:
            return removed


def _named(db: Database, workspace_id: int, sha256: str) -> bool:
    with db.transaction() as session:
        return bool(session.scalar(select(exists().where(Upload.workspace_id == workspace_id,
                                                         Upload.sha256 == sha256))))


def _remove_messages(db: Database, workspace_id: int, cutoff: datetime | None, at: datetime, batch: int) -> int:
    if cutoff is None:
        return 0
    where = q.messages_due(workspace_id, cutoff)
    removed = 0
    while True:
        with db.transaction() as session:
            rows = list(session.execute(select(Message.id, Message.case_id, Message.attachments, Message.triage)
                                        .where(*where).order_by(Message.id).limit(batch)))
            if rows:
                session.execute(update(Message), [{
                    "id": r.id, "text": "", "attachments": [_removed_entry(a) for a in r.attachments or []],
                    "search_text": None, "author_identity_id": None, "permalink": None, "delivery_error": None,
                    "triage": {k: v for k, v in (r.triage or {}).items() if k not in TRIAGE_CONTENT_KEYS},
                    "content_removed_at": at} for r in rows])
                ids = [int(r.id) for r in rows]
                # the copies of the text kept elsewhere: a triage correction's training text, the clustering's
                # word signature and sentence vector of the message
                session.execute(update(TriageCorrection).where(TriageCorrection.message_id.in_(ids))
                                .values(text="").execution_options(synchronize_session=False))
                session.execute(update(ClusterItem).where(ClusterItem.message_id.in_(ids))
                                .values(signature={}, vector=None).execution_options(synchronize_session=False))
                _empty_cases(session, sorted({int(r.case_id) for r in rows}))
                search.forget_erased(session)
        removed += len(rows)
        if len(rows) < batch:
            return removed


def _empty_cases(session: Session, case_ids: list[int]) -> None:
    """The cases among ``case_ids`` whose every message lost its content lose their preview line and the personal
    data of their triage."""
    kept = exists().where(Message.case_id == Case.id, Message.content_removed_at.is_(None))
    rows = list(session.execute(select(Case.id, Case.triage).where(Case.id.in_(case_ids), ~kept)))
    if rows:
        session.execute(update(Case), [{
            "id": r.id, "preview": "",
            "triage": {k: v for k, v in (r.triage or {}).items() if k not in TRIAGE_CONTENT_KEYS}} for r in rows])


def _remove_raw_events(db: Database, workspace_id: int, c: q.Cutoffs, batch: int) -> int:
    where = q.raw_events_due(workspace_id, c)
    if where is None:
        return 0
    removed = 0
    while True:
        with db.transaction() as session:
            ids = list(session.scalars(select(RawEvent.id).where(*where).order_by(RawEvent.id).limit(batch)))
            if ids:
                removed += _rowcount(session.execute(delete(RawEvent).where(RawEvent.id.in_(ids), *where)
                                                     .execution_options(synchronize_session=False)))
        if len(ids) < batch:
            return removed


def _remove_audit(db: Database, workspace_id: int, c: q.Cutoffs) -> int:
    if c.audit is None:
        return 0
    with db.transaction() as session:
        return purge_audit_before(session, workspace_id, c.audit)


@dataclass(frozen=True)
class Run:
    workspace_id: int
    at: datetime
    counts: Counts
    dry_run: bool = False


def apply(db: Database, workspace_id: int, *, data_dir: Path, at: datetime | None = None, batch: int = BATCH,
          dry_run: bool = False, publisher: Publisher | None = None, actor_user_id: int | None = None,
          source: origin.Origin | None = None) -> Run:
    """Remove what the workspace's policy says is due at ``at`` (default: now); with ``dry_run``, only count it
    (the preview). Records the run on the policy and emits :class:`~compris.events.RetentionApplied`, whose
    origin is ``source`` (the job, the CLI, a person's "Run now") and actor ``actor_user_id``."""
    at = at or now()
    with db.transaction() as session:
        periods = q.periods_of(session, workspace_id)
        if dry_run:
            return Run(workspace_id, at, q.preview(session, workspace_id, at=at, periods=periods).counts(), True)
    c = q.cutoffs(periods, at)
    counts = Counts()
    if periods.any():
        counts.attachments = _remove_uploads(db, workspace_id, c, data_dir, batch)
        counts.messages = _remove_messages(db, workspace_id, c.messages, at, batch)
        counts.raw_events = _remove_raw_events(db, workspace_id, c, batch)
        counts.audit_entries = _remove_audit(db, workspace_id, c)
    with db.transaction() as session:
        if source is not None:
            origin.mark(session, source)
        policy = q.policy_of(session, workspace_id)
        if policy is None:  # never set: everything is kept for ever, nothing ran
            return Run(workspace_id, at, counts)
        policy.last_run_at = at
        policy.last_run = counts.as_dict()
        bus.emit(session, publisher or Publisher.outside_server(session), RetentionApplied(
            workspace_id=workspace_id, actor_user_id=actor_user_id, **counts.as_dict()))
    log.info("retention: workspace %d: %s", workspace_id, counts.as_dict())
    return Run(workspace_id, at, counts)


def apply_all(db: Database, *, data_dir: Path, at: datetime | None = None, batch: int = BATCH,
              publisher: Publisher | None = None, source: origin.Origin | None = None) -> list[Run]:
    """:func:`apply` for every workspace that keeps some kind for a limited time."""
    with db.transaction() as session:
        workspaces = q.workspaces_with_policy(session)
    return [apply(db, ws, data_dir=data_dir, at=at, batch=batch, publisher=publisher, source=source)
            for ws in workspaces]


def request_run(session: Session, publisher: Publisher | None, *, actor: User) -> int:
    """Queue a run of the workspace's policy now (an admin's "Run now"), in ``actor``'s name: the job applies it
    in the background (:func:`apply`); returns the job's id."""
    job = enqueue(session, publisher or Publisher.outside_server(session), workspace_id=actor.workspace_id, kind=JOB,
                  payload={"workspace_id": actor.workspace_id, "actor_user_id": actor.id}, max_attempts=3)
    session.flush()
    return int(job.id)
