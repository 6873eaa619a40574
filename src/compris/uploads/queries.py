"""Reads of uploads, always scoped to one workspace (another workspace's upload is "not found")."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.errors import NotFound
from compris.models import Upload


def get_upload(session: Session, workspace_id: int, upload_id: int) -> Upload:
    upload = session.scalar(select(Upload).where(Upload.workspace_id == workspace_id, Upload.id == upload_id))
    if upload is None:
        raise NotFound("no such file")
    return upload


def uploads_in_order(session: Session, workspace_id: int, ids: Iterable[int]) -> list[Upload]:
    """The uploads named (each once, in the order given); raises NotFound when one is not the workspace's."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    found = {u.id: u for u in session.scalars(
        select(Upload).where(Upload.workspace_id == workspace_id, Upload.id.in_(wanted)))}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound.of("no such file: %(id)s", id=missing[0])
    return [found[i] for i in wanted]


def digests_in_use(session: Session, workspace_id: int, digests: Iterable[str]) -> set[str]:
    """Which of these SHA-256 digests an upload row of the workspace still names (their bytes must stay)."""
    wanted = sorted(set(digests))
    if not wanted:
        return set()
    return set(session.scalars(select(Upload.sha256).distinct()
                               .where(Upload.workspace_id == workspace_id, Upload.sha256.in_(wanted))))
