"""Every write of uploads: store a file an agent attached (checked: not empty, not too large, a known type).

Like the other actions modules, this never commits. The bytes are written to disk first (content-addressed,
so a rolled-back row leaves at most an orphan file that the same upload later reuses). The same file uploaded
again by the same person under the same name is the same row (a unique constraint, so two simultaneous submits
make one row too): a resubmitted reply form (a double click, a retry after a lost answer) names the same uploads,
so it is recognised as the same reply rather than a conflict.

Retention: :func:`attach` records the first reply that carries an upload (called by ``inbox.actions.add_reply``);
:func:`delete_orphans` deletes the rows of uploads no reply carries and no capability holds (:func:`hold`: the
files an escalation shared with a partner, the files a partner sent), untouched for the grace period (the
``uploads.purge_orphans`` job, ``uploads/tasks.py``, then deletes their bytes once no row names them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from compris.kit import media
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound, TooLarge
from compris.models import Message, Upload, User
from compris.uploads import store


def check_file(data: bytes, *, max_bytes: int, name: str | None = None) -> str:
    """The file's type, recognised from its bytes; raises ``Invalid`` (empty, unknown type) or ``TooLarge``."""
    label = f" ({store.plain_name(name)})" if store.plain_name(name) else ""
    if not data:
        raise Invalid.of("the file is empty%(label)s", label=label)
    if len(data) > max_bytes:
        raise TooLarge.of("the file is too large%(label)s: %(size)s, at most %(max)s", label=label,
                          size=media.human_size(len(data)), max=media.human_size(max_bytes))
    mime_type = media.sniff(data)
    if mime_type is None:
        raise Invalid.of("this type of file is not accepted%(label)s: send an image (JPEG, PNG, GIF, WebP), "
                         "a PDF, a video (MP4, MOV, WebM) or an audio file (M4A, MP3, OGG, WAV, AAC)", label=label)
    return mime_type


def store_upload(session: Session, data_dir: Path, *, actor: User, data: bytes, name: str | None,
                 max_bytes: int) -> Upload:
    """Keep one uploaded file for ``actor``'s workspace and return its row (not yet committed).

    The same file by the same person under the same name is one row (``INSERT … ON CONFLICT DO NOTHING``: a
    simultaneous submit waits for the other and then finds its row); uploading it again moves its
    ``last_uploaded_at``, so a draft's file is never taken for an abandoned one while the draft is open."""
    return store_file(session, data_dir, workspace_id=actor.workspace_id, uploaded_by_id=actor.id, data=data,
                      name=name, max_bytes=max_bytes)


def store_file(session: Session, data_dir: Path, *, workspace_id: int, uploaded_by_id: int | None, data: bytes,
               name: str | None, max_bytes: int, held_by: str | None = None) -> Upload:
    """:func:`store_upload` for a file that may come from someone without an account (``uploaded_by_id`` None: a
    partner's answer on the portal or by e-mail), with the same checks; ``held_by`` names the capability that
    keeps it (:func:`hold`), so that it is never taken for an abandoned draft's file."""
    mime_type = check_file(data, max_bytes=max_bytes, name=name)
    sha = store.write(data_dir, workspace_id, data)
    clean = store.clean_name(name, mime_type)
    same_file = (Upload.workspace_id == workspace_id, Upload.uploaded_by_id == uploaded_by_id,
                 Upload.sha256 == sha, Upload.name == clean)
    moved: dict[str, object] = {"held_by": held_by} if held_by else {}
    for _attempt in range(3):
        at = now()
        # again: this moves last_uploaded_at, and is a no-op when housekeeping deleted the row meanwhile
        same_id = session.scalar(update(Upload).where(*same_file).values(last_uploaded_at=at, **moved)
                                 .returning(Upload.id).execution_options(synchronize_session=False))
        if same_id is None:
            values = {"workspace_id": workspace_id, "name": clean, "mime_type": mime_type,
                      "kind": media.kind_of(mime_type), "size": len(data), "sha256": sha,
                      "uploaded_by_id": uploaded_by_id, "created_at": at, "last_uploaded_at": at,
                      "held_by": held_by}
            insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Upload)
            same_id = session.scalar(
                insert.values(**values)
                .on_conflict_do_nothing(index_elements=["workspace_id", "uploaded_by_id", "sha256", "name"])
                .returning(Upload.id))
        if same_id is not None:
            upload = session.get(Upload, same_id, populate_existing=True)
            assert upload is not None
            return upload
        # another request inserted this file between our update and our insert: update it now
    raise Conflict("the file was stored by another request at the same time, try again")


def store_inbound_file(session: Session, data_dir: Path, *, message: Message, data: bytes, name: str | None,
                       max_bytes: int) -> Upload:
    """Keep a file a customer sent (fetched from the network by ``inbox.fetch_attachments``) for ``message``'s
    workspace, with the checks of :func:`store_upload` (not empty, at most ``max_bytes``, a type recognised from
    its bytes: ``Invalid`` or ``TooLarge`` otherwise). The upload is the message's (``message_id``, when it has
    none yet), so retention treats it like a reply's file: kept while the message is, an orphan once it is gone.
    The same bytes under the same name are one row (a second run of the job stores nothing twice)."""
    upload = store_file(session, data_dir, workspace_id=message.workspace_id, uploaded_by_id=None, data=data,
                        name=name, max_bytes=max_bytes)
    if upload.message_id is None:
        session.execute(update(Upload).where(Upload.id == upload.id, Upload.message_id.is_(None))
                        .values(message_id=message.id).execution_options(synchronize_session=False))
        session.refresh(upload)
    return upload


def hold(session: Session, workspace_id: int, upload_ids: Sequence[int], *, by: str) -> int:
    """Mark the workspace's uploads ``upload_ids`` as kept by the capability ``by`` (an escalation shared them
    with a partner): :func:`delete_orphans` never deletes them, whether or not a reply carries them. Returns
    how many rows it marked (another workspace's ids are ignored)."""
    ids = [int(u) for u in dict.fromkeys(upload_ids)]
    if not ids:
        return 0
    result = session.execute(update(Upload).where(Upload.workspace_id == workspace_id, Upload.id.in_(ids),
                                                  Upload.held_by.is_(None))
                             .values(held_by=by[:32]).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def attach(session: Session, uploads: Sequence[Upload], message: Message) -> None:
    """Record that ``message`` (a queued reply) carries ``uploads``: an upload keeps the first reply that carried
    it, and is never an orphan again. Raises ``NotFound`` when one was deleted meanwhile (an abandoned draft's
    file deleted by housekeeping just now), so the reply is refused rather than queued without its file."""
    ids = list(dict.fromkeys(u.id for u in uploads))
    if not ids:
        return
    session.execute(update(Upload).where(Upload.id.in_(ids), Upload.message_id.is_(None))
                    .values(message_id=message.id))
    found = session.scalar(select(func.count()).select_from(Upload)
                           .where(Upload.id.in_(ids), Upload.workspace_id == message.workspace_id))
    if found != len(ids):
        raise NotFound("no such file")


@dataclass(frozen=True)
class DeletedUpload:
    workspace_id: int
    sha256: str


def delete_orphans(session: Session, *, untouched_since: datetime, limit: int) -> list[DeletedUpload]:
    """Delete up to ``limit`` uploads no reply carries, no capability holds (:func:`hold`) and not uploaded since
    ``untouched_since`` (oldest first); returns what they named, so the caller deletes the bytes after the commit
    where no row names them.

    The conditions are checked again by the ``DELETE`` itself: a row a reply or a new upload took meanwhile
    (``attach``, ``store_upload``) is left alone (PostgreSQL re-reads a row changed by a concurrent
    transaction; SQLite has one writer at a time)."""
    orphan = (Upload.message_id.is_(None), Upload.held_by.is_(None), Upload.last_uploaded_at < untouched_since)
    ids = list(session.scalars(select(Upload.id).where(*orphan).order_by(Upload.last_uploaded_at).limit(limit)))
    if not ids:
        return []
    rows = session.execute(delete(Upload).where(Upload.id.in_(ids), *orphan)
                           .returning(Upload.workspace_id, Upload.sha256)
                           .execution_options(synchronize_session=False))
    return [DeletedUpload(workspace_id, sha256) for workspace_id, sha256 in rows]
