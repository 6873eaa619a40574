"""The spike method on counts in memory (:class:`~compris.listening.spikes.SpikeDetector`): the statistics, the fan
page's wall on top of weeks of normal traffic in both languages, quiet accounts, cold start, once per spike."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from compris.listening import spikes
from compris.listening.salient import terms
from compris.triage.core import TriageInput, triage_many
from tests.listening.traffic import Arrival, normal_traffic, parcel_complaints

T = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon
FAN_PAGE = 2


def test_terms_fold_accents_and_drop_stop_words_handles_and_links() -> None:
    assert terms("Toujours pas REÇU ma commande @Boutique https://t.co/x l'aéroport") == [
        "recu", "commande", "aeroport"]
    assert terms("Where is my parcel?? #fail 12345") == ["parcel", "fail"]
    assert len(terms(" ".join(f"mot{chr(97 + i)}x" for i in range(26)))) == 12


def test_the_tail_and_the_quantile() -> None:
    # Poisson(2): P(X ≥ 5) = 1 - e^-2 (1 + 2 + 2 + 4/3 + 2/3)
    assert spikes.tail(5, 2.0, 2.0) == pytest.approx(1 - math.exp(-2) * 7, rel=1e-9)
    assert spikes.tail(0, 2.0, 2.0) == 1.0 and spikes.tail(3, 0.0, 0.0) == 0.0
    # over-dispersed: a heavier tail than Poisson with the same mean
    assert spikes.tail(10, 3.0, 9.0) > spikes.tail(10, 3.0, 3.0)
    for mean, var in ((0.4, 0.4), (3.0, 6.0), (40.0, 200.0), (900.0, 2000.0)):
        k = spikes.quantile(1e-5, mean, var)
        assert spikes.tail(k, mean, var) <= 1e-5 < spikes.tail(k - 1, mean, var) + (1e-3 if mean > 500 else 0)


def test_the_baseline_is_robust_to_one_past_spike() -> None:
    calm = spikes.baseline_of([10, 12, 9, 11], "week")
    with_spike = spikes.baseline_of([10, 12, 9, 80], "week")
    assert with_spike.mean == pytest.approx((10 + 12 + 9 + 12) / 4)
    assert with_spike.mean < 12 and calm.mean == pytest.approx((9 + 10 + 11 + 11) / 4)
    assert calm.variance >= calm.mean + spikes.MIN_DISPERSION * calm.mean ** 2


def test_minimum_count_and_ratio() -> None:
    rules = spikes.Rules.of("normal", 10)
    quiet = spikes.baseline_of([0, 0, 1, 0, 0, 0], "week")
    assert spikes.judge("account:9", "1h", 3, quiet, rules) is None  # 3 where 0.2 is usual: under the minimum
    assert spikes.judge("account:9", "1h", 12, quiet, rules) is not None
    busy = spikes.baseline_of([400, 420, 380, 410, 390, 405], "week")
    assert spikes.judge("all", "1h", 520, busy, rules) is None  # +27 %: odd maybe, but not 1.5 times the usual
    assert spikes.judge("all", "1h", 850, busy, rules) is not None  # twice the usual: a spike
    assert spikes.judge("all", "1h", 700, busy, spikes.Rules.of("high", 10)) is not None


def _scopes(arrival: Arrival) -> list[str]:
    return spikes.message_scopes(channel_account_id=arrival.account, network="sandbox", intent=arrival.item.intent,
                                 topic=arrival.item.topic, text=arrival.item.text)


def _wave(start: datetime, n: int = 30, minutes: int = 60, seed: int = 1) -> list[tuple[datetime, list[str]]]:
    texts = parcel_complaints(n, seed=seed)
    rng = random.Random(seed)
    out = []
    for text, result in zip(texts, triage_many([TriageInput(t) for t in texts]), strict=True):
        at = start + timedelta(seconds=rng.uniform(0, minutes * 60))
        out.append((at, spikes.message_scopes(channel_account_id=FAN_PAGE, network="sandbox", intent=result.intent,
                                              topic=result.topic, text=text)))
    return out


def _replay(detector: spikes.SpikeDetector, events: list[tuple[datetime, list[str]]], start: datetime,
            end: datetime, check_from: datetime, step: timedelta = timedelta(minutes=1)) -> list[spikes.Raised]:
    """Feed ``events`` in time order, checking every ``step`` from ``check_from`` to ``end``."""
    events = sorted(events, key=lambda e: e[0])
    raised, i, at = [], 0, start
    while at <= end:
        while i < len(events) and events[i][0] < at:
            detector.observe(*events[i])
            i += 1
        if at >= check_from:
            got = detector.check(at)
            if got is not None:
                raised.append(got)
        at += step
    return raised


@pytest.fixture(scope="module")
def history() -> list[tuple[datetime, list[str]]]:
    """Three weeks and a day of normal traffic (about 30 messages an hour at the busiest, 55 % French)."""
    return [(a.at, _scopes(a)) for a in normal_traffic(T - timedelta(weeks=3, days=1), T)]


def test_the_fan_page_wall_is_one_spike_alert(history: list[tuple[datetime, list[str]]]) -> None:
    # given weeks of normal traffic, and in the last hour 30 French complaints about undelivered parcels
    detector = spikes.SpikeDetector()
    wave = _wave(T - timedelta(hours=1))
    # when the detector checks every minute over the last two hours
    raised = _replay(detector, history + wave, T - timedelta(weeks=3, days=1), T, T - timedelta(hours=2))
    # then exactly one alert, within minutes of the wave, about the parcels
    assert len(raised) == 1
    [alert] = raised
    assert alert.at - (T - timedelta(hours=1)) <= timedelta(minutes=30)
    scopes = {f.scope for f in alert.findings}
    assert scopes & {"kw:colis", f"account:{FAN_PAGE}", "topic:delivery"}
    assert "colis" in [k["term"] for k in alert.keywords]


def test_the_same_normal_traffic_alone_raises_nothing(history: list[tuple[datetime, list[str]]]) -> None:
    detector = spikes.SpikeDetector()
    # checked every minute over the last two hours, and every five minutes over the whole last day
    raised = _replay(detector, history, T - timedelta(weeks=3, days=1), T, T - timedelta(days=1),
                     step=timedelta(minutes=5))
    assert raised == []
    assert _replay(spikes.SpikeDetector(), history, T - timedelta(weeks=3, days=1), T, T - timedelta(hours=2)) == []


def test_a_quiet_account_with_three_messages_does_not_alarm(history: list[tuple[datetime, list[str]]]) -> None:
    quiet = [(T - timedelta(minutes=m), ["all", "account:77", "network:sandbox", "kw:facture"]) for m in (3, 9, 14)]
    assert _replay(spikes.SpikeDetector(), history + quiet, T - timedelta(weeks=3, days=1), T,
                   T - timedelta(minutes=30)) == []
    # nor does a brand-new workspace with three messages
    assert _replay(spikes.SpikeDetector(), quiet, T - timedelta(hours=1), T, T - timedelta(hours=1)) == []


def test_a_continuing_spike_alerts_once_and_a_new_one_after_it_ends_alerts_again(
        history: list[tuple[datetime, list[str]]]) -> None:
    detector = spikes.SpikeDetector()
    start = T - timedelta(hours=6)
    # three hours of complaints (a continuing spike), three quiet hours... then a second wave
    waves = (_wave(start, 90, 180, seed=5)
             + [(at + timedelta(hours=5), s) for at, s in _wave(start, 30, 60, seed=6)])
    raised = _replay(detector, [e for e in history if e[0] < start] + waves, T - timedelta(weeks=3, days=1),
                     T, start, step=timedelta(minutes=2))
    assert len(raised) == 2
    assert raised[1].at - raised[0].at > timedelta(hours=4)


def test_cold_start_only_alerts_far_above_the_busiest_window_so_far() -> None:
    day = [(a.at, _scopes(a)) for a in normal_traffic(T - timedelta(days=1), T)]
    assert _replay(spikes.SpikeDetector(), day, T - timedelta(days=1), T, T - timedelta(hours=18),
                   step=timedelta(minutes=5)) == []
    wave = _wave(T - timedelta(hours=1), 120, 60, seed=9)
    assert len(_replay(spikes.SpikeDetector(), day + wave, T - timedelta(days=1), T, T - timedelta(hours=2))) == 1
