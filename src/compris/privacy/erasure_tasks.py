"""The job of erasure: ``privacy.discard_files`` deletes the stored bytes of the files an erasure (or a message
its author deleted) removed, once their rows' transaction has committed."""

from __future__ import annotations

import logging

from compris.privacy.actions.erasure import DISCARD_JOB, discard_files
from compris.worker.queue import JobRun, handler

log = logging.getLogger(__name__)


@handler(DISCARD_JOB)
def discard_files_job(run: JobRun) -> None:
    digests = [str(d) for d in run.payload.get("digests", []) if isinstance(d, str)]
    workspace_id = int(run.payload.get("workspace_id", run.workspace_id))
    with run.db.transaction() as session:
        deleted = discard_files(session, run.services.settings.data_dir, workspace_id, digests)
    log.info("privacy: deleted %d stored file(s) of an erasure", deleted)
