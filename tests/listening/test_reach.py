"""High-reach complaints: one alert per case, at once, with its reasons; none for praise or below the thresholds;
the workspace's thresholds; live and by webhook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris.kit.errors import Invalid
from compris.listening import alerts, reach
from compris.models import CaseEvent, User, WebhookDelivery
from compris.subscriptions import actions as subscriptions
from tests.conftest import SECRET, World
from tests.listening.alert_helpers import alerts_of, customer_writes, spy_live

COMPLAINT = "Your service is a disgrace, my parcel never arrived and nobody answers. Terrible."
PRAISE = "Thank you so much, the team was wonderful and my parcel arrived early!"


def _now() -> datetime:
    return datetime.now(UTC)


def test_the_reasons_against_the_rules() -> None:
    rules = reach.ReachRules(min_followers=10000, verified=True, promoted=True, reshares_per_hour=20)
    at = _now()
    assert reach.reasons(rules, followers=9999, verified=False, promoted=False, reshares=0, published_at=at,
                         now=at) == []
    got = reach.reasons(rules, followers=48000, verified=True, promoted=True, reshares=40,
                        published_at=at - timedelta(minutes=30), now=at)
    assert [r["code"] for r in got] == ["followers", "verified", "promoted", "reshares"]
    assert got[0]["params"] == {"followers": 48000, "threshold": 10000}
    assert got[3]["params"]["per_hour"] == 80.0
    # 40 reshares over four hours is 10 an hour: not growing fast; nine reshares are never enough
    assert reach.reasons(rules, followers=None, verified=False, promoted=False, reshares=40,
                         published_at=at - timedelta(hours=4), now=at) == []
    assert reach.reasons(rules, followers=None, verified=False, promoted=False, reshares=9, published_at=at,
                         now=at) == []
    assert reach.is_complaint({"intent": "complaint"}) and reach.is_complaint({"intent": "question",
                                                                              "sentiment": "negative"})
    assert not reach.is_complaint({"intent": "praise", "sentiment": "negative"})


def test_a_high_reach_complaint_alerts_once_per_case(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a webhook subscription, and a supervisor listening live
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        subscriptions.create_subscription(s, world.runtime.publisher, actor=admin, secret_key=SECRET,
                                          url="https://hooks.example.test/compris", event_types=["alert.raised"])
    heard = spy_live(monkeypatch)
    # when a customer with 48,000 followers complains, and writes again on the same case
    case_id = customer_writes(world, COMPLAINT, at=_now(), author="star", followers=48000)
    again = customer_writes(world, "Still nothing. Unbelievable.", at=_now(), author="star", followers=48500)
    assert again == case_id
    # then one alert, on the case, with its reasons
    [alert] = alerts_of(world, "reach")
    assert alert.case_id == case_id and alert.key == f"reach:case:{case_id}"
    assert alert.reasons == [{"code": "followers", "params": {"followers": 48000, "threshold": 10000}}]
    with world.runtime.db.transaction() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "alert_raised"))
        assert len(list(rows)) == 1
        [delivery] = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event_type == "alert.raised")).all()
        data = delivery.payload["data"]
        assert data["alert"]["kind"] == "reach" and data["case"]["id"] == case_id
        assert "disgrace" not in str(delivery.payload)
    live = [e for e in heard if e["change"] == "raised"]
    assert len(live) == 1 and live[0]["case_id"] == case_id and world.admin.id in live[0]["notify"]  # type: ignore[operator]


@pytest.mark.parametrize(("text", "kw"), [
    (PRAISE, {"followers": 90000, "verified": True}),  # praise never alerts
    (COMPLAINT, {"followers": 9000}),  # under the threshold
    (COMPLAINT, {"followers": 10, "reshares": 12}),  # a few reshares over a long time
])
def test_no_alert_for_praise_or_below_the_thresholds(world: World, text: str, kw: dict[str, object]) -> None:
    at = _now() - (timedelta(hours=3) if kw.get("reshares") else timedelta(0))
    customer_writes(world, text, at=at, **kw)  # type: ignore[arg-type]
    assert alerts_of(world) == []


def test_verified_promoted_and_fast_reshares_alert(world: World) -> None:
    customer_writes(world, COMPLAINT, at=_now(), author="v", followers=50, verified=True)
    customer_writes(world, COMPLAINT, at=_now(), author="p", followers=50, promoted=True)
    customer_writes(world, COMPLAINT, at=_now() - timedelta(minutes=20), author="r", followers=50, reshares=30)
    got = alerts_of(world, "reach")
    assert [[r["code"] for r in a.reasons] for a in got] == [["verified"], ["promoted"], ["reshares"]]


def test_the_workspace_thresholds(world_factory: Callable[[str], World]) -> None:
    world, other = world_factory("acme"), world_factory("globex")
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        alerts.save_settings(s, world.runtime.publisher, admin, spikes_enabled=True, spike_sensitivity="high",
                             spike_min_count=5, reach_enabled=True, reach_min_followers=100000,
                             reach_verified=False, reach_promoted=True, reach_reshares_per_hour=0)
        with pytest.raises(Invalid):
            alerts.save_settings(s, world.runtime.publisher, admin, spikes_enabled=True, spike_sensitivity="wild",
                                 spike_min_count=5, reach_enabled=True, reach_min_followers=1,
                                 reach_verified=True, reach_promoted=True, reach_reshares_per_hour=0)
        audit = s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                  CaseEvent.kind == "settings_changed")).all()
        assert [a.data["entity"] for a in audit if a.data["entity"] != "workspace"] == ["listening_settings"]
    # 48,000 followers and verified: not enough any more in acme; still an alert in globex (the defaults)
    customer_writes(world, COMPLAINT, at=_now(), author="star", followers=48000, verified=True)
    customer_writes(other, COMPLAINT, at=_now(), author="star", followers=48000, verified=True)
    assert alerts_of(world) == []
    assert len(alerts_of(other, "reach")) == 1


def test_acknowledge_is_once_and_scoped(world_factory: Callable[[str], World]) -> None:
    world, other = world_factory("acme"), world_factory("globex")
    customer_writes(world, COMPLAINT, at=_now(), followers=48000)
    [alert] = alerts_of(world)
    from compris.kit.errors import NotFound

    with world.runtime.db.transaction() as s:
        stranger = s.get(User, other.admin.id)
        assert stranger is not None
        with pytest.raises(NotFound):
            alerts.acknowledge(s, world.runtime.publisher, stranger, alert.id)
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        first = alerts.acknowledge(s, world.runtime.publisher, admin, alert.id).acknowledged_at
        assert alerts.acknowledge(s, world.runtime.publisher, admin, alert.id).acknowledged_at == first
