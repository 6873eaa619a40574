"""Inbound pipeline: receive (verify → store raw → 200) and process (a job, safe to run twice; registered in
:mod:`compris.inbox.tasks`)."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar, cast

from sqlalchemy import ColumnElement, String, exists, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session

from compris import audit
from compris.channels.accounts import connector_for, context
from compris.connectors.base import (
    AccountContext,
    Connector,
    ConnectorError,
    InboundMessage,
    ParsedDelivery,
    SignatureError,
    UnprocessableEvent,
    WebhookRequest,
    WebhookResponse,
)
from compris.db import Database
from compris.inbox import actions, fanout
from compris.kit.clock import now
from compris.kit.errors import Conflict, NotFound
from compris.live import Publisher
from compris.models import ChannelAccount, Direction, Job, JobStatus, RawEvent, RawEventStatus
from compris.triage import refine as triage_refine
from compris.worker.queue import JobRun, RetryLater, backoff, enqueue

log = logging.getLogger(__name__)

PROCESS_RAW_EVENT = "inbox.process_raw_event"


@dataclass(frozen=True)
class Received:
    response: WebhookResponse
    stored: bool  # False for a handshake or a duplicate delivery
    raw_event_id: int | None = None


class WebhookRejected(Exception):
    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


def receive(db: Database, publisher: Publisher, secret_key: str, account_id: int, request: WebhookRequest) -> Received:
    """Verify a delivery on its raw bytes and store it exactly once; do nothing else."""
    with db.transaction() as session:
        account = session.get(ChannelAccount, account_id)
        if account is None or not account.is_active:
            raise WebhookRejected(404, "unknown channel account")
        connector = connector_for(account)
        ctx = context(account, secret_key)
        handshake = connector.handshake(ctx, request)
        if handshake is not None:
            return Received(handshake, stored=False)
        if request.method != "POST":
            raise WebhookRejected(405, "deliveries are POSTed")
        try:
            connector.verify(ctx, request)
        except SignatureError as exc:
            raise WebhookRejected(exc.status_code, exc.reason) from None
        key = storable_key(connector.event_id(ctx, request))
        content_type = storable_text(request.headers.get("content-type", ""))
        raw_id = store_raw_event(session, publisher, account, key, request.body, content_type)
        # one callback URL may serve several accounts (Meta: every Page of an app): hand each its copy
        for sibling in fanout.siblings_named(session, secret_key, account, connector, request):
            store_raw_event(session, publisher, sibling, key, request.body, content_type)
        return Received(connector.acknowledge(ctx, request), stored=raw_id is not None, raw_event_id=raw_id)


def storable_text(value: str) -> str:
    """``value`` without what PostgreSQL cannot store in a text column: NUL characters, lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    return value


def storable_key(key: str) -> str:
    """An event key PostgreSQL can store, still one per distinct key: one with a NUL or a lone surrogate is
    written with those escaped (``\\x00``, ``\\ud800``), so two different keys never become one."""
    if "\x00" not in key:
        try:
            key.encode("utf-8")
            return key
        except UnicodeEncodeError:
            pass
    return "".join(c if c != "\x00" and not "\ud800" <= c <= "\udfff" else f"\\u{ord(c):04x}" for c in key)


def store_raw_event(
    session: Session,
    publisher: Publisher,
    account: ChannelAccount,
    event_key: str,
    body: bytes,
    content_type: str = "",
) -> int | None:
    """Store one verified delivery (webhook or poll) exactly once per account and event key, with its
    processing job in the same transaction. Returns the new row's id, or None for a duplicate."""
    values = {
        "workspace_id": account.workspace_id,
        "channel_account_id": account.id,
        "event_key": storable_key(event_key)[:300],
        "body": body,
        "content_type": content_type[:200],
        "status": RawEventStatus.PENDING,
        "created_at": now(),
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RawEvent)
    raw_id = session.scalar(
        insert.values(**values)
        .on_conflict_do_nothing(index_elements=["channel_account_id", "event_key"])
        .returning(RawEvent.id)
    )
    if raw_id is not None:
        enqueue(
            session,
            publisher,
            workspace_id=account.workspace_id,
            kind=PROCESS_RAW_EVENT,
            payload={"raw_event_id": raw_id},
            dedupe_key=f"raw:{raw_id}",
            max_attempts=PROCESS_ATTEMPTS,
        )
    return raw_id


MAX_ENRICH_ATTEMPTS = 5
#: runs of the processing job before a delivery that keeps failing is set aside as unprocessable (visible under
#: Admin → Deliveries, replayable) rather than left pending and invisible
PROCESS_ATTEMPTS = 8
#: database errors that say nothing about the delivery (the server is away, the pool is exhausted): the job is
#: run again, the delivery stays pending (a lost race, an IntegrityError, is retried like any other error)
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError, sqlalchemy_exc.TimeoutError)


def process_raw_event(run: JobRun) -> None:
    """The job ``inbox.process_raw_event``: enrich (outside any transaction), then :func:`process`.

    A delivery that verified but does not parse, or holds a value the database refuses, is marked unprocessable
    with its reason at once (never a crash, never retried); a transient database error is retried; anything
    else is retried, and after :data:`PROCESS_ATTEMPTS` runs the delivery is set aside as unprocessable."""
    raw_event_id = int(run.payload["raw_event_id"])
    try:
        prepared = _enriched(run, raw_event_id)
        with run.db.transaction() as session:
            process(session, run.publisher, run.services.secret_key, raw_event_id, prepared=prepared,
                    refine=run.services.settings.triage_accurate)
    except RetryLater:
        raise
    except UnprocessableEvent as exc:
        mark_unprocessable(run.db, raw_event_id, str(exc))
    except DataError as exc:  # a value the database cannot hold (too long, out of range): the delivery's fault
        mark_unprocessable(run.db, raw_event_id, f"the database refused a value: {_first_line(exc.orig or exc)}")
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception as exc:
        if run.attempt < PROCESS_ATTEMPTS:
            raise
        log.exception("raw event %s: processing failed %s times, set aside as unprocessable", raw_event_id,
                      run.attempt)
        mark_unprocessable(run.db, raw_event_id, f"processing failed {run.attempt} times: "
                                                  f"{type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


def mark_unprocessable(db: Database, raw_event_id: int, reason: str) -> None:
    """Set a pending delivery aside with its reason (a delivery processed meanwhile stays processed)."""
    with db.transaction() as session:
        raw = session.scalar(select(RawEvent).where(RawEvent.id == raw_event_id).with_for_update())
        if raw is None or raw.status != RawEventStatus.PENDING:
            return
        _set_unprocessable(raw, reason)


def _set_unprocessable(raw: RawEvent, reason: str) -> None:
    raw.status = RawEventStatus.UNPROCESSABLE
    raw.error = storable_text(reason)[:2000]
    raw.processed_at = now()
    log.warning("raw event %s unprocessable: %s", raw.id, raw.error)


def _parse(connector: Connector, ctx: AccountContext, body: bytes) -> ParsedDelivery:
    """The connector's parse; any error it lets through (a TypeError on a field of the wrong type) is the
    delivery's :class:`UnprocessableEvent`, with its reason."""
    try:
        return connector.parse(ctx, body)
    except UnprocessableEvent:
        raise
    except Exception as exc:
        log.warning("the %s connector failed to parse a delivery", connector.network, exc_info=True)
        raise UnprocessableEvent(f"cannot parse: {type(exc).__name__}: {_first_line(exc)}") from None


def _enriched(run: JobRun, raw_event_id: int) -> ParsedDelivery | None:
    """Parse, and fetch what the platform sends only on request, before opening the processing transaction
    (no HTTP call ever runs inside a transaction). None: nothing to fetch, ``process`` parses by itself."""
    with run.db.transaction() as session:
        raw = session.get(RawEvent, raw_event_id)
        if raw is None or raw.status != RawEventStatus.PENDING:
            return None
        account = session.get(ChannelAccount, raw.channel_account_id)
        assert account is not None
        connector, ctx, body = connector_for(account), context(account, run.services.secret_key), raw.body
    try:
        parsed = _parse(connector, ctx, body)
    except UnprocessableEvent:
        return None  # process() records why
    try:
        if not any(connector.needs_enrichment(m) for m in parsed.messages):
            return None
    except Exception as exc:
        raise UnprocessableEvent(f"cannot parse: {type(exc).__name__}: {_first_line(exc)}") from None
    messages = []
    for message in parsed.messages:
        if connector.needs_enrichment(message):
            try:
                message = connector.enrich(ctx, message, run.services.http)
            except ConnectorError as exc:
                if run.attempt < MAX_ENRICH_ATTEMPTS:
                    raise RetryLater(backoff(run.attempt), f"fetching the message's content failed: {exc}") from None
                log.warning("raw event %s: recorded without the content the platform would not give: %s",
                            raw_event_id, exc)
        messages.append(message)
    return dataclasses.replace(parsed, messages=tuple(messages))


def process(
    session: Session,
    publisher: Publisher,
    secret_key: str,
    raw_event_id: int,
    *,
    prepared: ParsedDelivery | None = None,
    refine: str = "off",
) -> int:
    """Normalise one stored delivery into messages and cases. Returns how many messages were new.

    ``refine`` is ``COMPRIS_TRIAGE_ACCURATE``: which new customer messages get a ``triage.refine`` job."""
    raw = session.scalar(select(RawEvent).where(RawEvent.id == raw_event_id).with_for_update())
    if raw is None or raw.status != RawEventStatus.PENDING:
        return 0  # already done (a job run twice) or purged
    account = session.get(ChannelAccount, raw.channel_account_id)
    assert account is not None
    connector = connector_for(account)
    try:
        parsed = prepared or _parse(connector, context(account, secret_key), raw.body)
    except UnprocessableEvent as exc:
        _set_unprocessable(raw, str(exc))
        return 0
    created = 0
    for message in parsed.messages:
        if _record(session, publisher, account, _storable(message), raw.id, refine):
            created += 1
    for status in parsed.statuses:
        actions.record_delivery_status(session, publisher, account, _storable(status))
    raw.status = RawEventStatus.PROCESSED
    raw.processed_at = now()
    return created


_T = TypeVar("_T")


def _storable(value: _T) -> _T:
    """A parsed message (or status) with every text PostgreSQL can store (no NUL, no lone surrogate)."""
    return cast(_T, _clean(value))


def _clean(value: object) -> object:
    if isinstance(value, str):
        return storable_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def _record(
    session: Session, publisher: Publisher, account: ChannelAccount, message: InboundMessage, raw_id: int,
    refine: str,
) -> bool:
    stored = actions.record_inbound(session, publisher, account, message, raw_event_id=raw_id)
    if stored is None:
        return False
    if stored.direction == Direction.INBOUND:  # a customer's message (not our own account's echo)
        triage_refine.plan_refinement(session, publisher, stored, refine)
    return True


# --- Admin → Deliveries: replaying a delivery set aside ----------------------------------------------------

#: a delivery still pending after this long has lost its job (a crash before this version, a job failed for
#: good): Admin → Deliveries shows it with its replay button
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Replay:
    raw_event_id: int
    #: "queued": processing will run again; "pending": it was already waiting for processing (nothing added)
    outcome: str


def _live_job_of(raw_id: ColumnElement[int] | InstrumentedAttribute[int] | int) -> ColumnElement[bool]:
    """A processing job of this delivery is queued or running (its first job, or a replay's)."""
    key = literal("raw:") + sql_cast(raw_id, String)
    return exists().where(Job.kind == PROCESS_RAW_EVENT, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                          (Job.dedupe_key == key) | Job.dedupe_key.like(key + ":replay:%"))


def _live_job(session: Session, raw_event_id: int) -> bool:
    return bool(session.scalar(select(_live_job_of(raw_event_id))))


def replay(session: Session, publisher: Publisher, *, workspace_id: int, raw_event_id: int,
           actor_user_id: int | None) -> Replay:
    """Process a delivery set aside as unprocessable again (after a connector update), or give a stuck pending
    one a new job. Idempotent: a delivery processed once is never processed again (409), and one already
    waiting for its job gets no second job."""
    raw = session.scalar(select(RawEvent).where(RawEvent.id == raw_event_id, RawEvent.workspace_id == workspace_id)
                         .with_for_update())
    if raw is None:
        raise NotFound("no such delivery in your workspace")
    if raw.status == RawEventStatus.PROCESSED:
        raise Conflict.of("This delivery was already processed: it is never processed twice.")
    if raw.status == RawEventStatus.PENDING and _live_job(session, raw.id):
        return Replay(raw.id, "pending")
    raw.status = RawEventStatus.PENDING
    raw.error = None
    raw.processed_at = None
    enqueue(session, publisher, workspace_id=workspace_id, kind=PROCESS_RAW_EVENT,
            payload={"raw_event_id": raw.id}, dedupe_key=f"raw:{raw.id}:replay:{uuid.uuid4().hex[:16]}",
            max_attempts=PROCESS_ATTEMPTS)
    audit.record(session, publisher, workspace_id=workspace_id, actor_user_id=actor_user_id, entity="delivery",
                 action="replayed", entity_id=raw.id)
    return Replay(raw.id, "queued")


def set_aside(session: Session, workspace_id: int, limit: int = 100) -> list[RawEvent]:
    """The workspace's deliveries that need a person: unprocessable ones, and pending ones without a job left,
    past :data:`STUCK_AFTER` (newest first)."""
    stuck = ((RawEvent.status == RawEventStatus.PENDING) & (RawEvent.created_at < now() - STUCK_AFTER)
             & ~_live_job_of(RawEvent.id))
    return list(session.scalars(
        select(RawEvent).where(RawEvent.workspace_id == workspace_id,
                               (RawEvent.status == RawEventStatus.UNPROCESSABLE) | stuck)
        .order_by(RawEvent.created_at.desc(), RawEvent.id.desc()).limit(limit)))
