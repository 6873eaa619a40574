"""Polled networks (e-mail over IMAP): a periodic job fans out one poll job per active account.

Poll jobs run on a lane of their own (``POLL_LANE``, ``COMPRIS_POLL_WORKERS`` threads): a mailbox that IDLEs up
to ``idle_seconds`` for new mail holds a poll-lane thread, never one that webhooks and sends need, and ends its
wait early when another poll job is waiting for that thread or the worker stops.

Each poll fetches outside any transaction, then stores every fetched event through the same
idempotent raw-event insert as webhooks (:func:`compris.inbox.ingest.store_raw_event`) and saves the
connector's new state **in the same transaction**: the state moves on only once the events it covers
are committed, so a crash between the fetch and the commit fetches them again (and the idempotent
insert drops the duplicates) rather than losing them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from compris.channels.accounts import connector_for, context
from compris.channels.actions import store_renewed_secrets
from compris.channels.safety import scrub
from compris.connectors import registry
from compris.connectors.base import PollResult
from compris.kit.clock import now
from compris.models import ChannelAccount, Job, JobStatus
from compris.worker.queue import POLL_LANE, JobRun, enqueue, handler

log = logging.getLogger(__name__)

POLL_ACCOUNTS = "inbox.poll_accounts"
POLL_ACCOUNT = "inbox.poll_account"
POLL_SLOT_SECONDS = 60


def _polled(network: str) -> bool:
    try:
        return registry.get(network).supports_polling
    except registry.UnknownNetwork:
        return False


@handler(POLL_ACCOUNTS, every=timedelta(minutes=1))
def poll_accounts(run: JobRun) -> None:
    """The periodic job: one poll job per active polled account, in that account's workspace."""
    slot = int(now().timestamp() // POLL_SLOT_SECONDS)
    with run.db.transaction() as session:
        rows = session.execute(
            select(ChannelAccount.id, ChannelAccount.workspace_id, ChannelAccount.network).where(
                ChannelAccount.is_active.is_(True)
            )
        ).all()
        wanted = {f"poll:{account_id}:{slot}": (account_id, workspace_id)
                  for account_id, workspace_id, network in rows if _polled(network)}
        if not wanted:
            return
        # a fan-out run twice in one slot (a retried job) does not poll twice, and an account whose last poll
        # still waits for a worker of the poll lane gets no second one behind it
        done = set(session.scalars(select(Job.dedupe_key).where(Job.dedupe_key.in_(sorted(wanted)))))
        waiting = {_account_of(key) for key in session.scalars(
            select(Job.dedupe_key).where(Job.kind == POLL_ACCOUNT, Job.status == JobStatus.QUEUED))}
        for key, (account_id, workspace_id) in wanted.items():
            if key in done or account_id in waiting:
                continue
            enqueue(
                session,
                run.publisher,
                workspace_id=workspace_id,
                kind=POLL_ACCOUNT,
                payload={"account_id": account_id},
                dedupe_key=key,
                max_attempts=1,  # the next slot polls again anyway
            )


def _account_of(dedupe_key: str | None) -> int | None:
    """The account of a poll job's dedupe key (``poll:<account id>:<slot>``)."""
    parts = (dedupe_key or "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


@handler(POLL_ACCOUNT, lane=POLL_LANE)
def poll_account_job(run: JobRun) -> None:
    """On the poll lane's own threads (``COMPRIS_POLL_WORKERS``): a mailbox waiting for mail never holds up
    webhooks or sends, and gives its thread back as soon as another mailbox's poll is waiting."""
    poll_account(run, int(run.payload["account_id"]))


def poll_account(run: JobRun, account_id: int) -> int:
    """Poll one account once (IDLE up to ``idle_seconds``, or until ``run.should_yield()``); returns how many new
    raw events were stored."""
    from compris.inbox.ingest import store_raw_event

    with run.db.transaction() as session:
        account = session.get(ChannelAccount, account_id)
        if account is None or not account.is_active or not _polled(account.network):
            return 0
        connector = connector_for(account)
        ctx = context(account, run.services.secret_key)
        state = dict(account.poll_state or {})

    try:
        result: PollResult | None = connector.poll(ctx, state, wait=idle_wait(ctx.settings),
                                                   interrupted=run.should_yield, client=run.services.http)
        error = None
    except Exception as exc:  # a mailbox down or refusing us: noted on the account, polled again next time
        result, error = None, scrub(f"{exc}" or type(exc).__name__, ctx.secrets)[:2000]

    with run.db.transaction() as session:
        account = session.scalar(select(ChannelAccount).where(ChannelAccount.id == account_id).with_for_update())
        if account is None:
            return 0
        account.polled_at = now()
        if result is None:
            account.poll_error = error
            log.warning("polling account %s failed: %s", account_id, error)
            return 0
        if result.secrets:  # credentials the connector renewed while polling (OAuth2 refresh, a new session)
            store_renewed_secrets(session, run.services.secret_key, account, dict(result.secrets),
                                  publisher=run.publisher)
        stored = 0
        for event in result.events:
            if store_raw_event(session, run.publisher, account, event.event_id, event.body) is not None:
                stored += 1
        if dict(account.poll_state or {}) == state:
            account.poll_state = dict(result.state)
        else:  # another poll committed first: its state stands, our events were de-duplicated
            log.info("account %s was polled concurrently; keeping the newer state", account_id)
        account.poll_error = None
    if stored:
        log.info("account %s: %d new event(s) polled", account_id, stored)
    return stored


MAX_IDLE_SECONDS = 50.0  # below the one-minute polling period, so two waits never overlap


def idle_wait(settings: Mapping[str, Any]) -> float:
    """How long a poll may IDLE for new mail (the ``idle_seconds`` setting, 0 to 50; bad values mean 0)."""
    try:
        value = float(settings.get("idle_seconds") or 0)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, min(MAX_IDLE_SECONDS, value))
