"""Jobs of triage: the accurate path re-scores messages in the background (``triage.refine``, planned by the inbound
job through :func:`compris.triage.refine.plan_refinement`)."""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from compris.models import Direction, Identity, Message
from compris.triage import actions, step
from compris.triage.refine import REFINE_TRIAGE
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

log = logging.getLogger(__name__)


@handler(REFINE_TRIAGE, lane=BACKGROUND_LANE)  # a burst of re-scoring never delays a reply
def refine(run: JobRun) -> None:
    """Read the message (short transaction), run the accurate path outside any transaction, write the result."""
    from compris.triage import triage

    message_id = int(run.payload["message_id"])
    workspace_id = int(run.payload.get("workspace_id", run.workspace_id))
    with run.db.transaction() as session:  # short: read what the model needs
        message = session.get(Message, message_id)
        if (
            message is None
            or message.workspace_id != workspace_id
            or message.direction != Direction.INBOUND
            or message.deleted_at is not None
            or (message.triage or {}).get("erased")  # its content was erased (compris.privacy): nothing to read
            or (message.triage or {}).get("path") == "accurate"  # already refined (a job run twice)
        ):
            return
        identity = session.get(Identity, message.author_identity_id) if message.author_identity_id else None
        text, promoted, reshares, rating = message.text, message.promoted, message.reshares, message.rating
        followers = identity.followers if identity is not None else None
        verified = bool(identity.verified) if identity is not None else False
    models = step.workspace_models(workspace_id, run.services.settings.data_dir)
    if not models.has_accurate_path:
        log.info("message %s keeps its fast triage: workspace %s has no accurate path", message_id, workspace_id)
        return
    started = time.perf_counter()
    # outside any transaction: the first call in a process loads the encoder (seconds), then tens of ms
    result = triage(text, followers=followers, verified=verified, promoted=promoted, reshares=reshares,
                    rating=rating, models=models, accurate=True)
    if result.path != "accurate":  # the accurate path went away meanwhile: keep the fast triage
        return
    with run.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.id == message_id))
        if message is None:
            return
        changed = actions.refine_triage(session, run.publisher, message=message, result=result)
    log.debug("message %s refined in %.0f ms (%s)", message_id, (time.perf_counter() - started) * 1000,
              "written" if changed else "nothing to write")
