"""Housekeeping of uploads: abandoned drafts' files are deleted after the grace period, nothing a reply carries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from compris.kit.errors import NotFound
from compris.models import Job, Upload
from compris.uploads import tasks
from compris.uploads.tasks import Purged, purge_orphans
from compris.worker import scheduler
from compris.worker.queue import HANDLERS, enqueue
from tests.conftest import World
from tests.uploads.helpers import age, file_of, png, reply_with, upload

GRACE = timedelta(hours=24)


def _purge(world: World, **kw: int) -> Purged:
    return purge_orphans(world.runtime.db, world.runtime.settings.data_dir, grace=GRACE, **kw)


def _ids(world: World) -> set[int]:
    with world.runtime.db.transaction() as session:
        return set(session.scalars(select(Upload.id)))


def test_an_abandoned_upload_is_deleted_after_the_grace_period(world: World) -> None:
    orphan = upload(world, png("draft"))
    age(world, orphan, 25)
    assert _purge(world) == Purged(uploads=1, files=1)
    assert _ids(world) == set()
    assert not file_of(world, orphan).exists()
    assert _purge(world) == Purged()  # again: nothing left to do


def test_a_young_orphan_is_kept(world: World) -> None:
    young = upload(world, png("young"))
    age(world, young, 23)
    assert _purge(world) == Purged()
    assert _ids(world) == {young.id} and file_of(world, young).is_file()


def test_uploading_the_file_again_restarts_the_grace_period(world: World) -> None:
    old = upload(world, png("again"))
    age(world, old, 30)
    again = upload(world, png("again"))  # the agent attaches it again to a new draft
    assert again.id == old.id and again.last_uploaded_at > old.last_uploaded_at
    assert _purge(world) == Purged()
    assert _ids(world) == {old.id} and file_of(world, old).is_file()


def test_an_upload_carried_by_a_reply_is_kept(world: World) -> None:
    sent = upload(world, png("sent"))
    first = reply_with(world, [sent])
    second = reply_with(world, [sent], text="The same plan")  # reused in another reply: still the first
    age(world, sent, 24 * 365)
    assert _purge(world) == Purged()
    with world.runtime.db.transaction() as session:
        row = session.get(Upload, sent.id)
        assert row is not None and row.message_id == first != second
    assert file_of(world, sent).is_file()


def test_a_reply_naming_a_file_deleted_meanwhile_is_refused(world: World) -> None:
    orphan = upload(world, png("gone"))
    age(world, orphan, 25)
    _purge(world)
    with pytest.raises(NotFound):
        reply_with(world, [orphan])


def test_shared_bytes_stay_while_another_row_names_them(world: World, world_factory: Callable[[str], World]) -> None:
    data = png("shared")
    first = upload(world, data, "plan.png")
    second = upload(world, data, "plan-copy.png")  # another row, the same bytes
    other_world = world_factory("other")
    elsewhere = upload(other_world, data, "plan.png")  # another workspace: its own copy of the bytes
    assert file_of(world, first) == file_of(world, second) != file_of(other_world, elsewhere)
    age(world, first, 25)
    age(other_world, elsewhere, 25)
    age(world, second, 1, file_too=False)
    assert _purge(world) == Purged(uploads=2, files=1)  # acme's first row, and the other workspace's copy
    assert _ids(world) == {second.id}
    assert file_of(world, second).is_file()  # still named by the second row
    assert not file_of(other_world, elsewhere).exists()
    age(world, second, 25)
    assert _purge(world) == Purged(uploads=1, files=1)
    assert not file_of(world, second).exists()


def test_a_file_written_again_just_now_stays(world: World) -> None:
    # an upload of the same bytes under way: the file was written again, its row is not committed yet
    orphan = upload(world, png("inflight"))
    age(world, orphan, 25, file_too=False)
    assert _purge(world) == Purged(uploads=1, files=0)
    assert file_of(world, orphan).is_file()


def test_orphans_go_in_batches(world: World) -> None:
    orphans = [upload(world, png(f"batch-{i}")) for i in range(7)]
    for item in orphans:
        age(world, item, 48)
    kept = upload(world, png("batch-young"))
    assert _purge(world, batch=3) == Purged(uploads=7, files=7)
    assert _ids(world) == {kept.id}


def test_the_periodic_job_is_registered_and_runs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    assert tasks.PURGE_JOB == "uploads.purge_orphans" and tasks.PURGE_JOB in HANDLERS
    periodic = {p.kind: p.every for p in scheduler.PERIODIC.values()}
    assert periodic[tasks.PURGE_JOB] == timedelta(hours=1)
    assert world.runtime.settings.upload_orphan_hours == 24
    scheduler.enqueue_due(world.runtime.services)
    assert scheduler.enqueue_due(world.runtime.services) < len(scheduler.PERIODIC)  # once per slot
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == tasks.PURGE_JOB)) == 1
    orphan = upload(world, png("job"))
    age(world, orphan, 25)
    with world.runtime.db.transaction() as session:
        enqueue(session, world.runtime.publisher, workspace_id=world.workspace_id, kind=tasks.PURGE_JOB,
                payload={})
    with caplog.at_level(logging.INFO, logger="compris.uploads.tasks"):
        world.run_jobs()
    assert _ids(world) == set() and not file_of(world, orphan).exists()
    assert "deleted 1 abandoned upload(s)" in caplog.text
