"""The periodic job that deletes abandoned drafts' files (uploads no reply carries), ``uploads.purge_orphans``.

An agent who attaches files and never sends the reply leaves uploads behind. Once an upload is carried by no
reply (``Upload.message_id`` is empty: ``uploads.actions.attach`` sets it when a reply is queued) and nobody
uploaded it again for ``COMPRIS_UPLOAD_ORPHAN_HOURS``, its row is deleted (a batch per transaction), then, after
the commit, its bytes — only when no other upload row of the workspace names the same content (the store is
content-addressed per workspace) and the file was not written again in the last hour (an upload of the same
bytes under way). Uploads carried by a reply, queued or sent, are never deleted; nor are the files customers sent
(``uploads.actions.store_inbound_file`` gives them their message, exactly like a reply's): they go only when their
message does (its case deleted), then as orphans.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import groupby
from pathlib import Path

from compris.db import Database
from compris.kit.clock import now
from compris.uploads import actions, queries, store
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

log = logging.getLogger(__name__)

PURGE_JOB = "uploads.purge_orphans"
BATCH = 500
#: a file written more recently than this is being uploaded again: it stays (its row is about to be committed)
FRESH_FILE = timedelta(hours=1)


@dataclass
class Purged:
    uploads: int = 0
    files: int = 0


def purge_orphans(db: Database, data_dir: Path, *, grace: timedelta, at: datetime | None = None,
                  batch: int = BATCH) -> Purged:
    """Delete the uploads no reply carries, untouched since ``at - grace``, then their unused bytes."""
    at = at or now()
    purged = Purged()
    while True:
        with db.transaction() as session:
            deleted = actions.delete_orphans(session, untouched_since=at - grace, limit=batch)
        purged.uploads += len(deleted)
        pairs = sorted({(d.workspace_id, d.sha256) for d in deleted})
        for workspace_id, group in groupby(pairs, key=lambda p: p[0]):
            digests = [sha for _ws, sha in group]
            with db.transaction() as session:
                unused = set(digests) - queries.digests_in_use(session, workspace_id, digests)
            for sha in sorted(unused):
                if store.discard(data_dir, workspace_id, sha, written_before=at - FRESH_FILE,
                                 in_use=partial(_in_use, db, workspace_id, sha)):
                    purged.files += 1
        if len(deleted) < batch:
            return purged


def _in_use(db: Database, workspace_id: int, sha256: str) -> bool:
    with db.transaction() as session:
        return bool(queries.digests_in_use(session, workspace_id, [sha256]))


@handler(PURGE_JOB, every=timedelta(hours=1), lane=BACKGROUND_LANE)
def purge_orphans_job(run: JobRun) -> None:
    settings = run.services.settings
    purged = purge_orphans(run.db, settings.data_dir, grace=timedelta(hours=settings.upload_orphan_hours))
    log.info("uploads: deleted %d abandoned upload(s) (no reply, untouched for %d h) and %d stored file(s)",
             purged.uploads, settings.upload_orphan_hours, purged.files)
