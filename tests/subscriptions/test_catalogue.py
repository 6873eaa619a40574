"""The public event types: every published domain event has one stable dotted name; the retry policy."""

from __future__ import annotations

import inspect
import re

import pytest

from compris import bus, events
from compris.subscriptions import catalogue, policy
from compris.subscriptions.listeners import publish_webhooks


def _published_classes() -> set[type[events.DomainEvent]]:
    return {cls for _, cls in inspect.getmembers(events, inspect.isclass)
            if issubclass(cls, catalogue.PUBLISHED_BASES) and cls not in catalogue.PUBLISHED_BASES[:3]}


def test_every_published_event_class_has_a_name_and_a_description() -> None:
    assert _published_classes() == set(catalogue.NAMES)
    names = list(catalogue.NAMES.values())
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", n) for n in names)
    assert set(catalogue.DESCRIPTIONS) == set(names)
    assert catalogue.PING not in names and catalogue.ALL not in names


def test_the_listener_is_registered_on_the_four_bases() -> None:
    mine = {r.event_type for r in bus.registrations() if r.listener is publish_webhooks}
    assert mine == set(catalogue.PUBLISHED_BASES)


def test_wants() -> None:
    assert catalogue.wants(["*"], "survey.answered")
    assert catalogue.wants(["survey.answered"], "survey.answered")
    assert not catalogue.wants(["survey.sent"], "survey.answered")


def test_retries_span_about_a_day_then_stop() -> None:
    delays = [policy.retry_delay(n, jitter=0) for n in range(1, policy.MAX_ATTEMPTS)]
    assert delays == [60, 300, 1800, 3600, 10800, 21600, 43200]
    assert 20 * 3600 < sum(d or 0 for d in delays) < 26 * 3600
    assert policy.retry_delay(policy.MAX_ATTEMPTS) is None and policy.retry_delay(0) is None
    for n in range(1, policy.MAX_ATTEMPTS):
        delay = policy.retry_delay(n)
        assert delay is not None and policy.RETRY_DELAYS[n - 1] <= delay <= policy.RETRY_DELAYS[n - 1] * 1.1


@pytest.mark.parametrize(("status", "success", "gone"), [(200, True, False), (204, True, False), (299, True, False),
                                                        (301, False, False), (410, False, True),
                                                        (500, False, False), (None, False, False)])
def test_statuses(status: int | None, success: bool, gone: bool) -> None:
    assert policy.is_success(status) is success and policy.gone(status) is gone
