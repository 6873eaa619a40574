"""Jobs of the platform itself: housekeeping."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from compris.kit.clock import now
from compris.models import Job, JobStatus, LoginAttempt, RawEvent, RawEventStatus, UserSession
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler


@handler("maintenance.purge", every=timedelta(hours=1), lane=BACKGROUND_LANE)
def purge(run: JobRun) -> None:
    """Drop processed raw deliveries past retention, old login failures, sessions ended 30 days ago and finished
    jobs."""
    retention = timedelta(days=run.services.settings.raw_event_retention_days)
    t = now()
    with run.db.transaction() as session:
        session.execute(
            delete(RawEvent).where(RawEvent.status == RawEventStatus.PROCESSED, RawEvent.created_at < t - retention)
        )
        session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < t - timedelta(days=1)))
        ended = t - timedelta(days=30)
        session.execute(delete(UserSession).where(or_(UserSession.expires_at < ended, UserSession.revoked_at < ended,
                                                      UserSession.last_seen_at < ended)))
        session.execute(delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < t - timedelta(days=7)))
