"""Jobs of listening and their schedule."""

from __future__ import annotations

from compris.listening import bulk
from compris.worker.queue import handler

# --- bulk operations (li-bulk): the job that works a bulk run's pending items -----------------------------------
process_bulk_run = handler(bulk.BULK_JOB)(bulk.process)
