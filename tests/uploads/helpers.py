"""Uploads and replies carrying them, for the upload tests."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from compris.inbox import actions
from compris.kit.clock import now
from compris.models import Case, Message, Upload, User
from compris.uploads import store
from compris.uploads.actions import store_upload
from compris.uploads.queries import uploads_in_order
from tests.conftest import World
from tests.routing.helpers import inbound

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def png(tag: str) -> bytes:
    return PNG + tag.encode() * 8


def upload(world: World, data: bytes, name: str = "photo.png", user: User | None = None) -> Upload:
    user = user or world.agent
    with world.runtime.db.transaction() as session:
        actor = session.get(User, user.id)
        assert actor is not None
        return store_upload(session, world.runtime.settings.data_dir, actor=actor, data=data, name=name,
                            max_bytes=1_000_000)


def age(world: World, item: Upload, hours: float, *, file_too: bool = True) -> None:
    """Make ``item`` look uploaded ``hours`` ago (its row, and its file unless ``file_too`` is False)."""
    then = now() - timedelta(hours=hours)
    with world.runtime.db.transaction() as session:
        session.execute(update(Upload).where(Upload.id == item.id).values(created_at=then, last_uploaded_at=then))
    if file_too:
        os.utime(file_of(world, item), (then.timestamp(), then.timestamp()))


def file_of(world: World, item: Upload) -> Path:
    return store.path_for(world.runtime.settings.data_dir, item.workspace_id, item.sha256)


def reply_with(world: World, uploads: list[Upload], text: str = "Here it is") -> int:
    """A public reply queued on a new case, carrying ``uploads``; returns the message id."""
    case_id = inbound(world.runtime, world.account.id, "Can you send the plan?", author=f"c-{now().timestamp()}")
    with world.runtime.db.transaction() as session:
        case = session.get(Case, case_id)
        actor = session.get(User, world.agent.id)
        assert case is not None and actor is not None
        message: Message = actions.add_reply(
            session, world.runtime.publisher, actor=actor, case=case, text=text, visibility="public",
            attachments=uploads_in_order(session, world.workspace_id, [u.id for u in uploads]))
        return message.id
