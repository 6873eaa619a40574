"""Jobs of surveys: send the surveys whose delay has passed (each scheduled survey also enqueues one run at its
send time; the periodic run catches anything left, e.g. after downtime)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from compris.kit.clock import now
from compris.models import Survey, Workspace
from compris.surveys import actions
from compris.worker.queue import JobRun, handler

log = logging.getLogger(__name__)


@handler(actions.SEND_JOB, every=timedelta(minutes=1))
def send_due_surveys(run: JobRun) -> None:
    """Only due scheduled surveys (the index on workspace, state and send time), each in its own transaction: one
    that fails does not hold the others back."""
    workspace_id = run.payload.get("workspace_id")
    with run.db.transaction() as session:
        workspaces = ([int(workspace_id)] if workspace_id is not None
                      else [int(i) for i in session.scalars(select(Workspace.id))])
    settings = run.services.settings
    for ws in workspaces:
        with run.db.transaction() as session:
            due = actions.due_ids(session, ws, now())
        for survey_id in due:
            try:
                with run.db.transaction() as session:
                    survey = session.scalar(select(Survey).where(Survey.id == survey_id)
                                            .with_for_update(skip_locked=True))
                    if survey is not None:
                        actions.send(session, run.publisher, survey, base_url=settings.base_url,
                                     secret_key=settings.secret_key)
            except Exception:  # one survey must not stop the others; it stays scheduled for the next run
                log.exception("sending survey %s failed", survey_id)
