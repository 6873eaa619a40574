"""A contact's personal data as one ZIP archive (the right of access, GDPR art. 15): everything Compris holds about
the person and their cases, each kind of data in its own file, described file by file in the archive's README
(English and French) and in ``docs/administration.md`` ("Personal data: export").

:func:`build_archive` only reads. The archive is written to a spooled temporary file (in memory up to
:data:`SPOOL_BYTES`, then on disk): rows are read in batches (``yield_per``) and written entry by entry, files are
copied from the uploads folder in chunks, so a contact with years of messages and large files never needs more
than a bounded amount of memory. :func:`export_contact` builds it and records that it was made (the typed event
:class:`~compris.events.ContactExported`, which the audit log turns into an entry: who exported whose data).

What is in and what is not (the reasons are in the docs):

- the contact, the contacts merged into it (their identities moved here), every identity on each network, the
  threads and every case of theirs;
- the messages of their cases, public and private, to and from them, and what they wrote in a thread that is
  another customer's case; **internal notes** (of their cases) are in a file of their own (``notes.json``): a
  note about a person is personal data about them, and a separate file lets the controller review it before
  handing the archive over (art. 15(4): the rights of others);
- the files of those messages (theirs and ours), of the escalations of their cases and of the mails about them;
- the raw webhook deliveries their messages came from, as received, **unless** Compris stored another person's
  message from the same delivery (then only its description is listed, as withheld: art. 15(4) again);
- surveys, escalations with their exchanges, business action runs, the case timelines, the audit entries about
  the contact or their cases, listening (clusters, incidents, alerts, tags), triage corrections, and the e-mails
  Compris sent about their cases;
- staff appear by name only (never their e-mail, IP address or session); secrets never appear.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, and_, not_, or_, select
from sqlalchemy.orm import Session

from compris import bus
from compris.events import ContactExported
from compris.kit.clock import now
from compris.kit.errors import NotFound
from compris.live import Publisher
from compris.models import (
    Alert,
    AuditEntry,
    BusinessAction,
    BusinessActionRun,
    Case,
    CaseEvent,
    CaseTag,
    ChannelAccount,
    Cluster,
    ClusterMember,
    Contact,
    CustomerNote,
    Escalation,
    Exchange,
    Identity,
    Incident,
    IncidentCase,
    Message,
    OutgoingMail,
    Partner,
    RawEvent,
    Survey,
    Tag,
    Thread,
    TriageCorrection,
    Upload,
    User,
)
from compris.uploads import store

#: the archive stays in memory up to this size, then spills to a temporary file on disk
SPOOL_BYTES = 8 * 1024 * 1024
#: the folder of ``data_dir`` a big archive spills into while it is built and sent
SPILL_DIR = "tmp"
#: rows read per round trip for the long lists (messages, timeline, audit)
BATCH = 500
CHUNK = 1024 * 1024
#: attachments of these kinds are already compressed: stored as they are
_STORED_KINDS = frozenset({"image", "video", "audio"})
_NOTE = "note"

FILES = (
    "README.txt", "contact.json", "cases.json", "messages.json", "messages.csv", "notes.json",
    "attachments/index.json", "raw_events/index.json", "surveys.json", "escalations.json", "business_actions.json",
    "timeline.json", "audit.json", "listening.json", "triage_corrections.json", "mails.json",
)


@dataclass
class Archive:
    """The built archive: its download name, the spooled file (at its start), its size and what each file holds
    (rows or files per entry). Close it (or read it to the end with :meth:`chunks`) when done."""

    filename: str
    file: IO[bytes]
    size: int
    counts: dict[str, int] = field(default_factory=dict)

    def chunks(self, size: int = 64 * 1024) -> Iterator[bytes]:
        """The archive's bytes, then the spooled file closed."""
        try:
            self.file.seek(0)
            while block := self.file.read(size):
                yield block
        finally:
            self.file.close()

    def read(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def close(self) -> None:
        self.file.close()


# --- the action ------------------------------------------------------------------------------------------------


def export_contact(session: Session, publisher: Publisher, *, actor: User, contact_id: int,
                   data_dir: Path) -> Archive:
    """Build the archive of ``contact_id`` (of ``actor``'s workspace: ``NotFound`` otherwise) and record that
    ``actor`` exported it (:class:`ContactExported`, in this transaction)."""
    archive = build_archive(session, workspace_id=actor.workspace_id, contact_id=contact_id, data_dir=data_dir,
                            made_by=actor.name or actor.email)
    try:
        bus.emit(session, publisher, ContactExported(
            workspace_id=actor.workspace_id, actor_user_id=actor.id, contact_id=contact_id,
            filename=archive.filename, size=archive.size, counts=dict(archive.counts)))
    except BaseException:
        archive.close()
        raise
    return archive


def archive_name(contact_id: int, at: datetime) -> str:
    return f"compris-contact-{int(contact_id)}-{at.date().isoformat()}.zip"


# --- building ---------------------------------------------------------------------------------------------------


def build_archive(session: Session, *, workspace_id: int, contact_id: int, data_dir: Path,
                  made_by: str = "") -> Archive:
    """The ZIP archive of everything the workspace holds about ``contact_id`` (``NotFound`` when the contact is not
    the workspace's). Reads only; see the module's doc for what is in it."""
    contact = session.scalar(select(Contact).where(Contact.id == contact_id, Contact.workspace_id == workspace_id))
    if contact is None:
        raise NotFound("no such contact")
    made_at = now()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b",  # noqa: SIM115 (handed to the caller)
                                          dir=_spill_dir(data_dir))
    try:
        writer = _Writer(session, workspace_id, contact, data_dir, made_at)
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            writer.zf = zf
            writer.write_all()
            writer.text("README.txt", readme(contact, made_at, made_by, writer.counts))
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return Archive(archive_name(contact.id, made_at), spool, size, dict(writer.counts))


def _spill_dir(data_dir: Path) -> str | None:
    """Where a big archive spills: beside the uploads (a disk sized for files; the system's temporary folder may be
    in memory), in a folder of its own. The file has no name there (removed as soon as it is created)."""
    folder = data_dir / SPILL_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder)


class _Writer:
    """Writes one archive's entries, file by file."""

    zf: zipfile.ZipFile

    def __init__(self, session: Session, workspace_id: int, contact: Contact, data_dir: Path, at: datetime) -> None:
        self.session = session
        self.ws = workspace_id
        self.contact = contact
        self.data_dir = data_dir
        self.at = at
        self.counts: dict[str, int] = {}
        self.contact_ids = _merged_family(session, workspace_id, contact.id)
        self.cases: Select[Any] = select(Case.id).where(Case.workspace_id == workspace_id,
                                                        Case.contact_id.in_(self.contact_ids))
        self.case_numbers: dict[int, int] = {case_id: number for case_id, number in session.execute(
            select(Case.id, Case.number).where(Case.workspace_id == workspace_id,
                                               Case.contact_id.in_(self.contact_ids)))}
        identities = select(Identity.id).where(Identity.workspace_id == workspace_id,
                                               Identity.contact_id.in_(self.contact_ids))
        #: their messages: every message of their cases, and what they wrote anywhere else (a comment in a public
        #: thread that is another customer's case)
        self.theirs = or_(Message.case_id.in_(self.cases),
                          and_(Message.author_identity_id.is_not(None), Message.author_identity_id.in_(identities)))
        self.users = _Names(session, workspace_id)
        self.upload_refs: dict[int, list[str]] = {}  # upload id -> where it was used
        self.raw_event_ids: set[int] = set()
        self.identities: dict[int, Identity] = {}
        self.escalation_ids: list[int] = []

    # -- zip primitives --

    def _info(self, name: str, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.at.timetuple()[:6])
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    def text(self, name: str, content: str) -> None:
        self.zf.writestr(self._info(name), content.encode("utf-8"))

    @contextmanager
    def stream(self, name: str, compress: int = zipfile.ZIP_DEFLATED) -> Iterator[IO[bytes]]:
        with self.zf.open(self._info(name, compress), "w", force_zip64=True) as fh:
            yield fh

    def json_list(self, name: str, items: Iterable[dict[str, Any]]) -> int:
        """A JSON array written item by item; returns how many."""
        n = 0
        with self.stream(name) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as out:
            out.write("[")
            for item in items:
                out.write(",\n  " if n else "\n  ")
                out.write(_dumps(item))
                n += 1
            out.write("\n]\n" if n else "]\n")
        self.counts[name] = n
        return n

    def json_doc(self, name: str, doc: dict[str, Any], count: int) -> None:
        self.text(name, json.dumps(doc, ensure_ascii=False, indent=2, default=_default) + "\n")
        self.counts[name] = count

    # -- the files --

    def write_all(self) -> None:
        self.write_contact()
        self.write_cases()
        self.write_messages()
        self.write_notes()
        self.write_customer_notes()
        self.write_surveys()
        self.write_escalations()
        self.write_business_actions()
        self.write_timeline()
        self.write_audit()
        self.write_listening()
        self.write_triage_corrections()
        self.write_mails()
        self.write_attachments()
        self.write_raw_events()

    def write_contact(self) -> None:
        s, c = self.session, self.contact
        contacts = list(s.scalars(select(Contact).where(Contact.workspace_id == self.ws,
                                                        Contact.id.in_(self.contact_ids)).order_by(Contact.id)))
        identities = list(s.scalars(select(Identity).where(Identity.workspace_id == self.ws,
                                                           Identity.contact_id.in_(self.contact_ids))
                                    .order_by(Identity.id)))
        threads = list(s.execute(
            select(Thread, ChannelAccount.network, ChannelAccount.name)
            .join(ChannelAccount, ChannelAccount.id == Thread.channel_account_id)
            .where(Thread.workspace_id == self.ws, or_(Thread.contact_id.in_(self.contact_ids),
                                                       Thread.id.in_(select(Message.thread_id).where(
                                                           Message.workspace_id == self.ws,
                                                           self.theirs))))
            .order_by(Thread.id)).all())
        merged_into = s.get(Contact, c.merged_into_id) if c.merged_into_id is not None else None
        doc = {
            "contact": _contact(c),
            "merged_into": _contact(merged_into) if merged_into is not None and merged_into.workspace_id == self.ws
            else None,
            "merged_contacts": [_contact(x) for x in contacts if x.id != c.id],
            "identities": [{
                "id": i.id, "contact_id": i.contact_id, "network": i.network, "platform_user_id": i.platform_user_id,
                "handle": i.handle, "name": i.name, "followers": i.followers, "verified": i.verified,
                "avatar_url": i.avatar_url, "first_seen_at": i.created_at, "updated_at": i.updated_at,
            } for i in identities],
            "threads": [{
                "id": t.id, "network": network, "channel_account": account, "visibility": t.visibility,
                "platform_thread_key": t.platform_thread_key, "title": t.title, "created_at": t.created_at,
                "last_inbound_at": t.last_inbound_at,
            } for t, network, account in threads],
        }
        self.json_doc("contact.json", doc, 1 + sum(1 for x in contacts if x.id != c.id))
        self.identities = {i.id: i for i in identities}

    def write_cases(self) -> None:
        s = self.session
        tags: dict[int, list[str]] = {}
        for case_id, name in s.execute(select(CaseTag.case_id, Tag.name).join(Tag, Tag.id == CaseTag.tag_id)
                                       .where(CaseTag.workspace_id == self.ws, CaseTag.case_id.in_(self.cases))
                                       .order_by(Tag.name)):
            tags.setdefault(case_id, []).append(name)
        rows = s.scalars(select(Case).where(Case.workspace_id == self.ws, Case.id.in_(self.cases))
                         .order_by(Case.number).execution_options(yield_per=BATCH))
        self.json_list("cases.json", ({
            "number": c.number, "status": c.status, "subject": c.subject, "language": c.language,
            "priority": c.priority, "triage": c.triage, "tags": tags.get(c.id, []), "contact_id": c.contact_id,
            "assignee": self.users.name(c.assignee_id), "created_at": c.created_at,
            "first_inbound_at": c.first_inbound_at, "last_inbound_at": c.last_inbound_at,
            "first_response_at": c.first_response_at, "last_activity_at": c.last_activity_at,
            "resolved_at": c.resolved_at, "snoozed_until": c.snoozed_until,
        } for c in rows))

    def _messages(self, *, notes: bool) -> Iterator[Message]:
        """Their messages (notes: the notes of their cases)."""
        which = (and_(Message.visibility == _NOTE, Message.case_id.in_(self.cases)) if notes
                 else and_(Message.visibility != _NOTE, self.theirs))
        yield from self.session.scalars(
            select(Message).where(Message.workspace_id == self.ws, which)
            .order_by(Message.case_id, Message.created_at, Message.id).execution_options(yield_per=BATCH))

    def _message(self, m: Message) -> dict[str, Any]:
        if m.author_identity_id is not None:
            identity = self.identities.get(m.author_identity_id)
            author = {"kind": "customer", "identity_id": m.author_identity_id,
                      "handle": identity.handle if identity is not None else None,
                      "name": identity.name if identity is not None else None}
        elif m.author_user_id is not None:
            author = {"kind": "agent", "name": self.users.name(m.author_user_id)}
        else:
            author = {"kind": "customer" if m.direction == "inbound" else "system"}
        files = []
        for index, item in enumerate(m.attachments or []):
            if not isinstance(item, dict):
                continue
            described = {k: v for k, v in item.items() if k in ("kind", "name", "mime_type", "size", "url", "state",
                                                                  "reason", "upload_id")}
            upload_id = item.get("upload_id")
            if isinstance(upload_id, int) and not isinstance(upload_id, bool):
                self._refer(upload_id, f"message {m.id}, attachment {index + 1}")
            files.append(described)
        if m.raw_event_id is not None:
            self.raw_event_ids.add(m.raw_event_id)
        return {
            "id": m.id, "case_number": self.case_numbers.get(m.case_id), "direction": m.direction,
            "visibility": m.visibility, "author": author, "text": m.text, "sent_at": m.sent_at,
            "created_at": m.created_at, "language": m.language, "rating": m.rating, "permalink": m.permalink,
            "platform_message_id": m.platform_message_id, "delivery_state": m.delivery_state,
            "deleted_at": m.deleted_at, "triage": m.triage, "attachments": files,
            "raw_event_id": m.raw_event_id,
        }

    def write_messages(self) -> None:
        n = self.json_list("messages.json", (self._message(m) for m in self._messages(notes=False)))
        # a second pass (one zip entry is written at a time): the same messages as a spreadsheet
        columns = ("id", "case_number", "sent_at", "direction", "visibility", "author_kind", "author",
                   "language", "text", "attachments", "delivery_state", "deleted_at", "permalink")
        with self.stream("messages.csv") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as out:
            table = csv.writer(out)
            table.writerow(columns)
            for m in self._messages(notes=False):
                kind, who = self._author(m)
                files = [_csv_safe(str(f.get("name") or f.get("kind") or "")) for f in (m.attachments or [])
                         if isinstance(f, dict)]
                table.writerow([
                    m.id, self.case_numbers.get(m.case_id), _iso(m.sent_at), m.direction, m.visibility, kind,
                    _csv_safe(who or ""), m.language or "", _csv_safe(m.text), "; ".join(files),
                    m.delivery_state or "", _iso(m.deleted_at), m.permalink or "",
                ])
        self.counts["messages.csv"] = n

    def _author(self, m: Message) -> tuple[str, str | None]:
        if m.author_identity_id is not None:
            identity = self.identities.get(m.author_identity_id)
            return "customer", (identity.handle or identity.name) if identity is not None else None
        if m.author_user_id is not None:
            return "agent", self.users.name(m.author_user_id)
        return ("customer" if m.direction == "inbound" else "system"), None

    def write_notes(self) -> None:
        self.json_list("notes.json", (self._message(m) for m in self._messages(notes=True)))

    def write_customer_notes(self) -> None:
        """The team's notes about the person (issue 18: the customer panel)."""
        rows = self.session.scalars(select(CustomerNote).where(CustomerNote.workspace_id == self.ws,
                                                               CustomerNote.contact_id.in_(self.contact_ids))
                                    .order_by(CustomerNote.id))
        self.json_list("customer_notes.json", ({"id": n.id, "contact_id": n.contact_id, "text": n.text,
                                                "created_at": n.created_at, "updated_at": n.updated_at}
                                               for n in rows))

    def write_surveys(self) -> None:
        rows = self.session.scalars(
            select(Survey).where(Survey.workspace_id == self.ws,
                                 or_(Survey.case_id.in_(self.cases), Survey.contact_id.in_(self.contact_ids)))
            .order_by(Survey.id))
        self.json_list("surveys.json", ({
            "id": sv.id, "case_number": self.case_numbers.get(sv.case_id), "cycle": sv.cycle, "state": sv.state,
            "network": sv.network, "language": sv.language, "scale": sv.scale, "skip_reason": sv.skip_reason,
            "send_at": sv.send_at, "sent_at": sv.sent_at, "rating": sv.rating, "score": sv.score,
            "answered_at": sv.answered_at, "answered_via": sv.answered_via, "comment": sv.comment,
            "commented_at": sv.commented_at, "agent": self.users.name(sv.agent_id),
        } for sv in rows))

    def write_escalations(self) -> None:
        s = self.session
        escalations = list(s.execute(
            select(Escalation, Partner.name, Partner.kind).join(Partner, Partner.id == Escalation.partner_id)
            .where(Escalation.workspace_id == self.ws, Escalation.case_id.in_(self.cases))
            .order_by(Escalation.id)).all())
        self.escalation_ids = [e.id for e, _, _ in escalations]
        exchanges: dict[int, list[dict[str, Any]]] = {}
        for x in s.scalars(select(Exchange).where(Exchange.workspace_id == self.ws,
                                                  Exchange.escalation_id.in_(self.escalation_ids))
                           .order_by(Exchange.created_at, Exchange.id)):
            for upload_id in _ints(x.upload_ids):
                self._refer(upload_id, f"escalation {x.escalation_id}, exchange {x.id}")
            exchanges.setdefault(x.escalation_id, []).append({
                "id": x.id, "direction": x.direction, "kind": x.kind, "text": x.text, "via": x.via,
                "author": self.users.name(x.author_user_id) if x.author_user_id else (x.author_email or None),
                "upload_ids": _ints(x.upload_ids), "created_at": x.created_at,
            })
        items = []
        for e, partner, kind in escalations:
            for upload_id in _ints((e.shared or {}).get("upload_ids")):
                self._refer(upload_id, f"escalation {e.id}, shared")
            items.append({
                "id": e.id, "case_number": self.case_numbers.get(e.case_id), "partner": partner,
                "partner_kind": kind, "status": e.status, "partner_outcome": e.partner_outcome,
                "outcome": e.outcome, "brief": e.brief, "language": e.language,
                "shared": {k: v for k, v in (e.shared or {}).items()
                           if k in ("message_ids", "upload_ids", "personal_data")},
                "created_by": self.users.name(e.created_by_id), "created_at": e.created_at, "due_at": e.due_at,
                "opened_at": e.opened_at, "answered_at": e.answered_at, "closed_at": e.closed_at,
                "exchanges": exchanges.get(e.id, []),
            })
        self.json_list("escalations.json", items)

    def write_business_actions(self) -> None:
        rows = self.session.execute(
            select(BusinessActionRun, BusinessAction.key, BusinessAction.names)
            .join(BusinessAction, BusinessAction.id == BusinessActionRun.action_id)
            .where(BusinessActionRun.workspace_id == self.ws, BusinessActionRun.case_id.in_(self.cases))
            .order_by(BusinessActionRun.id)).all()
        self.json_list("business_actions.json", ({
            "id": r.id, "case_number": self.case_numbers.get(r.case_id), "action": key, "names": names,
            "requested_by": self.users.name(r.requested_by_id), "input": r.input, "state": r.state,
            "attempts": r.attempts, "result": r.result, "error": r.error, "http_status": r.http_status,
            "created_at": r.created_at, "started_at": r.started_at, "finished_at": r.finished_at,
        } for r, key, names in rows))

    def write_timeline(self) -> None:
        rows = self.session.scalars(
            select(CaseEvent).where(CaseEvent.workspace_id == self.ws, CaseEvent.case_id.in_(self.cases))
            .order_by(CaseEvent.case_id, CaseEvent.created_at, CaseEvent.id).execution_options(yield_per=BATCH))
        self.json_list("timeline.json", ({
            "id": e.id, "case_number": self.case_numbers.get(e.case_id or 0), "kind": e.kind,
            "actor": self.users.name(e.actor_user_id), "data": e.data, "at": e.created_at,
        } for e in rows))

    def write_audit(self) -> None:
        rows = self.session.scalars(
            select(AuditEntry).where(AuditEntry.workspace_id == self.ws,
                                     or_(AuditEntry.contact_id.in_(self.contact_ids),
                                         AuditEntry.case_id.in_(self.cases)))
            .order_by(AuditEntry.at, AuditEntry.id).execution_options(yield_per=BATCH))
        self.json_list("audit.json", ({
            "id": a.id, "at": a.at, "event": a.event, "entity": a.entity, "entity_id": a.entity_id,
            "action": a.action, "summary": a.summary, "via": a.via,
            "actor": self.users.name(a.actor_user_id) if a.actor_user_id is not None else None,
            "case_number": self.case_numbers.get(a.case_id) if a.case_id is not None else None,
            "contact_id": a.contact_id, "data": a.data,
        } for a in rows))

    def write_listening(self) -> None:
        s = self.session
        clusters = s.execute(
            select(ClusterMember.case_id, ClusterMember.message_id, ClusterMember.similarity, Cluster.id,
                   Cluster.label, Cluster.keywords, Cluster.size, Cluster.incident_id)
            .join(Cluster, Cluster.id == ClusterMember.cluster_id)
            .where(ClusterMember.workspace_id == self.ws, ClusterMember.case_id.in_(self.cases))
            .order_by(ClusterMember.id)).all()
        incidents = s.execute(
            select(IncidentCase.case_id, IncidentCase.linked_by, IncidentCase.created_at, Incident.number,
                   Incident.name, Incident.status, Incident.description)
            .join(Incident, Incident.id == IncidentCase.incident_id)
            .where(IncidentCase.workspace_id == self.ws, IncidentCase.case_id.in_(self.cases))
            .order_by(IncidentCase.id)).all()
        alerts = s.scalars(select(Alert).where(Alert.workspace_id == self.ws, Alert.case_id.in_(self.cases))
                           .order_by(Alert.id)).all()
        doc = {
            "clusters": [{"case_number": self.case_numbers.get(r.case_id), "message_id": r.message_id,
                          "similarity": r.similarity, "cluster_id": r.id, "label": r.label,
                          "keywords": r.keywords, "size": r.size} for r in clusters],
            "incidents": [{"case_number": self.case_numbers.get(r.case_id), "linked_by": r.linked_by,
                           "linked_at": r.created_at, "incident_number": r.number, "name": r.name,
                           "status": r.status, "description": r.description} for r in incidents],
            "alerts": [{"case_number": self.case_numbers.get(a.case_id or 0), "kind": a.kind, "title": a.title,
                        "reasons": a.reasons, "created_at": a.created_at} for a in alerts],
        }
        self.json_doc("listening.json", doc, len(clusters) + len(incidents) + len(alerts))

    def write_triage_corrections(self) -> None:
        rows = self.session.scalars(
            select(TriageCorrection).where(TriageCorrection.workspace_id == self.ws,
                                           TriageCorrection.message_id.in_(
                                               select(Message.id).where(Message.workspace_id == self.ws,
                                                                        self.theirs)))
            .order_by(TriageCorrection.id))
        self.json_list("triage_corrections.json", ({
            "message_id": t.message_id, "field": t.field, "label": t.label, "previous": t.previous,
            "by": self.users.name(t.user_id), "at": t.created_at,
        } for t in rows))

    def write_mails(self) -> None:
        about_case = OutgoingMail.ref["case_id"].as_integer()
        about_escalation = OutgoingMail.ref["escalation_id"].as_integer()
        rows = self.session.scalars(
            select(OutgoingMail).where(OutgoingMail.workspace_id == self.ws,
                                       or_(about_case.in_(self.cases),
                                           about_escalation.in_(self.escalation_ids)))
            .order_by(OutgoingMail.id))
        items = []
        for mail in rows:
            for upload_id in _ints(mail.upload_ids):
                self._refer(upload_id, f"mail {mail.id}")
            ref = mail.ref or {}
            case_id = ref.get("case_id")
            items.append({
                "id": mail.id, "purpose": mail.purpose, "to": mail.to, "subject": mail.subject, "text": mail.text,
                "state": mail.state, "created_at": mail.created_at, "sent_at": mail.sent_at,
                "case_number": self.case_numbers.get(case_id) if isinstance(case_id, int) else None,
                "escalation_id": ref.get("escalation_id"), "upload_ids": _ints(mail.upload_ids),
            })
        self.json_list("mails.json", items)

    def _refer(self, upload_id: int, where: str) -> None:
        self.upload_refs.setdefault(upload_id, []).append(where)

    def write_attachments(self) -> None:
        """Every file of their messages (the customer's fetched files, the replies' attachments), of their
        escalations and of the mails about them, copied from the uploads folder."""
        s = self.session
        for upload_id in s.scalars(select(Upload.id).where(Upload.workspace_id == self.ws, Upload.message_id.in_(
                select(Message.id).where(Message.workspace_id == self.ws, self.theirs)))):
            self.upload_refs.setdefault(upload_id, []).append("message")
        index = []
        taken: set[str] = set()
        ids = sorted(self.upload_refs)
        for start in range(0, len(ids), BATCH):
            for up in s.scalars(select(Upload).where(Upload.workspace_id == self.ws,
                                                     Upload.id.in_(ids[start:start + BATCH])).order_by(Upload.id)):
                path = member_name("attachments", f"{up.id}-{safe_file_name(up.name)}", taken)
                entry: dict[str, Any] = {"upload_id": up.id, "name": up.name, "mime_type": up.mime_type,
                                         "size": up.size, "sha256": up.sha256, "uploaded_at": up.created_at,
                                         "used_by": sorted(set(self.upload_refs.get(up.id, []))), "path": None}
                try:
                    source = store.path_for(self.data_dir, self.ws, up.sha256).open("rb")
                except (OSError, ValueError):
                    entry["missing"] = True
                else:
                    compress = zipfile.ZIP_STORED if up.kind in _STORED_KINDS else zipfile.ZIP_DEFLATED
                    digest = hashlib.sha256()
                    with source, self.stream(path, compress) as out:
                        while block := source.read(CHUNK):
                            digest.update(block)
                            out.write(block)
                    entry["path"] = path
                    entry["intact"] = digest.hexdigest() == up.sha256
                index.append(entry)
        self.json_doc("attachments/index.json", {"files": index}, sum(1 for e in index if e["path"]))

    def write_raw_events(self) -> None:
        """The deliveries their messages came from, byte for byte; one that also carried another contact's message
        is listed as withheld (it holds someone else's personal data)."""
        s = self.session
        index = []
        written = 0
        for raw_id in sorted(self.raw_event_ids):
            meta = s.execute(select(RawEvent.id, RawEvent.event_key, RawEvent.content_type, RawEvent.created_at,
                                    RawEvent.status, ChannelAccount.network)
                             .join(ChannelAccount, ChannelAccount.id == RawEvent.channel_account_id)
                             .where(RawEvent.id == raw_id, RawEvent.workspace_id == self.ws)).first()
            if meta is None:
                continue
            others = s.scalar(select(Message.id).where(Message.workspace_id == self.ws,
                                                       Message.raw_event_id == raw_id, not_(self.theirs)).limit(1))
            entry: dict[str, Any] = {"id": meta.id, "network": meta.network, "event_key": meta.event_key,
                                     "content_type": meta.content_type, "received_at": meta.created_at,
                                     "status": meta.status, "path": None}
            if others is not None:
                entry["withheld"] = "this delivery also carried another person's message"
            else:
                body = s.scalar(select(RawEvent.body).where(RawEvent.id == raw_id))
                path = f"raw_events/{meta.id}{_extension(meta.content_type)}"
                with self.stream(path) as out:
                    out.write(bytes(body or b""))
                entry["path"] = path
                written += 1
            index.append(entry)
        self.json_doc("raw_events/index.json", {"deliveries": index}, written)


# --- helpers ----------------------------------------------------------------------------------------------------


class _Names:
    """Staff names by user id (name only: never their e-mail), loaded once each."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session, self.ws = session, workspace_id
        self.cache: dict[int, str | None] = {}

    def name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.cache:
            found = self.session.scalar(select(User.name).where(User.id == user_id, User.workspace_id == self.ws))
            self.cache[user_id] = found or "a former user"
        return self.cache[user_id]


def _merged_family(session: Session, workspace_id: int, contact_id: int) -> list[int]:
    """The contact and every contact merged into it, directly or through others."""
    family = [contact_id]
    frontier = [contact_id]
    while frontier:
        found = [i for i in session.scalars(select(Contact.id).where(Contact.workspace_id == workspace_id,
                                                                     Contact.merged_into_id.in_(frontier)))
                 if i not in family]
        family.extend(found)
        frontier = found
    return family


def _contact(c: Contact) -> dict[str, Any]:
    return {"id": c.id, "display_name": c.display_name, "language": c.language, "created_at": c.created_at,
            "merged_into_id": c.merged_into_id}


def _ints(values: object) -> list[int]:
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


_EXTENSIONS = {"application/json": ".json", "application/xml": ".xml", "text/xml": ".xml",
               "application/x-www-form-urlencoded": ".txt", "text/plain": ".txt", "message/rfc822": ".eml"}


def _extension(content_type: str) -> str:
    return _EXTENSIONS.get((content_type or "").split(";", 1)[0].strip().lower(), ".bin")


_LEADING = re.compile(r"^[.\s_-]+")


def safe_file_name(raw: str | None) -> str:
    """A file name safe inside the archive: no directory (``../../etc/passwd`` is ``passwd``), no control,
    reserved or invisible character, never starting with a dot; ``file`` when nothing is left."""
    name = _LEADING.sub("", store.plain_name(raw)).strip()
    return name[:120] or "file"


def member_name(folder: str, name: str, taken: set[str]) -> str:
    """``folder/name``, made unique among ``taken`` (``name (2)``...)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    candidate, n = f"{folder}/{name}", 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{folder}/{stem} ({n}){'.' + ext if ext else ''}"
    taken.add(candidate.lower())
    return candidate


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _dumps(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, default=_default)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet never runs as a formula (a leading ``=``, ``+``, ``-``, ``@``, tab or CR)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- the README -------------------------------------------------------------------------------------------------

_DESCRIPTIONS: Sequence[tuple[str, str, str]] = (
    ("contact.json", "The contact: name and language, every identity on each network (handle, name, network id, "
     "followers, avatar), the contacts merged into it, the conversations (threads).",
     "Le contact : nom et langue, chaque identité sur chaque réseau (pseudo, nom, identifiant, abonnés, avatar), "
     "les contacts fusionnés avec lui, les conversations (fils)."),
    ("cases.json", "Every case (request) of theirs: number, status, subject, language, priority, automatic "
     "classification, tags, who handled it, dates.",
     "Chaque dossier (demande) : numéro, statut, objet, langue, priorité, classement automatique, étiquettes, "
     "personne en charge, dates."),
    ("messages.json, messages.csv", "Every message of those cases, public and private, from them and to them "
     "(the same messages as a spreadsheet in the CSV), with the automatic classification and the files.",
     "Chaque message de ces dossiers, public et privé, reçu d'eux et envoyé à eux (les mêmes en tableur dans le "
     "CSV), avec le classement automatique et les fichiers."),
    ("notes.json", "The team's internal notes on those cases (never sent to them). Kept apart: the organisation "
     "may have to withhold parts that concern other people (GDPR art. 15(4)).",
     "Les notes internes de l'équipe sur ces dossiers (jamais envoyées). À part : l'organisation peut devoir en "
     "retirer ce qui concerne d'autres personnes (RGPD art. 15(4))."),
    ("attachments/", "The files: those they sent, those sent to them, those shared with partners about their "
     "cases. index.json lists each file, where it was used and whether it is intact.",
     "Les fichiers : ceux qu'ils ont envoyés, ceux qu'on leur a envoyés, ceux partagés avec des partenaires à "
     "propos de leurs dossiers. index.json liste chaque fichier, où il a servi et s'il est intact."),
    ("raw_events/", "The deliveries the networks sent Compris with their messages, exactly as received. One that "
     "also carried another person's message is listed in index.json as withheld.",
     "Les envois des réseaux qui ont apporté leurs messages, tels que reçus. Un envoi qui contenait aussi le "
     "message d'une autre personne est listé dans index.json comme retenu."),
    ("surveys.json", "Satisfaction surveys: sent or skipped, the rating and the comment.",
     "Les enquêtes de satisfaction : envoyées ou non, la note et le commentaire."),
    ("escalations.json", "Their cases handed to partners or internal teams: the brief and every exchange, answers "
     "included.",
     "Leurs dossiers transmis à des partenaires ou équipes internes : la demande et chaque échange, réponses "
     "comprises."),
    ("business_actions.json", "Actions run on the organisation's own systems for their cases (a rebooking, a "
     "refund...): what was sent and the answer.",
     "Les actions lancées sur les systèmes de l'organisation pour leurs dossiers (changement de réservation, "
     "remboursement...) : ce qui a été envoyé et la réponse."),
    ("timeline.json", "The history of each case: status changes, assignments, transfers, replies sent...",
     "L'historique de chaque dossier : changements de statut, attributions, transferts, réponses envoyées..."),
    ("audit.json", "The audit log's entries about the contact or their cases (who did what, when), exports of "
     "their data included.",
     "Les entrées du journal d'audit sur le contact ou ses dossiers (qui a fait quoi, quand), exports de leurs "
     "données compris."),
    ("listening.json", "Groups of similar messages, incidents and alerts their cases are part of.",
     "Les groupes de messages similaires, incidents et alertes dont leurs dossiers font partie."),
    ("triage_corrections.json", "Corrections of the automatic classification of their messages by the team.",
     "Les corrections du classement automatique de leurs messages par l'équipe."),
    ("mails.json", "E-mails Compris sent about their cases (to partners).",
     "Les e-mails envoyés par Compris à propos de leurs dossiers (aux partenaires)."),
)


def readme(contact: Contact, at: datetime, made_by: str, counts: dict[str, int]) -> str:
    """The archive's README: what each file is, when the archive was made and by whom; English, then French."""
    when = at.strftime("%Y-%m-%d %H:%M UTC")
    who = made_by or "-"
    lines = [
        "PERSONAL DATA EXPORT",
        "====================",
        "",
        f"Everything Compris (a customer service desk) holds about the contact #{contact.id}, "
        f"\"{contact.display_name}\".",
        f"Made on {when} by {who}. Times are UTC (ISO 8601). Files are UTF-8.",
        "Staff appear by name only. Secrets (passwords, keys) never appear.",
        "",
    ]
    for name, english, _ in _DESCRIPTIONS:
        lines += [f"- {name} ({_count(name, counts)}): {english}"]
    lines += [
        "",
        "",
        "EXPORT DE DONNÉES PERSONNELLES",
        "==============================",
        "",
        f"Tout ce que Compris (un outil de service client) détient sur le contact n° {contact.id}, "
        f"« {contact.display_name} ».",
        f"Fait le {when} par {who}. Heures en UTC (ISO 8601). Fichiers en UTF-8.",
        "Le personnel n'apparaît que par son nom. Les secrets (mots de passe, clés) n'apparaissent jamais.",
        "",
    ]
    for name, _, french in _DESCRIPTIONS:
        lines += [f"- {name} ({_count(name, counts)}) : {french}"]
    return "\n".join(lines) + "\n"


def _count(name: str, counts: dict[str, int]) -> str:
    key = name.split(",", 1)[0].strip()
    key = {"attachments/": "attachments/index.json", "raw_events/": "raw_events/index.json"}.get(key, key)
    return str(counts.get(key, 0))
