"""Erasure of a contact's personal data, everywhere Compris holds it (``docs/administration.md``, "Personal data:
erasure", has the table of every column and what happens to it).

:func:`erase_contact` runs in the caller's transaction. It keeps the *facts* (cases, messages, surveys,
escalations... with their ids, timestamps, directions, states, triage labels and ratings: every figure of the
reports stays the same, before and after, and after ``compris analytics rebuild``) and removes the *content*: the
contact's name, their identities' platform ids, handles, names and avatars (replaced by placeholders that match no
platform user, so a new message from the same person opens a new contact with no link to the erased history), the
text of every message of their cases and of every message they wrote, attachments' descriptions and stored files,
the raw deliveries that carried them, survey comments, escalation briefs and partners' answers, business action
inputs and results, triage copies and corrections, listening's items, cluster terms and alert samples taken from
their text, the posts they wrote, the e-mails sent to them or about them, case subjects and previews, the free text
of their cases' timeline rows, and any queued job or webhook delivery that copied one of these.

Files are content-addressed on disk: their rows go in the transaction, their bytes after it commits (an
``on_commit`` callback when the caller gives ``data_dir``, and always the ``privacy.discard_files`` job queued in
the same transaction, so a crash between the commit and the unlink still removes them), and only when no other
upload row of the workspace names the same bytes.

:func:`erase_message_content` does the same for one message its author deleted on the platform.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, delete, func, literal, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from compris import bus
from compris.connectors.meta import deletion as meta_deletion
from compris.db import on_commit
from compris.events import ContactErased
from compris.inbox import search
from compris.kit.clock import now
from compris.kit.crypto import decrypt_json
from compris.kit.errors import Invalid, NotFound
from compris.listening.salient import terms as salient_terms
from compris.live import Publisher
from compris.models import (
    Alert,
    BusinessActionRun,
    Case,
    CaseEvent,
    ChannelAccount,
    Cluster,
    ClusterItem,
    ClusterMember,
    Contact,
    Direction,
    Erasure,
    Escalation,
    Exchange,
    Job,
    ListeningCount,
    Message,
    Outbox,
    OutgoingMail,
    Post,
    RawEvent,
    Survey,
    Thread,
    TriageCorrection,
    Upload,
    User,
    WebhookDelivery,
)
from compris.privacy.erasure_queries import Scope, contacts_of_platform_user, scope_of
from compris.uploads import queries as upload_queries
from compris.uploads import store
from compris.worker.queue import enqueue

#: what replaces free text that must go but whose field must stay non-empty
ERASED = "[erased]"
#: the erased contact's name (the contact row stays: its cases point at it)
ERASED_NAME = "Erased contact"
#: the prefix of the placeholders that replace platform ids (``erased:<random>``: never a platform's id)
PLACEHOLDER = "erased:"
#: what a raw delivery's body becomes
REDACTED_BODY = b'{"redacted": "erasure"}'
#: ``source`` of an erasure
SOURCES = ("admin", "api", "meta_deletion_callback", "platform_deletion", "demo")
DISCARD_JOB = "privacy.discard_files"

#: the triage fields kept on a message or a case (labels and scores, read by the reports); the rest (personal
#: data found in the text, reasons quoting it, reach) goes
KEPT_TRIAGE = ("language", "language_confidence", "sentiment", "sentiment_confidence", "intent",
               "intent_confidence", "topic", "topic_confidence", "urgency", "priority", "path", "rating")
#: what the reports and the SLA read from ``platform_extra`` (who claimed a message, an automatic reply)
KEPT_EXTRA = ("claimed_by", "claimed_as", "auto_ack", "origin")
#: the timeline's data keys whose text values are codes, never free text (kept on an erased case)
SAFE_TEXT_KEYS = frozenset({
    "from_status", "to_status", "status", "visibility", "network", "by", "kind", "metric", "field", "label",
    "previous", "linked_by", "via", "origin", "how", "scale", "intent", "sentiment", "topic", "language",
    "urgency", "state", "outcome", "partner_outcome", "when", "due_at", "breached_at", "at", "action", "partner",
    "incident", "entity", "purpose", "answered_via",
})
#: shorter needles match too much (a 2-letter handle would erase unrelated text)
MIN_NEEDLE = 4
#: how much of a customer's text is looked for in copies (previews, samples and labels are cut shorter)
TEXT_NEEDLE = 40
_CHUNK = 40


@dataclass
class _Work:
    workspace_id: int
    scope: Scope
    needles: list[str] = field(default_factory=list)
    #: the needles that name the person (names, handles, ids, addresses), without their texts' beginnings
    names: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    digests: set[str] = field(default_factory=set)

    def count(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + int(n)


def placeholder() -> str:
    return PLACEHOLDER + secrets.token_hex(12)


def new_code() -> str:
    """A confirmation code: 16 hexadecimal capitals (random, unguessable, no personal data)."""
    return secrets.token_hex(8).upper()


# --- pure helpers ------------------------------------------------------------------------------------------------


def scrub_triage(triage: dict[str, Any] | None) -> dict[str, Any]:
    """The triage labels and scores, without what was taken from the text."""
    kept = {k: v for k, v in (triage or {}).items() if k in KEPT_TRIAGE}
    return {**kept, "erased": True} if triage else {}


def scrub_extra(extra: dict[str, Any] | None, marker: str) -> dict[str, Any]:
    kept = {k: v for k, v in (extra or {}).items() if k in KEPT_EXTRA}
    return {**kept, "erased": marker}


def scrub_attachments(items: Sequence[Any] | None) -> list[Any]:
    """An attachment keeps its kind (a photo was sent), nothing that describes it."""
    out: list[Any] = []
    for item in items or []:
        kind = item.get("kind") if isinstance(item, dict) else None
        out.append({"kind": kind if isinstance(kind, str) else "file", "state": "erased"})
    return out


def scrub_event_data(data: Any, key: str = "") -> Any:
    """A timeline row's data with only ids, numbers and codes left (free text replaced by :data:`ERASED`)."""
    if isinstance(data, dict):
        return {k: scrub_event_data(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub_event_data(v, key) for v in data]
    if isinstance(data, str) and data and key not in SAFE_TEXT_KEYS:
        return ERASED
    return data


def _variants(needle: str) -> set[str]:
    """The needle, and its JSON-escaped form (a JSON column may store ``\\u00eb`` for ``ë``)."""
    escaped = json.dumps(needle)[1:-1]
    return {needle, escaped}


def mentions(text: str, needles: Iterable[str]) -> bool:
    lowered = text.lower()
    return any(n.lower() in lowered for n in needles)


def scrub_needles(value: Any, needles: Sequence[str]) -> Any:
    """``value`` (JSON) with every string that mentions a needle replaced by :data:`ERASED`."""
    if isinstance(value, dict):
        return {k: scrub_needles(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_needles(v, needles) for v in value]
    if isinstance(value, str) and mentions(value, needles):
        return ERASED
    return value


def scrub_reason(reason: str, needles: Sequence[str]) -> str:
    """The requester's reason, without the person's name, handles or ids if they were typed in it."""
    text = " ".join((reason or "").split())[:500]
    for needle in sorted(needles, key=len, reverse=True):
        text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    return text


def _norm(text: str) -> str:
    return " ".join(text.split())


def _text_needles(texts: Iterable[str | None]) -> set[str]:
    """The beginning of each customer text (what a preview, a sample or a label copies)."""
    out: set[str] = set()
    for t in texts:
        if not t:
            continue
        for form in (_norm(t), t.strip()):
            if len(form) >= 12:
                out.add(form[:TEXT_NEEDLE])
    return out


# --- SQL helpers -------------------------------------------------------------------------------------------------


def _like_any(column: ColumnElement[Any] | InstrumentedAttribute[Any], needles: Sequence[str]) -> ColumnElement[bool]:
    clauses = []
    for needle in needles:
        for form in _variants(needle):
            escaped = form.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(func.lower(column).like(f"%{escaped}%", escape="\\"))
    return or_(*clauses)


def _json_text(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    return cast(column, Text)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _blob_contains(session: Session, column: InstrumentedAttribute[Any], needle: bytes) -> ColumnElement[bool]:
    value = literal(needle, column.type)
    if session.get_bind().dialect.name == "postgresql":
        return func.position(value.op("IN")(column)) > 0
    return func.instr(column, value) > 0


# --- the erasure ---------------------------------------------------------------------------------------------------


def erase_contact(session: Session, publisher: Publisher, *, workspace_id: int, contact_id: int, source: str,
                  requested_by: User | None, reason: str, data_dir: Path | None = None,
                  confirmation_code: str | None = None) -> Erasure:
    """Erase the personal data of ``contact_id`` (and of the contacts merged into it) everywhere, record it
    (:class:`~compris.models.Erasure`, with counts per kind and no personal data) and emit
    :class:`~compris.events.ContactErased`. Safe to run twice (the second finds nothing left to erase).
    Raises ``NotFound`` for a contact of another workspace, ``Invalid`` for an unknown ``source``."""
    if source not in SOURCES:
        raise Invalid("unknown erasure source")
    scope = scope_of(session, workspace_id, contact_id)
    work = _Work(workspace_id=workspace_id, scope=scope)
    _collect_needles(session, work)
    _erase_everything(session, work)
    erasure = Erasure(
        workspace_id=workspace_id, contact_id=scope.contact.id, source=source,
        requested_by_id=requested_by.id if requested_by is not None else None,
        confirmation_code=confirmation_code or new_code(), status="done", done_at=now(),
        reason=scrub_reason(reason, work.needles), counts=dict(sorted(work.counts.items())))
    session.add(erasure)
    session.flush()
    search.forget_erased(session)
    _discard_after_commit(session, publisher, workspace_id, work.digests, data_dir)
    bus.emit(session, publisher, ContactErased(
        workspace_id=workspace_id, actor_user_id=requested_by.id if requested_by is not None else None,
        erasure_id=erasure.id, contact_id=scope.contact.id, source=source, counts=dict(erasure.counts)))
    return erasure


def record_nothing_found(session: Session, publisher: Publisher, *, workspace_id: int, source: str,
                         reason: str = "", confirmation_code: str | None = None) -> Erasure:
    """The record of a deletion request that named nobody Compris knows (its status page says so)."""
    erasure = Erasure(workspace_id=workspace_id, contact_id=None, source=source, requested_by_id=None,
                      confirmation_code=confirmation_code or new_code(), status="nothing_found", done_at=now(),
                      reason=" ".join(reason.split())[:500], counts={})
    session.add(erasure)
    session.flush()
    return erasure


def _collect_needles(session: Session, work: _Work) -> None:
    """What identifies the person, as text to look for in copies (names, handles, platform ids, e-mail addresses,
    phone numbers, the beginning of what they wrote)."""
    scope = work.scope
    found: set[str] = set()
    names = session.scalars(select(Contact.display_name).where(Contact.id.in_(scope.contact_ids)))
    for value in [*names, *(i.platform_user_id for i in scope.identities), *(i.handle for i in scope.identities),
                  *(i.name for i in scope.identities), *(i.avatar_url for i in scope.identities)]:
        if not value or value == ERASED_NAME or value.startswith(PLACEHOLDER):
            continue
        value = value.strip()
        found.add(value)
        if value.startswith("@"):
            found.add(value[1:])
    work.names = sorted(n for n in found if len(n) >= MIN_NEEDLE)
    if scope.authored_ids:
        found |= _text_needles(session.scalars(select(Message.text).where(Message.id.in_(scope.authored_ids))))
    found |= _text_needles(session.scalars(select(Survey.comment).where(
        Survey.workspace_id == work.workspace_id,
        or_(Survey.contact_id.in_(scope.contact_ids), Survey.case_id.in_(scope.case_ids or [-1])))))
    work.needles = sorted(n for n in found if len(n) >= MIN_NEEDLE)


def _erase_everything(session: Session, work: _Work) -> None:
    scope = work.scope
    _erase_raw_events(session, work)  # first: it reads the messages' raw event ids and the identities' ids
    _erase_posts(session, work)
    _erase_threads(session, work)
    _erase_uploads(session, work)
    _erase_messages(session, work, scope.message_ids, marker="erasure")
    _erase_cases(session, work)
    _erase_surveys(session, work)
    _erase_escalations(session, work)
    _erase_business_runs(session, work)
    _erase_listening(session, work)
    _erase_mail(session, work)
    _erase_copies(session, work)
    _erase_identities(session, work)
    _erase_contacts(session, work)


def _erase_identities(session: Session, work: _Work) -> None:
    n = 0
    for identity in work.scope.identities:
        if identity.platform_user_id.startswith(PLACEHOLDER) and identity.handle is None and identity.name is None:
            continue
        identity.platform_user_id = placeholder()
        identity.handle = None
        identity.name = None
        identity.avatar_url = None
        identity.followers = None
        identity.verified = False
        n += 1
    work.count("identities", n)


def _erase_contacts(session: Session, work: _Work) -> None:
    n = 0
    for contact in session.scalars(select(Contact).where(Contact.id.in_(work.scope.contact_ids))):
        if contact.display_name != ERASED_NAME:
            contact.display_name = ERASED_NAME
            n += 1
    work.count("contacts", n)


def _erase_messages(session: Session, work: _Work, message_ids: Sequence[int], *, marker: str,
                    keep_platform_ids: bool = False) -> None:
    """Each message keeps its facts (case, direction, visibility, times, delivery state, author agent, rating,
    triage labels); its text, attachments' descriptions, platform ids (unless ``keep_platform_ids``), link and
    notes go."""
    n = 0
    for ids in _id_chunks(message_ids):
        for message in session.scalars(select(Message).where(Message.id.in_(ids))):
            if (message.platform_extra or {}).get("erased") and not message.text and not message.permalink:
                continue
            message.text = ""
            message.attachments = scrub_attachments(message.attachments)
            message.triage = scrub_triage(message.triage)
            message.platform_extra = scrub_extra(message.platform_extra, marker)
            message.permalink = None
            message.delivery_error = None if message.delivery_error is None else ERASED
            if message.platform_message_id and not keep_platform_ids:
                message.platform_message_id = placeholder()
            if message.reply_to_platform_id and not keep_platform_ids:
                message.reply_to_platform_id = placeholder()
            n += 1
        result = session.execute(update(TriageCorrection).where(TriageCorrection.message_id.in_(ids),
                                                                TriageCorrection.text != "")
                                 .values(text="").execution_options(synchronize_session=False))
        work.count("triage_corrections", int(getattr(result, "rowcount", 0) or 0))
        session.execute(update(Outbox).where(Outbox.message_id.in_(ids), Outbox.last_error.is_not(None),
                                             Outbox.last_error != ERASED)
                        .values(last_error=ERASED).execution_options(synchronize_session=False))
    work.count("messages", n)


def _id_chunks(ids: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i:i + size])


def _erase_cases(session: Session, work: _Work) -> None:
    ids = work.scope.case_ids
    n = 0
    for case in session.scalars(select(Case).where(Case.id.in_(ids or [-1]))):
        if not case.subject and not case.preview and (not case.triage or case.triage.get("erased")):
            continue
        case.subject = ""
        case.preview = ""
        case.triage = scrub_triage(case.triage)
        n += 1
    work.count("cases", n)
    rows = 0
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids or [-1]))):
        scrubbed = scrub_event_data(event.data or {})
        if scrubbed != (event.data or {}):
            event.data = scrubbed
            rows += 1
    work.count("timeline", rows)


def _erase_threads(session: Session, work: _Work) -> None:
    """Their private threads (and public ones only they wrote in) get a new key: the platform's conversation of
    a new message from the same person never lands on the erased history; titles that quote them go."""
    scope = work.scope
    thread_ids = set(session.scalars(select(Thread.id).where(Thread.contact_id.in_(scope.contact_ids))))
    if scope.message_ids:
        touched = set(session.scalars(select(Message.thread_id).distinct().where(
            Message.id.in_(scope.message_ids), Message.thread_id.is_not(None))))
        others = set(session.scalars(select(Message.thread_id).distinct().where(
            Message.thread_id.in_(touched or {-1}), Message.id.not_in(scope.message_ids))))
        thread_ids |= {t for t in touched if t is not None and t not in others}
    n = 0
    for thread in session.scalars(select(Thread).where(Thread.id.in_(thread_ids or {-1}))):
        if not thread.platform_thread_key.startswith(PLACEHOLDER):
            thread.platform_thread_key = placeholder()
            n += 1
        thread.title = None
    # a shared public thread keeps its key; its title goes when it quotes them
    if work.needles:
        for thread in session.scalars(select(Thread).where(
                Thread.workspace_id == work.workspace_id, Thread.title.is_not(None),
                _like_any(Thread.title, work.needles))):
            thread.title = None
            n += 1
    work.count("threads", n)


def _erase_raw_events(session: Session, work: _Work) -> None:
    """The deliveries that carried their messages, and any other delivery naming one of their platform ids or
    handles (an unprocessable one, a claimed one), are redacted whole (a batch may carry other people's messages
    too: its processing is done, and a replay of it must not bring the person back)."""
    scope = work.scope
    ids: set[int] = set()
    if scope.message_ids:
        for chunk in _id_chunks(scope.message_ids):
            ids |= {r for r in session.scalars(select(Message.raw_event_id).where(
                Message.id.in_(chunk), Message.raw_event_id.is_not(None))) if r is not None}
    markers = {i.platform_user_id for i in scope.identities if not i.platform_user_id.startswith(PLACEHOLDER)}
    markers |= {i.handle for i in scope.identities if i.handle}
    for marker in sorted(m for m in markers if len(m) >= 5):
        for form in _variants(marker):
            ids |= set(session.scalars(select(RawEvent.id).where(
                RawEvent.workspace_id == work.workspace_id,
                _blob_contains(session, RawEvent.body, form.encode()))))
    if not ids:
        return
    result = session.execute(update(RawEvent).where(RawEvent.id.in_(sorted(ids)), RawEvent.body != REDACTED_BODY)
                             .values(body=REDACTED_BODY, error=None)
                             .execution_options(synchronize_session=False))
    work.count("raw_events", int(getattr(result, "rowcount", 0) or 0))


def _erase_uploads(session: Session, work: _Work) -> None:
    """The files of their messages (theirs, and the agents' files first sent to them), of their escalations'
    exchanges and of the e-mails about them; an agent's file another message still carries stays."""
    scope = work.scope
    upload_ids: set[int] = set()
    for chunk in _id_chunks(scope.message_ids):
        upload_ids |= set(session.scalars(select(Upload.id).where(Upload.message_id.in_(chunk))))
        for attachments in session.scalars(select(Message.attachments).where(Message.id.in_(chunk))):
            upload_ids |= _upload_ids(attachments)
    for listed in session.scalars(select(Exchange.upload_ids).join(Escalation, Escalation.id == Exchange.escalation_id)
                                  .where(Escalation.case_id.in_(scope.case_ids or [-1]))):
        upload_ids |= {int(u) for u in listed or [] if isinstance(u, int)}
    if not upload_ids:
        return
    rows = list(session.scalars(select(Upload).where(Upload.workspace_id == work.workspace_id,
                                                     Upload.id.in_(sorted(upload_ids)))))
    mine = set(scope.message_ids)
    gone = []
    for upload in rows:
        if upload.uploaded_by_id is not None and _carried_elsewhere(session, upload, mine):
            continue
        gone.append(upload)
    for upload in gone:
        work.digests.add(upload.sha256)
    if gone:
        session.execute(delete(Upload).where(Upload.id.in_([u.id for u in gone]))
                        .execution_options(synchronize_session=False))
        for upload in gone:
            session.expunge(upload)
    work.count("uploads", len(gone))


def _upload_ids(attachments: Any) -> set[int]:
    out: set[int] = set()
    for item in attachments or []:
        value = item.get("upload_id") if isinstance(item, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            out.add(value)
    return out


def _carried_elsewhere(session: Session, upload: Upload, mine: set[int]) -> bool:
    """Whether a message outside the erased scope carries this upload (an agent's file sent to several people)."""
    if upload.message_id is not None and upload.message_id not in mine:
        return True
    forms = [f'"upload_id": {upload.id},', f'"upload_id": {upload.id}}}', f'"upload_id":{upload.id},',
             f'"upload_id":{upload.id}}}']
    text = _json_text(Message.attachments)
    found = session.scalars(select(Message.id).where(
        Message.workspace_id == upload.workspace_id, or_(*(text.contains(f) for f in forms))))
    return any(m not in mine for m in found)


def _erase_surveys(session: Session, work: _Work) -> None:
    scope = work.scope
    result = session.execute(update(Survey).where(
        Survey.workspace_id == work.workspace_id,
        or_(Survey.contact_id.in_(scope.contact_ids), Survey.case_id.in_(scope.case_ids or [-1])),
        Survey.comment.is_not(None)).values(comment=None).execution_options(synchronize_session=False))
    work.count("survey_comments", int(getattr(result, "rowcount", 0) or 0))


def _erase_escalations(session: Session, work: _Work) -> None:
    ids = list(session.scalars(select(Escalation.id).where(Escalation.case_id.in_(work.scope.case_ids or [-1]))))
    if not ids:
        return
    result = session.execute(update(Escalation).where(Escalation.id.in_(ids), Escalation.brief != "")
                             .values(brief="").execution_options(synchronize_session=False))
    work.count("escalations", int(getattr(result, "rowcount", 0) or 0))
    n = 0
    for exchange in session.scalars(select(Exchange).where(Exchange.escalation_id.in_(ids))):
        if exchange.text or exchange.upload_ids:
            exchange.text = ""
            exchange.upload_ids = []
            n += 1
    work.count("escalation_exchanges", n)


def _erase_business_runs(session: Session, work: _Work) -> None:
    n = 0
    for run in session.scalars(select(BusinessActionRun).where(
            BusinessActionRun.case_id.in_(work.scope.case_ids or [-1]))):
        if all(v == ERASED for v in (run.input or {}).values()) and not run.result and run.error in (None, ERASED):
            continue
        run.input = dict.fromkeys(run.input or {}, ERASED)
        run.result = {}
        run.error = None if run.error is None else ERASED
        n += 1
    work.count("business_action_runs", n)


def _erase_listening(session: Session, work: _Work) -> None:
    """Their messages leave no text behind in listening: the items' signatures and vectors go, the terms only they
    brought go from their clusters' signatures and keywords, labels quoting them are replaced, alerts' titles and
    samples quoting them are scrubbed (counts and sizes stay)."""
    scope = work.scope
    items = list(session.scalars(select(ClusterItem).where(ClusterItem.message_id.in_(scope.message_ids or [-1]))))
    their_terms: set[str] = set()
    changed = 0
    for item in items:
        their_terms |= set((item.signature or {}).keys())
        if item.signature or item.vector is not None:
            item.signature = {}
            item.vector = None
            changed += 1
    work.count("cluster_items", changed)
    cluster_ids = set(session.scalars(select(ClusterMember.cluster_id).where(
        ClusterMember.message_id.in_(scope.message_ids or [-1]))))
    n = 0
    for cluster in session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids or {-1}))):
        others: set[str] = set()
        for signature in session.scalars(select(ClusterItem.signature).join(
                ClusterMember, ClusterMember.message_id == ClusterItem.message_id).where(
                ClusterMember.cluster_id == cluster.id, ClusterMember.message_id.not_in(scope.message_ids))):
            others |= set((signature or {}).keys())
        only_theirs = their_terms - others
        before = (dict(cluster.signature or {}), list(cluster.keywords or []), cluster.label)
        cluster.signature = {k: v for k, v in (cluster.signature or {}).items()
                             if k not in only_theirs and not mentions(k, work.needles)}
        cluster.keywords = [k for k in cluster.keywords or [] if isinstance(k, str) and k not in only_theirs
                            and not mentions(k, work.needles)]
        if cluster.label and mentions(cluster.label, work.needles):
            cluster.label = " ".join(cluster.keywords[:3])
        n += before != (cluster.signature, cluster.keywords, cluster.label)
    if work.needles:
        for chunk in _chunks(work.needles):
            for cluster in session.scalars(select(Cluster).where(
                    Cluster.workspace_id == work.workspace_id, _like_any(Cluster.label, chunk))):
                cluster.keywords = [k for k in cluster.keywords or [] if not mentions(str(k), work.needles)]
                cluster.label = " ".join(str(k) for k in cluster.keywords[:3])
                n += 1
    work.count("clusters", n)
    alerts: dict[int, Alert] = {a.id: a for a in session.scalars(select(Alert).where(
        Alert.case_id.in_(scope.case_ids or [-1])))}
    for chunk in _chunks(work.needles):
        for alert in session.scalars(select(Alert).where(
                Alert.workspace_id == work.workspace_id,
                or_(_like_any(_json_text(Alert.data), chunk), _like_any(Alert.title, chunk)))):
            alerts[alert.id] = alert
    n = 0
    for alert in alerts.values():
        data = scrub_needles(alert.data or {}, work.needles)
        title = ERASED if mentions(alert.title, work.needles) else alert.title
        if data != (alert.data or {}) or title != alert.title:
            alert.data, alert.title = data, title
            n += 1
    work.count("alerts", n)
    # the volume counters by keyword (``kw:<term>``) count words of everyone's messages, per hour: a word is no
    # personal data, unless it names them (their name, handle or id written in a message)
    terms = set(salient_terms(" ".join(work.names)))
    terms |= {t.lower() for n in work.names for t in n.replace("@", " ").replace(".", " ").split() if len(t) >= 3}
    removed = 0
    for term in sorted(set(terms)):
        result = session.execute(delete(ListeningCount).where(ListeningCount.workspace_id == work.workspace_id,
                                                              ListeningCount.scope == f"kw:{term}")
                                 .execution_options(synchronize_session=False))
        removed += int(getattr(result, "rowcount", 0) or 0)
    work.count("listening_counts", removed)


def _erase_posts(session: Session, work: _Work) -> None:
    """The posts they wrote (the parent of a comment thread), on the accounts of their identities' networks."""
    by_network: dict[str, set[str]] = {}
    for identity in work.scope.identities:
        if not identity.platform_user_id.startswith(PLACEHOLDER):
            by_network.setdefault(identity.network, set()).add(identity.platform_user_id)
    n = 0
    for network, user_ids in by_network.items():
        for post in session.scalars(select(Post).join(ChannelAccount, ChannelAccount.id == Post.channel_account_id)
                                    .where(Post.workspace_id == work.workspace_id, ChannelAccount.network == network,
                                           Post.author_id.in_(sorted(user_ids)))):
            post.text = None
            post.title = None
            post.permalink = None
            post.author_id = None
            post.author_name = None
            n += 1
    work.count("posts", n)


def _erase_mail(session: Session, work: _Work) -> None:
    """E-mails to their addresses (an e-mail identity), and e-mails about their escalations (the brief, the
    follow-ups: sent to a partner, they quote the case): subject and bodies go, a partner's address stays."""
    addresses = {i.platform_user_id.lower() for i in work.scope.identities
                 if "@" in i.platform_user_id and not i.platform_user_id.startswith(PLACEHOLDER)}
    escalation_ids = set(session.scalars(select(Escalation.id).where(
        Escalation.case_id.in_(work.scope.case_ids or [-1]))))
    n = 0
    for mail in session.scalars(select(OutgoingMail).where(OutgoingMail.workspace_id == work.workspace_id,
                                                           OutgoingMail.subject != ERASED)):
        to = [str(a) for a in mail.to or []]
        ref = mail.ref or {}
        about = ref.get("escalation_id") in escalation_ids or ref.get("case_id") in set(work.scope.case_ids)
        to_them = any(a.lower() in addresses for a in to)
        quoting = bool(work.needles) and mentions(
            " ".join([mail.subject, mail.text, mail.html or "", json.dumps(mail.headers or {})]), work.needles)
        if not (about or to_them or quoting):
            continue
        if to_them:
            mail.to = [a if a.lower() not in addresses else ERASED for a in to]
        mail.subject = ERASED
        mail.text = ""
        mail.html = None
        mail.headers = {}
        mail.upload_ids = []
        mail.error = None if mail.error is None else ERASED
        n += 1
    work.count("mails", n)


def _erase_copies(session: Session, work: _Work) -> None:
    """Anything else that copied them: queued jobs' payloads, webhook deliveries, workspace-level timeline rows."""
    if not work.needles:
        return
    targets: list[tuple[Any, InstrumentedAttribute[Any], str]] = [
        (Job, Job.payload, "jobs"),
        (WebhookDelivery, WebhookDelivery.payload, "webhook_deliveries"),
        (CaseEvent, CaseEvent.data, "timeline"),
    ]
    for model, column, kind in targets:
        seen: set[int] = set()
        for chunk in _chunks(work.needles):
            for row in session.scalars(select(model).where(model.workspace_id == work.workspace_id,
                                                           _like_any(_json_text(column), chunk))):
                if row.id in seen:
                    continue
                seen.add(row.id)
                setattr(row, column.key, scrub_needles(getattr(row, column.key) or {}, work.needles))
        work.count(kind, len(seen))


# --- files -----------------------------------------------------------------------------------------------------------


def _discard_after_commit(session: Session, publisher: Publisher, workspace_id: int, digests: set[str],
                          data_dir: Path | None) -> None:
    if not digests:
        return
    wanted = sorted(digests)
    enqueue(session, publisher, workspace_id=workspace_id, kind=DISCARD_JOB,
            payload={"workspace_id": workspace_id, "digests": wanted}, max_attempts=20)
    if data_dir is not None:
        bind = session.get_bind()

        def discard() -> None:
            with Session(bind) as fresh:
                discard_files(fresh, data_dir, workspace_id, wanted)

        on_commit(session, discard)


def discard_files(session: Session, data_dir: Path, workspace_id: int, digests: Sequence[str]) -> int:
    """Delete the stored bytes of ``digests`` that no upload row of the workspace names any more; returns how
    many files were deleted. Safe to run twice, and after the rows' transaction committed only."""
    unused = set(digests) - upload_queries.digests_in_use(session, workspace_id, digests)
    deleted = 0
    for sha in sorted(unused):
        try:
            path = store.path_for(data_dir, workspace_id, sha)
        except ValueError:
            continue
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
    return deleted


# --- a message its author deleted ---------------------------------------------------------------------------------


def erase_message_content(session: Session, publisher: Publisher, message: Message, *,
                          data_dir: Path | None = None) -> dict[str, int]:
    """A message its author deleted on the platform: its text, attachments (and their files), triage copies,
    listening items and raw delivery go as in an erasure; the message row, its ``deleted_at`` and the timeline's
    "deleted by the author" stay (the case shows the marker). Idempotent."""
    if message.direction != Direction.INBOUND:
        return {}
    case = session.get(Case, message.case_id)
    assert case is not None
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    scope = Scope(contact=contact, contact_ids=[], identities=[], case_ids=[], message_ids=[message.id],
                  authored_ids=[message.id])
    work = _Work(workspace_id=message.workspace_id, scope=scope)
    work.needles = sorted(n for n in _text_needles([message.text]) if len(n) >= MIN_NEEDLE)
    if message.raw_event_id is not None:
        result = session.execute(update(RawEvent).where(RawEvent.id == message.raw_event_id,
                                                        RawEvent.body != REDACTED_BODY)
                                 .values(body=REDACTED_BODY).execution_options(synchronize_session=False))
        work.count("raw_events", int(getattr(result, "rowcount", 0) or 0))
    _erase_uploads(session, work)
    # its platform id stays: a late redelivery of the message is recognised as stored, never brought back
    _erase_messages(session, work, [message.id], marker="deleted_by_author", keep_platform_ids=True)
    _erase_listening(session, work)
    _erase_copies(session, work)
    if case.preview and work.needles and mentions(case.preview, work.needles):
        case.preview = ""
    if case.subject and work.needles and mentions(case.subject, work.needles):
        case.subject = ""
    search.forget_erased(session)
    _discard_after_commit(session, publisher, message.workspace_id, work.digests, data_dir)
    return dict(work.counts)


# --- Meta's data deletion callback ---------------------------------------------------------------------------------


def meta_deletion_request(session: Session, publisher: Publisher, *, channel_account_id: int, signed_request: str,
                          secret_key: str, data_dir: Path | None = None) -> list[Erasure]:
    """A person asked Meta to delete their data (Data Deletion Request Callback, on the account's URL): verify the
    ``signed_request`` with the account's app secret, find the contacts whose identity on the workspace's Facebook,
    Instagram or WhatsApp accounts using that same app secret is the app-scoped user id, erase each. Returns the
    records (the first one's code is the answer's ``confirmation_code``; a request naming nobody known gets a
    ``nothing_found`` record). Raises ``NotFound`` for an unknown or non-Meta account and ``Invalid`` for a
    malformed, forged or expired request."""
    account = session.get(ChannelAccount, channel_account_id)
    if account is None or account.network not in meta_deletion.NETWORKS:
        raise NotFound("no such account")
    app_secret = decrypt_json(secret_key, account.secrets_encrypted).get("app_secret")
    try:
        request = meta_deletion.parse(signed_request, app_secret)
    except meta_deletion.SignedRequestError as exc:
        raise Invalid("the signed request is not valid") from exc
    networks = set()
    for other in session.scalars(select(ChannelAccount).where(
            ChannelAccount.workspace_id == account.workspace_id,
            ChannelAccount.network.in_(meta_deletion.NETWORKS))):
        if other.id == account.id or decrypt_json(secret_key, other.secrets_encrypted).get("app_secret") == app_secret:
            networks.add(other.network)
    contact_ids = contacts_of_platform_user(session, account.workspace_id, sorted(networks), request.user_id)
    code = new_code()
    if not contact_ids:
        return [record_nothing_found(session, publisher, workspace_id=account.workspace_id,
                                     source="meta_deletion_callback", confirmation_code=code)]
    records = []
    for i, contact_id in enumerate(contact_ids):
        records.append(erase_contact(
            session, publisher, workspace_id=account.workspace_id, contact_id=contact_id,
            source="meta_deletion_callback", requested_by=None, reason="Meta data deletion request",
            data_dir=data_dir, confirmation_code=code if i == 0 else f"{code}-{i + 1}"))
    return records
