"""After downtime, Compris asks X to replay the missed window (once)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from compris.channels.tasks import DOWNTIME_AFTER
from compris.config import Settings
from compris.kit.clock import now
from compris.models import CaseEvent, ChannelAccount
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .test_x import BRAND, SECRETS


def _watch(runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        enqueue(session, runtime.publisher, workspace_id=world.workspace_id, kind="channels.watch_downtime",
                payload={})
    world.run_jobs()


def test_a_missed_window_is_replayed_once(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    # given an X account that Compris last saw alive 2 hours ago
    trip = RoundTrip(settings, runtime, world, network="x", external_id=BRAND, secrets=SECRETS,
                     account_settings={"handle": "AirCompris", "api_base": api.base_url, "webhook_id": "wh-77"})
    api.on("POST", "/2/webhooks/replay", Reply(200, {"data": {"job_id": "replay-job-1"}}))
    down_since = now() - timedelta(hours=2)
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = {"alive_at": down_since.isoformat()}
    # when the watcher runs (twice: the second finds Compris alive)
    _watch(runtime, world)
    _watch(runtime, world)
    # then exactly one replay request covered the missed window
    request = api.only()
    body = json.loads(request.body)
    assert (request.method, request.path, body["webhook_id"]) == ("POST", "/2/webhooks/replay", "wh-77")
    assert body["from_date"] == down_since.strftime("%Y%m%d%H%M")
    with runtime.db.transaction() as session:
        events = list(session.scalars(select(CaseEvent).where(CaseEvent.kind == "channel_replay_requested")))
        assert len(events) == 1 and events[0].data["result"] == "replay-job-1"


def test_no_replay_without_downtime(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = RoundTrip(settings, runtime, world, network="x", external_id=BRAND, secrets=SECRETS,
                     account_settings={"handle": "AirCompris", "api_base": api.base_url, "webhook_id": "wh-77"})
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = {"alive_at": (now() - DOWNTIME_AFTER / 2).isoformat()}
    _watch(runtime, world)
    assert api.requests == []
