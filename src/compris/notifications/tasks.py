"""Jobs of notifications: the old ones deleted (hourly, on the background lane: no customer waits for it)."""

from __future__ import annotations

import logging
from datetime import timedelta

from compris.kit.clock import now
from compris.notifications import actions
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

log = logging.getLogger(__name__)

PURGE_JOB = "notifications.purge"


@handler(PURGE_JOB, every=timedelta(hours=1), lane=BACKGROUND_LANE)
def purge_old_notifications(run: JobRun) -> None:
    """Notifications older than ``COMPRIS_NOTIFICATION_RETENTION_DAYS``, read or not, in batches (one short
    transaction each)."""
    cutoff = now() - timedelta(days=run.services.settings.notification_retention_days)
    total = 0
    while True:
        with run.db.transaction() as session:
            removed = actions.purge_before(session, cutoff)
        total += removed
        if removed < actions.PURGE_BATCH:
            break
    if total:
        log.info("purged %s notifications older than %s", total, cutoff.isoformat())
