"""Writes of the audit log: an entry from a domain event (:func:`record`), the sealing of entries into each
workspace's hash chain (:func:`seal`), its verification (:func:`verify`) and the removal of the oldest entries
(:func:`purge_before`, for retention).

The chain: each sealed entry has ``seq`` (1, 2, 3... per workspace, in sealing order), ``prev_hash`` (the previous
entry's ``hash``; 64 zeros for the first) and ``hash = sha256(prev_hash + canonical JSON of the entry's content)``
(:func:`content`: every column but ``prev_hash`` and ``hash``, ``seq`` included). Entries are written unsealed in
their event's transaction (no lock on the hot path); the sealing job (every 10 s) takes the unsealed ones in id
order under a per-workspace lock. An entry committed late (a lower id) is simply sealed later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, text
from sqlalchemy.orm import Session

from compris.auditlog import changes, describe
from compris.events import DomainEvent, SettingsChanged
from compris.kit import origin
from compris.kit.clock import now
from compris.models import AuditAnchor, AuditEntry, Case, User

GENESIS = "0" * 64
#: entries sealed per statement batch
BATCH = 1000
#: the advisory lock's class (PostgreSQL's two-key form): "AUDT"
LOCK_CLASS = 0x41554454

#: events never recorded: the raw inbound message (a customer's words, before it is even stored)
NEVER = frozenset({"InboundScreened"})
#: events recorded even without an actor (administrative or privacy-relevant)
ALWAYS = frozenset({"SettingsChanged", "UserSignedIn", "UserSignedOut", "LoginFailed"})
ADMIN_WORDS = re.compile(r"Eras|Retention|Invitation|Password|Token|Workspace|Deletion|Export|Purge|Anonymi")
#: how a person acts without being a signed-in user (the command line, a signed link)
PERSON_VIA = frozenset({"cli", "link"})
#: event fields never copied into an entry (message contents, connector payloads, a call's returned fields)
OMITTED = frozenset({"workspace_id", "actor_user_id", "message", "claims", "result", "body", "text", "html"})


def audited(event: DomainEvent, via: str) -> bool:
    """Whether ``event`` makes an audit entry. The rule: what a person did (an actor, or a person acting through
    the command line or a signed link), and what matters to an administrator even when the system did it (settings
    changes, sign-ins, erasures, retention runs, invitations, tokens, workspaces); never the system's own work
    (a customer's message arriving, SLA clocks, deliveries, clustering, alerts) nor the raw inbound message."""
    name = type(event).__name__
    if name in NEVER:
        return False
    if event.actor_user_id is not None or name in ALWAYS or ADMIN_WORDS.search(name):
        return True
    return via in PERSON_VIA


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _subject(event: DomainEvent, fields: dict[str, Any]) -> tuple[str, int | None, str]:
    """(entity, entity_id, action) of a non-settings event."""
    name = _snake(type(event).__name__)
    for entity, key in (("case", "case_id"), ("incident", "incident_id"), ("contact", "target_contact_id"),
                        ("user", "user_id"), ("bulk_run", "run_id")):
        value = fields.get(key)
        if isinstance(value, int):
            action = name[len(entity) + 1:] if name.startswith(entity + "_") else name
            return entity, value, action
    if name.startswith("user_"):
        return "user", event.actor_user_id, name[5:]
    return "", None, name


def actor_label(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = session.get(User, user_id)
    return f"{user.name} <{user.email}>"[:300] if user is not None else f"user {user_id}"


def record(session: Session, event: DomainEvent) -> AuditEntry | None:
    """The audit entry of ``event`` (``None``: not audited, see :func:`audited`), added to the session."""
    where = origin.of(session)
    if not audited(event, where.via):
        return None
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name not in OMITTED}
    data: dict[str, Any] = changes.json_safe(fields)
    case_id = fields.get("case_id") if isinstance(fields.get("case_id"), int) else None
    contact_id = next((fields[k] for k in ("contact_id", "target_contact_id") if isinstance(fields.get(k), int)),
                      None)
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is not None:
            data["case_number"] = case.number
            contact_id = contact_id or case.contact_id
    if isinstance(event, SettingsChanged):
        entity, entity_id, action = event.entity, event.entity_id, event.action
        data.pop("entity", None)
        data.pop("entity_id", None)
        data.pop("action", None)
        found = changes.before_after(session, entity, entity_id, event.workspace_id)
        if found is not None:
            data.update(found)
    else:
        entity, entity_id, action = _subject(event, fields)
    msgid, params = describe.phrase(type(event).__name__, entity, entity_id, action, data)
    entry = AuditEntry(
        workspace_id=event.workspace_id, at=now(), actor_user_id=event.actor_user_id,
        actor_label=actor_label(session, event.actor_user_id), via=where.via[:16], ip=where.ip,
        ref=(where.ref or None) and where.ref[:64], request_id=where.request_id, event=type(event).__name__[:64],
        entity=entity[:64], entity_id=entity_id, action=action[:64], case_id=case_id, contact_id=contact_id,
        summary=describe.english(msgid, params)[:500], data=data)
    session.add(entry)
    return entry


# --- the chain -------------------------------------------------------------------------------------------------


def _at(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content(entry: AuditEntry) -> dict[str, Any]:
    """What an entry's hash covers: every column but the chain's own hashes."""
    return {
        "id": entry.id, "workspace_id": entry.workspace_id, "seq": entry.seq, "at": _at(entry.at),
        "actor_user_id": entry.actor_user_id, "actor_label": entry.actor_label, "via": entry.via, "ip": entry.ip,
        "ref": entry.ref, "request_id": entry.request_id, "event": entry.event, "entity": entry.entity,
        "entity_id": entry.entity_id, "action": entry.action, "case_id": entry.case_id,
        "contact_id": entry.contact_id, "summary": entry.summary, "data": entry.data,
    }


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical(content(entry))).encode()).hexdigest()


def _in(workspace_id: int | None) -> ColumnElement[bool]:
    return AuditEntry.workspace_id.is_(None) if workspace_id is None else AuditEntry.workspace_id == workspace_id


def _anchor(session: Session, workspace_id: int | None) -> AuditAnchor | None:
    where = AuditAnchor.workspace_id.is_(None) if workspace_id is None else AuditAnchor.workspace_id == workspace_id
    return session.scalar(select(AuditAnchor).where(where).order_by(AuditAnchor.seq.desc(), AuditAnchor.id.desc())
                          .limit(1))


def _lock(session: Session, workspace_id: int | None) -> None:
    """One sealer (or purge) per workspace at a time: a transaction-level advisory lock on PostgreSQL; SQLite has one
    writer at a time (every transaction here is BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:c AS integer), CAST(:o AS integer))"),
                        {"c": LOCK_CLASS, "o": workspace_id or 0})


def _head(session: Session, workspace_id: int | None) -> tuple[int, str]:
    """The chain's last (seq, hash): its last sealed entry, or the anchor retention left, or the start."""
    row = session.execute(select(AuditEntry.seq, AuditEntry.hash).where(_in(workspace_id),
                                                                        AuditEntry.seq.is_not(None))
                          .order_by(AuditEntry.seq.desc()).limit(1)).first()
    anchor = _anchor(session, workspace_id)
    if row is not None and row[0] is not None and (anchor is None or row[0] > anchor.seq):
        return int(row[0]), str(row[1] or "")
    if anchor is not None:
        return anchor.seq, anchor.hash
    return 0, GENESIS


def seal(session: Session, workspace_id: int | None) -> int:
    """Seal the workspace's unsealed entries, in id order: how many."""
    _lock(session, workspace_id)
    seq, prev = _head(session, workspace_id)
    sealed = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(_in(workspace_id), AuditEntry.seq.is_(None))
                               .order_by(AuditEntry.id).limit(BATCH)).all()
        if not rows:
            return sealed
        for entry in rows:
            seq += 1
            entry.seq = seq
            entry.prev_hash = prev
            entry.hash = prev = digest(prev, entry)
        session.flush()
        sealed += len(rows)


def workspaces_to_seal(session: Session) -> list[int | None]:
    """The workspaces (``None``: the instance) with unsealed entries."""
    return list(session.scalars(select(AuditEntry.workspace_id).where(AuditEntry.seq.is_(None)).distinct()))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    #: entries checked
    checked: int
    #: the last seq checked and found sound (0: none)
    verified_to: int
    #: where the chain starts (retention's anchor; 0: the first entry)
    anchor_seq: int = 0
    #: the first seq found broken, and why: ``missing`` (an entry deleted), ``linked`` (its prev_hash is not the
    #: previous entry's hash: an entry inserted or replaced) or ``altered`` (its content changed)
    broken_seq: int | None = None
    reason: str = ""
    at: datetime = dataclasses.field(default_factory=now)


_results: dict[int | None, VerifyResult] = {}
_results_lock = threading.Lock()


def last_result(workspace_id: int | None) -> VerifyResult | None:
    """The last verification's result for this workspace in this process (``None``: none yet)."""
    with _results_lock:
        return _results.get(workspace_id)


def forget_results() -> None:
    """Forget the kept results (tests: another test's workspace may have had the same id)."""
    with _results_lock:
        _results.clear()


def verify(session: Session, workspace_id: int | None) -> VerifyResult:
    """Walk the workspace's chain from its anchor (or its first entry) and recompute every hash."""
    anchor = _anchor(session, workspace_id)
    start, prev = (anchor.seq, anchor.hash) if anchor is not None else (0, GENESIS)
    expected, checked, result = start + 1, 0, None
    while result is None:
        rows = session.scalars(select(AuditEntry).where(_in(workspace_id), AuditEntry.seq >= expected)
                               .order_by(AuditEntry.seq).limit(BATCH)).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected:
                result = ("missing", expected)
            elif entry.prev_hash != prev:
                result = ("linked", expected)
            elif entry.hash != digest(prev, entry):
                result = ("altered", expected)
            if result is not None:
                break
            prev = entry.hash or ""
            expected += 1
            checked += 1
        for entry in rows:
            if entry not in session.dirty:
                session.expunge(entry)  # a long chain is read in batches, not kept in memory
    found = VerifyResult(ok=result is None, checked=checked, verified_to=expected - 1, anchor_seq=start,
                         broken_seq=result[1] if result else None, reason=result[0] if result else "")
    with _results_lock:
        _results[workspace_id] = found
    return found


def purge_before(session: Session, workspace_id: int | None, before: datetime) -> int:
    """Remove the workspace's sealed entries older than ``before`` (retention): the oldest run of the chain whose
    entries are all older, so that it stays one chain; the last removed entry's seq and hash become the anchor
    verification starts from. Seals first. How many entries were removed."""
    seal(session, workspace_id)  # takes the lock too
    first_kept = session.scalar(select(func.min(AuditEntry.seq)).where(
        _in(workspace_id), AuditEntry.seq.is_not(None), AuditEntry.at >= before))
    last_seq = session.scalar(select(func.max(AuditEntry.seq)).where(_in(workspace_id),
                                                                     AuditEntry.seq.is_not(None)))
    if last_seq is None:
        return 0
    upto = int(first_kept) - 1 if first_kept is not None else int(last_seq)
    anchor = _anchor(session, workspace_id)
    if upto <= (anchor.seq if anchor is not None else 0):
        return 0
    last_hash = session.scalar(select(AuditEntry.hash).where(_in(workspace_id), AuditEntry.seq == upto))
    if last_hash is None:  # a hole in the chain: remove nothing (verification will say where)
        return 0
    result = session.execute(delete(AuditEntry).where(_in(workspace_id), AuditEntry.seq.is_not(None),
                                                      AuditEntry.seq <= upto))
    removed = int(getattr(result, "rowcount", 0) or 0)
    session.add(AuditAnchor(workspace_id=workspace_id, seq=upto, hash=last_hash, removed=removed, created_at=now()))
    session.flush()
    return removed
