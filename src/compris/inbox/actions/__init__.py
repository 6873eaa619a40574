"""Every write to contacts, threads, cases and messages goes through these functions.

They assume their input was checked by the caller (permissions, workspace), never commit (the edge does), write
the case's timeline (:mod:`compris.timeline`), emit a domain event (:mod:`compris.events`) to the listeners of
every capability inside the transaction, and publish live events that are delivered after the commit.

By subject: :mod:`.cases` (status, assignment, notes, merges), :mod:`.inbound` (what the networks tell us),
:mod:`.outbox` (queueing outbound messages: :func:`queue_outbound` is the one way), :mod:`.contacts`.
Triage corrections live in :mod:`compris.triage.actions`.
"""

from __future__ import annotations

from compris.inbox.actions.cases import (
    ALLOWED_STATUSES,
    MAX_TEXT,
    add_note,
    assign,
    change_status,
    check_text,
    mark_read,
    merge_cases,
    merged_here,
    reply_target,
    set_status,
    unmerge_case,
    wake_snoozed,
)
from compris.inbox.actions.contacts import merge_contacts, unmerge_identity
from compris.inbox.actions.inbound import (
    mark_deleted,
    record_delivery_status,
    record_inbound,
    resolve_identity,
    thread_for,
)
from compris.inbox.actions.outbox import (
    AGENT,
    ANSWERS,
    AUTO_ACK,
    BULK,
    MANUAL_SEND_URL,
    NOT_POSTED,
    SEND_REPLY,
    add_reply,
    attachment_ids,
    cancel_manual_send,
    confirm_manual_send,
    is_manual,
    manual_send_url,
    origin_in,
    origin_of,
    outbox_key,
    queue_outbound,
    record_sent,
    retry_send,
    upload_dict,
)

__all__ = [
    "AGENT",
    "ALLOWED_STATUSES",
    "ANSWERS",
    "AUTO_ACK",
    "BULK",
    "MANUAL_SEND_URL",
    "MAX_TEXT",
    "NOT_POSTED",
    "SEND_REPLY",
    "add_note",
    "add_reply",
    "assign",
    "attachment_ids",
    "cancel_manual_send",
    "change_status",
    "check_text",
    "confirm_manual_send",
    "is_manual",
    "manual_send_url",
    "mark_deleted",
    "mark_read",
    "merge_cases",
    "merge_contacts",
    "merged_here",
    "origin_in",
    "origin_of",
    "outbox_key",
    "queue_outbound",
    "record_delivery_status",
    "record_inbound",
    "record_sent",
    "reply_target",
    "resolve_identity",
    "retry_send",
    "set_status",
    "thread_for",
    "unmerge_case",
    "unmerge_identity",
    "upload_dict",
    "wake_snoozed",
]
