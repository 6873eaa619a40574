"""The same file by the same person under the same name is one upload row, even when submitted twice at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from compris.models import Upload, User
from compris.uploads.actions import store_upload
from tests.conftest import World
from tests.uploads.helpers import png, upload


def _count(world: World) -> int:
    with world.runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Upload)) or 0


def test_two_inserts_of_the_same_file_are_one_row(world: World) -> None:
    first = upload(world, png("same"))
    second = upload(world, png("same"))
    assert second.id == first.id and _count(world) == 1
    assert upload(world, png("same"), "other-name.png").id != first.id  # another name: another upload
    assert upload(world, png("same"), user=world.admin).id != first.id  # another person: another upload
    assert _count(world) == 3


def test_the_database_refuses_a_second_row(world: World) -> None:
    first = upload(world, png("constraint"))
    with pytest.raises(IntegrityError), world.runtime.db.transaction() as session:
        session.add(Upload(workspace_id=first.workspace_id, name=first.name, mime_type=first.mime_type,
                           kind=first.kind, size=first.size, sha256=first.sha256, uploaded_by_id=first.uploaded_by_id))
        session.flush()


def test_simultaneous_submits_of_the_same_file_make_one_row(world: World) -> None:
    # 8 requests at once (on SQLite they queue for the one writer; on PostgreSQL they race on the insert)
    start = threading.Barrier(8)
    ids: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            start.wait()
            ids.append(upload(world, png("race"), "race.png").id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(ids)) == 1 and len(ids) == 8 and _count(world) == 1


def test_a_submit_waiting_on_an_uncommitted_one_gets_its_row(world: World) -> None:
    """PostgreSQL: the second insert waits for the first transaction, then finds its row (no error)."""
    db = world.runtime.db
    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second request waits before it starts")
    got: dict[str, Any] = {}

    def second() -> None:
        try:
            got["id"] = upload(world, png("wait"), "wait.png").id
        except BaseException as exc:  # pragma: no cover - reported below
            got["error"] = exc

    with db.transaction() as session:
        actor = session.get(User, world.agent.id)
        assert actor is not None
        first = store_upload(session, world.runtime.settings.data_dir, actor=actor, data=png("wait"),
                             name="wait.png", max_bytes=1_000_000)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive()  # blocked on our uncommitted row
    thread.join(timeout=30)
    assert got == {"id": first.id} and _count(world) == 1
