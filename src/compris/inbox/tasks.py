"""Jobs of the inbox and their schedule: processing deliveries, sending outbound messages, waking snoozed cases.

The job bodies stay with their logic (:mod:`compris.inbox.ingest`, :mod:`compris.inbox.outbound`); they are
registered here. Polling's jobs are registered by :mod:`compris.inbox.polling`, imported here.
"""

from __future__ import annotations

from datetime import timedelta

from compris.inbox import actions, attachments, ingest, outbound, polling, posts
from compris.inbox.actions import posts as post_actions
from compris.worker.queue import JobRun, handler

__all__ = ["fetch_attachments", "fetch_post", "polling", "process_raw_event", "send_outbox_message", "wake_snoozed"]

WAKE_SNOOZED = "inbox.wake_snoozed"

process_raw_event = handler(ingest.PROCESS_RAW_EVENT)(ingest.process_raw_event)
send_outbox_message = handler(actions.SEND_REPLY)(outbound.send_outbox_message)
#: a customer's files, fetched on the poll lane (network waits never hold up deliveries and replies)
fetch_attachments = handler(attachments.FETCH_ATTACHMENTS, lane=attachments.LANE)(attachments.fetch_attachments)
#: the post a comment is under, read from its platform when the delivery named only its id (issue 16)
fetch_post = handler(post_actions.FETCH_POST, lane=post_actions.LANE)(posts.fetch_post)


@handler(WAKE_SNOOZED, every=timedelta(minutes=1))
def wake_snoozed(run: JobRun) -> None:
    with run.db.transaction() as session:
        actions.wake_snoozed(session, run.publisher)


# --- priority ---

REFRESH_PRIORITY = "inbox.priority.refresh"


@handler(REFRESH_PRIORITY, every=timedelta(minutes=5))
def refresh_priority(run: JobRun) -> None:
    """The waiting time raises the priority of the cases that await an answer (``compris.inbox.priority``)."""
    from compris.inbox.actions.priority import refresh_waiting

    with run.db.transaction() as session:
        refresh_waiting(session, run.publisher)
