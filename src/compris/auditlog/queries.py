"""Reads of the audit log: the filters (:func:`parse_filters`, shared by the page, its exports and the API), a page
of entries newest first (keyset on the id), every entry of a filter in batches (the exports), and the choices
the filter form offers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from compris.kit.errors import Invalid
from compris.kit.origin import VIA
from compris.models import AuditEntry, User, Workspace

#: how many entries a page shows (and the API's default)
PAGE_SIZE = 50
EXPORT_BATCH = 500


@dataclass(frozen=True)
class Filters:
    q: str = ""
    actor_user_id: int | None = None
    event: str = ""
    entity: str = ""
    via: str = ""
    ip: str = ""
    case_id: int | None = None
    contact_id: int | None = None
    start: date | None = None  # from this day (the workspace's time zone), included
    end: date | None = None  # to this day, included

    def query_string(self) -> str:
        """The filters as URL parameters (for the next page and the export links)."""
        from urllib.parse import urlencode

        pairs = {"q": self.q, "actor": self.actor_user_id, "event": self.event, "entity": self.entity,
                 "via": self.via, "ip": self.ip, "case_id": self.case_id, "contact_id": self.contact_id,
                 "from": self.start.isoformat() if self.start else None,
                 "to": self.end.isoformat() if self.end else None}
        return urlencode({k: v for k, v in pairs.items() if v not in (None, "")})


def _int(raw: Mapping[str, str], key: str, label: str) -> int | None:
    value = (raw.get(key) or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise Invalid.of("%(field)s must be a whole number", field=label)
    return int(value)


def _day(raw: Mapping[str, str], key: str) -> date | None:
    value = (raw.get(key) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid.of("%(value)s is not a date (YYYY-MM-DD)", value=value[:40]) from None


def parse_filters(raw: Mapping[str, str]) -> Filters:
    """The filters from URL parameters (``q``, ``actor``, ``event``, ``entity``, ``via``, ``ip``, ``case_id``,
    ``contact_id``, ``from``, ``to``); :class:`~compris.kit.errors.Invalid` (422) names what is wrong."""
    via = (raw.get("via") or "").strip()
    if via and via not in VIA:
        raise Invalid.of("Unknown origin: %(value)s", value=via[:40])
    start, end = _day(raw, "from"), _day(raw, "to")
    if start and end and end < start:
        raise Invalid("The end date is before the start date")
    return Filters(
        q=(raw.get("q") or "").strip()[:200], actor_user_id=_int(raw, "actor", "actor"),
        event=(raw.get("event") or "").strip()[:64], entity=(raw.get("entity") or "").strip()[:64], via=via,
        ip=(raw.get("ip") or "").strip()[:64], case_id=_int(raw, "case_id", "case_id"),
        contact_id=_int(raw, "contact_id", "contact_id"), start=start, end=end)


def _zone(session: Session, workspace_id: int) -> ZoneInfo:
    name = session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _query(session: Session, workspace_id: int, f: Filters) -> Select[Any]:
    query = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if f.q:
        pattern = _like(f.q.lower())
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            AuditEntry.summary, AuditEntry.actor_label, AuditEntry.entity, AuditEntry.event, AuditEntry.action))))
    if f.actor_user_id is not None:
        query = query.where(AuditEntry.actor_user_id == f.actor_user_id)
    if f.event:
        query = query.where(AuditEntry.event == f.event)
    if f.entity:
        query = query.where(AuditEntry.entity == f.entity)
    if f.via:
        query = query.where(AuditEntry.via == f.via)
    if f.ip:
        query = query.where(AuditEntry.ip.like(f.ip.replace("%", "").replace("_", "\\_") + "%", escape="\\"))
    if f.case_id is not None:
        query = query.where(AuditEntry.case_id == f.case_id)
    if f.contact_id is not None:
        query = query.where(AuditEntry.contact_id == f.contact_id)
    if f.start or f.end:
        zone = _zone(session, workspace_id)
        if f.start:
            query = query.where(AuditEntry.at >= datetime.combine(f.start, time(), zone).astimezone(UTC))
        if f.end:
            query = query.where(AuditEntry.at < datetime.combine(f.end + timedelta(days=1), time(), zone)
                                .astimezone(UTC))
    return query


def entries(session: Session, workspace_id: int, f: Filters, *, before_id: int | None = None,
            limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Newest first; ``before_id``: the entries older than that one (the next page)."""
    query = _query(session, workspace_id, f)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def entry(session: Session, workspace_id: int, entry_id: int) -> AuditEntry | None:
    found = session.get(AuditEntry, entry_id)
    return found if found is not None and found.workspace_id == workspace_id else None


def event_types(session: Session, workspace_id: int) -> list[str]:
    return list(session.scalars(select(AuditEntry.event).where(AuditEntry.workspace_id == workspace_id)
                                .distinct().order_by(AuditEntry.event)))


def entities(session: Session, workspace_id: int) -> list[str]:
    return [e for e in session.scalars(select(AuditEntry.entity).where(AuditEntry.workspace_id == workspace_id)
                                       .distinct().order_by(AuditEntry.entity)) if e]


def actors(session: Session, workspace_id: int) -> list[tuple[int, str]]:
    """The workspace's users (id, "Name <email>"), by name."""
    rows = session.execute(select(User.id, User.name, User.email).where(User.workspace_id == workspace_id)
                           .order_by(User.name, User.id))
    return [(int(i), f"{n} <{e}>") for i, n, e in rows]


def unsealed_count(session: Session, workspace_id: int) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.workspace_id == workspace_id, AuditEntry.seq.is_(None))) or 0)


# --- exports -------------------------------------------------------------------------------------------------------

COLUMNS = ("id", "seq", "at", "actor_user_id", "actor_label", "via", "ip", "ref", "request_id", "event", "entity",
           "entity_id", "action", "case_id", "contact_id", "summary", "data", "prev_hash", "hash")


def as_dict(e: AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "seq": e.seq, "at": e.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "actor_user_id": e.actor_user_id, "actor_label": e.actor_label, "via": e.via, "ip": e.ip, "ref": e.ref,
            "request_id": e.request_id, "event": e.event, "entity": e.entity, "entity_id": e.entity_id,
            "action": e.action, "case_id": e.case_id, "contact_id": e.contact_id, "summary": e.summary,
            "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)
    # a spreadsheet would run a cell starting with = + - @ as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(batches: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    """The entries (:func:`as_dict`) as CSV, a chunk per batch (a BOM first, for spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for d in batch:
            writer.writerow([_cell(d[c]) for c in COLUMNS])
        yield buffer.getvalue()


def jsonl_lines(batches: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    """The entries as JSON Lines, a chunk per batch."""
    for batch in batches:
        yield "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in batch)
