"""A customer's files, fetched from the network and kept like the files agents attach to replies.

A network describes an inbound attachment by an address that expires within hours (Meta's CDN, WhatsApp's media
URLs), an id (WhatsApp's media id, Telegram's file id) or carries it in the message itself (an e-mail's MIME
parts). When a customer's message is stored (:class:`~compris.events.MessageReceived`, or a claimed message kept on
its case), :func:`queue_fetch` marks each of its files ``pending`` on the message and queues one
``inbox.fetch_attachments`` job, in the same transaction. The job (on the poll lane, so that it never holds up
deliveries and replies) fetches each pending file through its connector (:meth:`Connector.fetch_attachment`: the
platform's credentials where it needs them) **outside any transaction**, then stores it through
:func:`compris.uploads.actions.store_inbound_file` (not empty, at most ``COMPRIS_MAX_INBOUND_FILE_BYTES``, a type
recognised from its bytes) and records the outcome on the message's attachment, one short transaction per file:

- ``state: "stored"`` with ``upload_id`` (and the recognised ``mime_type``, the ``size`` and the clean ``name``);
- ``state: "not_stored"`` with ``reason``: ``too_large``, ``refused_type`` (not a type Compris keeps), ``empty``,
  ``not_found`` (deleted, or its address expired), ``refused`` (the platform refused), ``unavailable`` (nothing to
  fetch), ``failed`` (the platform kept failing: given up after :data:`MAX_TRIES`), and ``detail`` (the network's
  words, never a credential);
- ``state: "pending"`` while it waits, with ``tries``: a transient failure (a timeout, a 5xx, a rate limit) is tried
  again after a backoff (the platform's ``Retry-After`` when it gave one).

A file already ``stored`` or ``not_stored`` is never fetched again, so the job is safe to run twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.channels.accounts import connector_for, context
from compris.connectors.base import AccountContext, Attachment, Connector, FetchedFile, FetchError, InboundFile
from compris.db import Database
from compris.kit.errors import Invalid, TooLarge
from compris.live import Publisher, publish_case
from compris.models import Case, ChannelAccount, Message, RawEvent
from compris.uploads.actions import store_inbound_file
from compris.worker.queue import POLL_LANE, JobRun, RetryLater, backoff, enqueue

log = logging.getLogger(__name__)

FETCH_ATTACHMENTS = "inbox.fetch_attachments"
LANE = POLL_LANE
PENDING, STORED, NOT_STORED = "pending", "stored", "not_stored"
#: transient failures of one file before it is given up (``not_stored``, ``failed``): about half an hour of backoff
MAX_TRIES = 6
#: the first wait after a transient failure, doubled each time (seconds)
RETRY_BASE = 30.0
RETRY_CAP = 3600.0
#: a run stops fetching after this long and continues in a new run (the job's lease is 60 seconds)
RUN_BUDGET = 40.0
MAX_DETAIL = 300


def attachment_of(item: dict[str, Any]) -> Attachment:
    """The stored attachment as the connector described it."""

    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) else None

    size = item.get("size")
    return Attachment(kind=text("kind") or "file", url=text("url"), name=text("name"), mime_type=text("mime_type"),
                      size=size if isinstance(size, int) and not isinstance(size, bool) else None)


def queue_fetch(session: Session, publisher: Publisher, message_id: int) -> bool:
    """Mark the message's files ``pending`` and queue the job that fetches them (inside the transaction that stored
    the message); False when it has none to fetch. Attachments that are not files (a location, a link) are left
    as they are."""
    message = session.get(Message, message_id)
    if message is None or not message.attachments or message.channel_account_id is None:
        return False
    account = session.get(ChannelAccount, message.channel_account_id)
    if account is None:
        return False
    connector = connector_for(account)
    extra = message.platform_extra if isinstance(message.platform_extra, dict) else {}
    items: list[Any] = []
    pending = False
    for index, item in enumerate(message.attachments):
        if isinstance(item, dict) and "state" not in item and _fetchable(connector, index, item, extra):
            item = {**item, "state": PENDING}
            pending = True
        items.append(item)
    if not pending:
        return False
    message.attachments = items
    enqueue(session, publisher, workspace_id=message.workspace_id, kind=FETCH_ATTACHMENTS,
            payload={"message_id": message.id})
    return True


def _fetchable(connector: Connector, index: int, item: dict[str, Any], extra: dict[str, Any]) -> bool:
    """The connector's word, never an exception: this runs inside the transaction that stores the customer's
    message, which a bug here must not roll back (the file then stays a link, as before)."""
    try:
        return connector.fetchable(InboundFile(index=index, attachment=attachment_of(item), extra=extra))
    except Exception:
        log.exception("%s: could not tell whether attachment %d is a file", connector.network, index)
        return False


@dataclass(frozen=True)
class _Work:
    connector: Connector
    account: AccountContext  # with its secrets: never logged
    files: list[InboundFile]
    tries: dict[int, int]  # each pending file's transient failures so far


def _load(db: Database, secret_key: str, workspace_id: int, message_id: int) -> _Work | None:
    with db.transaction() as session:
        message = session.scalar(select(Message).where(Message.id == message_id,
                                                       Message.workspace_id == workspace_id))
        if message is None or message.channel_account_id is None:
            return None
        account = session.get(ChannelAccount, message.channel_account_id)
        if account is None:
            return None
        extra = dict(message.platform_extra) if isinstance(message.platform_extra, dict) else {}
        pending = [(i, item) for i, item in enumerate(message.attachments or [])
                   if isinstance(item, dict) and item.get("state") == PENDING]
        if not pending:
            return None
        raw = None
        if message.raw_event_id is not None:
            raw = session.scalar(select(RawEvent.body).where(RawEvent.id == message.raw_event_id,
                                                             RawEvent.workspace_id == workspace_id))
        files = [InboundFile(index=i, attachment=attachment_of(item), extra=extra, raw=raw) for i, item in pending]
        tries = {i: int(item["tries"]) if isinstance(item.get("tries"), int) else 0 for i, item in pending}
        return _Work(connector_for(account), context(account, secret_key), files, tries)


def _record(db: Database, publisher: Publisher, workspace_id: int, message_id: int, index: int,
            outcome: dict[str, Any], *, data_dir: Path | None = None, fetched: FetchedFile | None = None,
            max_bytes: int = 0) -> dict[str, Any] | None:
    """Store the fetched file (when given) and write the attachment's outcome, in one transaction; returns the
    attachment as recorded (None when the message or the attachment is gone, or it was settled meanwhile)."""
    with db.transaction() as session:
        message = session.scalar(select(Message).where(Message.id == message_id, Message.workspace_id == workspace_id)
                                 .with_for_update())
        if message is None:
            return None
        items = list(message.attachments or [])
        if index >= len(items) or not isinstance(items[index], dict) or items[index].get("state") != PENDING:
            return None  # another run settled it
        item = {k: v for k, v in items[index].items() if k not in ("reason", "detail")}
        if fetched is not None and data_dir is not None:
            try:
                upload = store_inbound_file(session, data_dir, message=message, data=fetched.data,
                                            name=fetched.name or item.get("name") or item.get("kind"),
                                            max_bytes=max_bytes)
            except TooLarge as exc:
                outcome = {"state": NOT_STORED, "reason": "too_large", "detail": str(exc)[:MAX_DETAIL]}
            except Invalid as exc:
                reason = "empty" if not fetched.data else "refused_type"
                outcome = {"state": NOT_STORED, "reason": reason, "detail": str(exc)[:MAX_DETAIL]}
            else:
                outcome = {"state": STORED, "upload_id": upload.id, "name": upload.name,
                           "mime_type": upload.mime_type, "size": upload.size}
        if outcome.get("state") != PENDING:
            item.pop("tries", None)
        item.update(outcome)
        items[index] = item
        message.attachments = items
        case = session.get(Case, message.case_id)
        if case is not None and outcome.get("state") != PENDING:
            publish_case(session, publisher, case, "attachment", message_id=message.id)
        return item


def fetch_attachments(run: JobRun) -> None:
    """The ``inbox.fetch_attachments`` job: fetch and keep the message's pending files (see the module's doc)."""
    settings = run.services.settings
    message_id = int(run.payload["message_id"])
    work = _load(run.db, settings.secret_key, run.workspace_id, message_id)
    if work is None:
        return
    started = time.monotonic()
    wait: float | None = None
    reason = ""
    for file in work.files:
        if time.monotonic() - started > RUN_BUDGET:
            raise RetryLater(1.0, "more files to fetch")
        max_bytes = settings.max_inbound_file_bytes
        try:
            fetched = work.connector.fetch_attachment(work.account, file, run.services.http, max_bytes=max_bytes)
        except FetchError as exc:
            detail = exc.reason[:MAX_DETAIL]
            if not exc.retryable:
                _record(run.db, run.publisher, run.workspace_id, message_id, file.index,
                        {"state": NOT_STORED, "reason": exc.code, "detail": detail})
                continue
            tries = work.tries.get(file.index, 0) + 1
            if tries >= MAX_TRIES:
                _record(run.db, run.publisher, run.workspace_id, message_id, file.index,
                        {"state": NOT_STORED, "reason": "failed", "detail": detail})
                continue
            _record(run.db, run.publisher, run.workspace_id, message_id, file.index,
                    {"state": PENDING, "tries": tries, "detail": detail})
            delay = max(exc.retry_after or 0.0, backoff(tries, base=RETRY_BASE, cap=RETRY_CAP))
            wait = delay if wait is None else min(wait, delay)
            reason = detail
            continue
        except Exception as exc:  # a connector's bug: the file is not kept, the other files still are
            log.exception("fetching attachment %d of message %d failed", file.index, message_id)
            _record(run.db, run.publisher, run.workspace_id, message_id, file.index,
                    {"state": NOT_STORED, "reason": "failed", "detail": type(exc).__name__})
            continue
        _record(run.db, run.publisher, run.workspace_id, message_id, file.index, {}, data_dir=settings.data_dir,
                fetched=fetched, max_bytes=max_bytes)
    if wait is not None:
        raise RetryLater(wait, f"a file could not be fetched yet: {reason}")
