"""Spike detection in the database: the counters kept by the ``MessageReceived`` listener, the check the
``listening.spikes`` job runs every minute, the alert (once per spike, live, webhook), workspace isolation."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from compris.kit import clock
from compris.listening import alerts, spikes
from compris.listening.alert_tasks import check_spikes as spikes_job
from compris.models import Alert, ListeningCount, User, WebhookDelivery
from compris.subscriptions import actions as subscriptions
from compris.worker.queue import JobRun
from tests.conftest import SECRET, World
from tests.listening.alert_helpers import alerts_of, customer_writes, fan_page, spy_live
from tests.listening.traffic import normal_traffic, parcel_complaints

T = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon


@pytest.fixture
def frozen() -> Iterator[Callable[[datetime], None]]:
    def set_to(at: datetime) -> None:
        clock.set_now(lambda: at)

    yield set_to
    clock.set_now(None)


def _history(world: World, accounts: tuple[int, int], weeks: int = 3, seed: int = 11) -> None:
    """The counters of ``weeks`` weeks of normal traffic around this hour of the week (what the check reads),
    written at once with :func:`~compris.listening.spikes.backfill`."""
    arrivals = [(a.at, spikes.message_scopes(channel_account_id=a.account, network="sandbox", intent=a.item.intent,
                                             topic=a.item.topic, text=a.item.text))
                for k in range(1, weeks + 1)
                for a in normal_traffic(T - timedelta(weeks=k, hours=3), T - timedelta(weeks=k) + timedelta(hours=2),
                                        accounts=accounts, seed=seed + k)]
    with world.runtime.db.transaction() as s:
        assert spikes.backfill(s, world.workspace_id, arrivals) > 0
        total = s.scalar(select(func.sum(ListeningCount.count)).where(
            ListeningCount.workspace_id == world.workspace_id, ListeningCount.scope == "all"))
        assert total == len(arrivals)


def _live_hour(world: World, frozen: Callable[[datetime], None], accounts: tuple[int, int], *, wave: bool,
               fans: int, start: datetime = T - timedelta(hours=1), end: datetime = T) -> None:
    """The last hour as it happens: each message ingested at its time, the spike job every minute."""
    events: list[tuple[datetime, str, int]] = [(a.at, a.item.text, a.account)
                                               for a in normal_traffic(start, end, accounts=accounts, seed=99)]
    if wave:
        rng = random.Random(4)
        events += [(start + timedelta(seconds=rng.uniform(0, 3600)), text, fans) for text in parcel_complaints(30)]
    events.sort()
    i, at = 0, start
    while at <= end:
        while i < len(events) and events[i][0] < at:
            frozen(events[i][0])
            customer_writes(world, events[i][1], at=events[i][0], account_id=events[i][2])
            i += 1
        frozen(at)
        with world.runtime.db.transaction() as s:
            alerts.check_spikes(s, world.runtime.publisher, world.workspace_id, at)
        at += timedelta(minutes=1)


def test_the_listener_counts_each_message_once_per_scope(world: World, frozen: Callable[[datetime], None]) -> None:
    frozen(T)
    for _ in range(3):
        customer_writes(world, "Toujours pas reçu mon colis !", at=T - timedelta(minutes=2))
    with world.runtime.db.transaction() as s:
        counts = dict(s.execute(select(ListeningCount.scope, func.sum(ListeningCount.count))
                                .where(ListeningCount.workspace_id == world.workspace_id)
                                .group_by(ListeningCount.scope)).all())
    assert counts["all"] == 3 and counts[f"account:{world.account.id}"] == 3 and counts["network:sandbox"] == 3
    assert counts["kw:colis"] == 3 and counts["kw:recu"] == 3 and "kw:pas" not in counts


def test_the_fan_page_wall_raises_one_alert_live_and_by_webhook(world: World, frozen: Callable[[datetime], None],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # given a fan page, weeks of normal traffic, a supervisor and a webhook subscription to alerts
    fans = fan_page(world)
    accounts = (world.account.id, fans)
    _history(world, accounts)
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        subscriptions.create_subscription(s, world.runtime.publisher, actor=admin, secret_key=SECRET,
                                          url="https://hooks.example.test/compris", event_types=["alert.raised"])
    heard = spy_live(monkeypatch)
    # when 30 French complaints about undelivered parcels arrive on the fan page within the hour, among the rest
    _live_hour(world, frozen, accounts, wave=True, fans=fans)
    # then exactly one spike alert, about the fan page's parcels
    [alert] = alerts_of(world, "spike")
    scopes = {s["scope"] for s in alert.data["scopes"]}
    assert {f"account:{fans}", "kw:colis"} & scopes
    assert "colis" in [k["term"] for k in alert.data["keywords"]]
    assert alert.created_at - (T - timedelta(hours=1)) <= timedelta(minutes=30)
    assert alert.data["samples"] and alert.reasons[0]["code"] == "spike"
    # the supervisors were told live, once
    raised = [e for e in heard if e["change"] == "raised"]
    assert len(raised) == 1 and world.admin.id in raised[0]["notify"]  # type: ignore[operator]
    # and the webhook delivery is queued, with what was measured and no customer text
    with world.runtime.db.transaction() as s:
        [delivery] = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event_type == "alert.raised")).all()
        assert delivery.payload["data"]["alert"]["id"] == alert.id
        assert "samples" not in delivery.payload["data"]["alert"]["measured"]
        assert "colis" in str(delivery.payload["data"]["alert"]["measured"]["keywords"])
        assert "reçu" not in str(delivery.payload)


def test_the_same_normal_traffic_alone_raises_nothing(world: World, frozen: Callable[[datetime], None]) -> None:
    fans = fan_page(world)
    accounts = (world.account.id, fans)
    _history(world, accounts)
    _live_hour(world, frozen, accounts, wave=False, fans=fans)
    assert alerts_of(world) == []


def test_a_quiet_account_with_three_messages_does_not_alarm(world: World, frozen: Callable[[datetime], None]
                                                            ) -> None:
    quiet = fan_page(world)
    _history(world, (world.account.id, world.account.id))
    for minutes in (14, 9, 3):
        frozen(T - timedelta(minutes=minutes))
        customer_writes(world, "Ma facture est fausse", at=T - timedelta(minutes=minutes), account_id=quiet)
    frozen(T)
    spikes_job_run(world)
    assert alerts_of(world) == []


def spikes_job_run(world: World) -> None:
    spikes_job(JobRun(services=world.runtime.services, job_id=0, workspace_id=0, payload={}, attempt=1))


def test_a_continuing_spike_is_still_one_alert_and_other_workspaces_see_nothing(
        world_factory: Callable[[str], World], frozen: Callable[[datetime], None]) -> None:
    world, other = world_factory("acme"), world_factory("globex")
    fans = fan_page(world)
    accounts = (world.account.id, fans)
    _history(world, accounts)
    _history(other, (other.account.id, other.account.id), seed=5)
    _live_hour(world, frozen, accounts, wave=True, fans=fans)
    # the wave goes on for another half hour: the job runs every minute, the alert is updated, not raised again
    for minute in range(30):
        at = T + timedelta(minutes=minute)
        frozen(at)
        customer_writes(world, "Colis toujours pas livré, c'est inadmissible", at=at, account_id=fans)
        spikes_job_run(world)
    [alert] = alerts_of(world, "spike")
    assert datetime.fromisoformat(alert.data["last_above_at"]) >= T + timedelta(minutes=20)
    assert alerts_of(other) == []
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count(Alert.id))) == 1
