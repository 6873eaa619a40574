"""Jobs of the channels: recovering what a platform delivered while Compris was down.

Every minute a watcher notes, on each account whose network can replay past events (X's webhook replay),
that Compris is alive (``poll_state["alive_at"]``). When it finds the previous mark older than
``DOWNTIME_AFTER``, Compris was not running (or not receiving) in between: it asks the platform to redeliver
that window (capped to what the platform allows). Redelivered events are stored idempotently like any other
delivery, so events that did arrive are not duplicated.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from compris import timeline
from compris.channels.accounts import connector_for, context
from compris.connectors import registry
from compris.connectors.base import ConnectorError
from compris.kit.clock import now
from compris.models import ChannelAccount
from compris.worker.queue import JobRun, RetryLater, backoff, enqueue, handler

log = logging.getLogger(__name__)

WATCH = "channels.watch_downtime"
REPLAY = "channels.replay"
DOWNTIME_AFTER = timedelta(minutes=3)


def _replayable_networks() -> list[str]:
    return [name for name, c in registry.connectors().items() if c.supports_replay]


@handler(WATCH, every=timedelta(minutes=1))
def watch_downtime(run: JobRun) -> None:
    networks = _replayable_networks()
    if not networks:
        return
    t = now()
    with run.db.transaction() as session:
        accounts = session.scalars(
            select(ChannelAccount)
            .where(ChannelAccount.is_active, ChannelAccount.network.in_(networks))
            .with_for_update(skip_locked=True)
        )
        for account in accounts:
            state = dict(account.poll_state or {})
            alive = _parse(state.get("alive_at"))
            if alive is not None and t - alive > DOWNTIME_AFTER:
                start = max(alive, t - connector_for(account).replay_max_window)
                enqueue(session, run.publisher, workspace_id=account.workspace_id, kind=REPLAY,
                        payload={"account_id": account.id, "start": start.isoformat(), "end": t.isoformat()},
                        dedupe_key=f"replay:{account.id}:{start.isoformat()}", max_attempts=5)
            state["alive_at"] = t.isoformat()
            account.poll_state = state


@handler(REPLAY)
def replay(run: JobRun) -> None:
    start = _parse(run.payload["start"])
    end = _parse(run.payload["end"])
    assert start is not None and end is not None
    with run.db.transaction() as session:
        account = session.get(ChannelAccount, int(run.payload["account_id"]))
        if account is None or not account.is_active:
            return
        ctx = context(account, run.services.secret_key)
        connector = connector_for(account)
    try:
        result = connector.replay(ctx, start, end, run.services.http)
        data = {"account_id": ctx.account_id, "start": start.isoformat(), "end": end.isoformat(), "result": result}
    except (ConnectorError, ValueError) as exc:
        log.warning("replay for account %s failed: %s", ctx.account_id, exc)
        data = {"account_id": ctx.account_id, "start": start.isoformat(), "end": end.isoformat(),
                "error": str(exc)[:500]}
    failed = "error" in data
    with run.db.transaction() as session:
        record = timeline.channel_replay_failed if failed else timeline.channel_replay_requested
        record(session, workspace_id=ctx.workspace_id, **data)
    if failed and run.attempt < 5:
        raise RetryLater(backoff(run.attempt, base=30.0), str(data["error"]))


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
