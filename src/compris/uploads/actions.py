"""Every write of uploads: store a file an agent attached (checked: not empty, not too large, a known type).

Like the other actions modules, this never commits. The bytes are written to disk first (content-addressed,
so a rolled-back row leaves at most an orphan file that the same upload later reuses). The same file uploaded
again by the same person under the same name is the same row: a resubmitted reply form (a double click, a retry
after a lost answer) names the same uploads, so it is recognised as the same reply rather than a conflict."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit import media
from compris.kit.errors import Invalid, TooLarge
from compris.models import Upload, User
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
    """Keep one uploaded file for ``actor``'s workspace and return its row (not yet committed)."""
    mime_type = check_file(data, max_bytes=max_bytes, name=name)
    sha = store.write(data_dir, actor.workspace_id, data)
    clean = store.clean_name(name, mime_type)
    same = session.scalar(
        select(Upload).where(Upload.workspace_id == actor.workspace_id, Upload.sha256 == sha, Upload.name == clean,
                             Upload.uploaded_by_id == actor.id).order_by(Upload.id).limit(1))
    if same is not None:
        return same
    upload = Upload(workspace_id=actor.workspace_id, name=clean, mime_type=mime_type,
                    kind=media.kind_of(mime_type), size=len(data), sha256=sha, uploaded_by_id=actor.id)
    session.add(upload)
    session.flush()
    return upload
