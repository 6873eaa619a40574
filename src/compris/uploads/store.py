"""The bytes of uploaded files, content-addressed on disk: ``<data_dir>/uploads/<workspace_id>/<aa>/<sha256>``.

A file is written once (the same bytes uploaded twice share one file), to a temporary name then renamed, so a
reader never sees half a file; writing bytes already stored refreshes the file's modification time. Nothing here
touches the database: :func:`discard` asks its caller whether a row still names the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from compris.kit import media

UPLOADS_DIR = "uploads"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 200
#: Unicode categories never kept in a name: controls (C0 and C1), format characters (the bidirectional
#: overrides and isolates that make ``photo\u202egnp.pdf`` read as ``photofdp.png``, zero-width characters),
#: line and paragraph separators, lone surrogates
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def root(data_dir: Path) -> Path:
    return data_dir / UPLOADS_DIR


def path_for(data_dir: Path, workspace_id: int, sha256: str) -> Path:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256")
    return root(data_dir) / str(int(workspace_id)) / sha256[:2] / sha256


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(data_dir: Path, workspace_id: int, data: bytes) -> str:
    """Store ``data`` (once) and return its SHA-256."""
    sha = digest(data)
    target = path_for(data_dir, workspace_id, sha)
    if target.is_file() and target.stat().st_size == len(data):
        try:
            os.utime(target)  # "just written": discard() leaves a recently written file alone
            return sha
        except FileNotFoundError:
            pass  # discarded meanwhile: write it again
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def discard(data_dir: Path, workspace_id: int, sha256: str, *, written_before: datetime,
            in_use: Callable[[], bool]) -> bool:
    """Delete the stored file unless it was written (or written again) at or after ``written_before`` or
    ``in_use()`` says a row names it; True when it was deleted.

    Safe against an upload of the same bytes at the same moment (which writes or touches the file before it
    commits its row): the file is first moved aside (atomically), then checked; when it must stay it is moved
    back (the same bytes, so replacing a copy written meanwhile changes nothing)."""
    target = path_for(data_dir, workspace_id, sha256)
    aside = target.with_name(f".discard-{uuid.uuid4().hex}")
    try:
        os.replace(target, aside)
    except FileNotFoundError:
        return False
    try:
        written = datetime.fromtimestamp(aside.stat().st_mtime, tz=UTC)
        keep = written >= written_before or in_use()
    except BaseException:
        os.replace(aside, target)
        raise
    if keep:
        os.replace(aside, target)
        return False
    aside.unlink()
    return True


def read(data_dir: Path, workspace_id: int, sha256: str) -> bytes:
    """The file's bytes; raises FileNotFoundError when it is missing or no longer matches its digest."""
    data = path_for(data_dir, workspace_id, sha256).read_bytes()
    if digest(data) != sha256:
        raise FileNotFoundError(f"the stored file {sha256[:12]}… is damaged")
    return data


def _safe_characters(raw: str | None) -> str:
    """NFC, the last path component only, reserved and invisible characters made ``_``."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in name)
    return _UNSAFE.sub("_", name)


def plain_name(raw: str | None) -> str:
    """The name as given, without directories or control characters (for messages), at most 80 characters."""
    return _safe_characters(raw).strip()[:80]


def clean_name(raw: str | None, mime_type: str) -> str:
    """A file name safe to store and show: no directories, control or reserved characters, at most 200
    characters, never starting with a dot; ``file.<ext>`` when nothing is left. The extension is made to
    match the type recognised from the bytes (``photo.png`` holding a JPEG becomes ``photo.png.jpg``)."""
    name = _safe_characters(raw).strip().lstrip(".").strip()
    ext = media.extension(mime_type)
    if not name:
        name = f"file.{ext}"
    _stem, dot, given = name.rpartition(".")
    matching = {ext, "jpeg"} if ext == "jpg" else {ext}
    if not dot or given.lower() not in matching:
        name = f"{name}.{ext}"
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
    return name
