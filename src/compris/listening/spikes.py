"""Volume spikes: how many customer messages a scope (the workspace, an account, a network, an intent, a topic, a
keyword) got in the last quarter-hour and the last hour, against its usual level for that hour of the week.

The method (docs/listening.md, "Spike detection"):

* **Counting** — every inbound customer message adds 1 to its scopes' counters of the current 15-minute bucket
  (:func:`message_scopes`; one ``INSERT … ON CONFLICT DO UPDATE`` per message, no read of other messages).
* **Windows** — each check looks at two sliding windows ending now: the bucket in progress plus the previous one
  ("15 min") and the bucket in progress plus the previous four ("1 h"). The bucket in progress counts what it has
  so far; its expected share is scaled by the fraction of it elapsed.
* **Baseline** — the same window one, two… :data:`BASELINE_WEEKS` weeks earlier (same hour of the week), one sample
  per week of history. The largest sample is winsorised to the second largest (a past spike does not raise the
  usual level). Mean ``μ`` and variance ``s²`` of the samples; the variance is at least the Poisson one plus a
  minimum over-dispersion (``μ + 0.03 μ²``) and is widened by the uncertainty of the mean (``× (1 + 1/n)``).
* **Threshold** — the smallest count whose upper tail probability under a negative binomial with that mean and
  variance (Poisson when not over-dispersed, normal above 500) is at most ``α`` (the sensitivity: 10⁻⁷, 10⁻⁵,
  10⁻³); the window is a spike when its count reaches that threshold, the workspace's minimum count (quiet
  accounts never alarm) and ``ratio × μ`` (1.5 normally: a statistically odd but small rise is not a spike).
* **Cold start** — with fewer than :data:`MIN_WEEKS` weeks of history, the same window on each of the previous
  days (up to six) is the baseline, with a ratio of at least 2; with fewer than two days, only a count of three
  times the minimum count is a spike.
* **Once per spike** — a workspace's spikes are one episode while any scope stays above its threshold; the episode
  ends after :data:`QUIET` without any, and a later spike is a new alert. Scopes that join an episode are added
  to its alert without alerting again.
* **Keywords** — the alert names the terms of the window most over-represented against their own baseline
  (``(observed + 1) / (expected + 1)``, at least :data:`KEYWORD_MIN` messages).

:class:`SpikeDetector` runs the same method on counts held in memory (``bench/listening.py`` replays traffic
through it); :func:`check_workspace` runs it on the database's counters.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from statistics import NormalDist
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from compris.listening.salient import terms
from compris.models import ListeningCount, ListeningSettings, SpikeSensitivity

BUCKET = timedelta(minutes=15)
#: the windows checked: how many whole buckets before the one in progress
WINDOWS: dict[str, int] = {"15m": 1, "1h": 4}
WINDOW_MINUTES = {"15m": 15, "1h": 60}
BASELINE_WEEKS = 8
MIN_WEEKS = 2
COLD_DAYS = 6
MIN_DAYS = 2
QUIET = timedelta(hours=1)
SHARDS = 4
MIN_DISPERSION = 0.03
KEYWORD_MIN = 3
KEYWORDS_SHOWN = 8
#: how long counters are kept: the baseline's weeks and the window
RETENTION = timedelta(weeks=BASELINE_WEEKS, days=1)

#: sensitivity → (tail probability α, minimum ratio to the usual level)
SENSITIVITY: dict[str, tuple[float, float]] = {
    SpikeSensitivity.LOW: (1e-7, 2.0),
    SpikeSensitivity.NORMAL: (1e-5, 1.5),
    SpikeSensitivity.HIGH: (1e-3, 1.25),
}
COLD_RATIO = 2.0
COLD_FLOOR_FACTOR = 3

WEEK = timedelta(weeks=1)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
#: the hours either side of the same window that also serve as samples (they smooth a sparse hour)
NEIGHBOURS = (-1, 0, 1)
#: with less history than this, no volume is a spike
MIN_HISTORY = timedelta(hours=6)


# --- scopes ------------------------------------------------------------------------------------------------------


def message_scopes(*, channel_account_id: int | None, network: str | None, intent: str | None,
                   topic: str | None, text: str) -> list[str]:
    """The counters one customer message adds to."""
    scopes = ["all"]
    if channel_account_id is not None:
        scopes.append(f"account:{channel_account_id}")
    if network:
        scopes.append(f"network:{network}")
    if intent:
        scopes.append(f"intent:{intent}")
    if topic:
        scopes.append(f"topic:{topic}")
    scopes.extend(f"kw:{t}" for t in terms(text))
    return [s[:120] for s in scopes]


def scope_kind(scope: str) -> str:
    return scope.split(":", 1)[0]


def scope_value(scope: str) -> str:
    return scope.split(":", 1)[1] if ":" in scope else ""


def bucket_of(when: datetime) -> datetime:
    return when.replace(minute=when.minute - when.minute % 15, second=0, microsecond=0)


# --- the distribution ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    mean: float
    variance: float
    samples: int
    basis: str  # "week" (hour of the week), "day" (cold start), "none"


def baseline_of(samples: Sequence[float], basis: str) -> Baseline:
    """The robust mean and predictive variance of a window's past counts."""
    n = len(samples)
    if n == 0:
        return Baseline(0.0, 0.0, 0, "none")
    xs = sorted(samples)
    if n >= 3:
        xs[-1] = xs[-2]  # winsorise the largest: one past spike does not raise the usual level
    mean = sum(xs) / n
    var = sum((x - mean) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    var = max(var, mean + MIN_DISPERSION * mean * mean) * (1.0 + 1.0 / n)
    return Baseline(mean, var, n, basis)


def tail(k: int, mean: float, variance: float) -> float:
    """P(X ≥ k) for X negative binomial with this mean and variance (Poisson when variance ≤ mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if mean > 500:
        z = (k - 0.5 - mean) / math.sqrt(max(variance, mean))
        return 1.0 - NormalDist().cdf(z)
    if variance <= mean * 1.000001:
        log_p = -mean  # Poisson
        cdf = 0.0
        for i in range(k):
            if i > 0:
                log_p += math.log(mean) - math.log(i)
            cdf += math.exp(log_p)
        return max(0.0, 1.0 - cdf)
    r = mean * mean / (variance - mean)
    p = r / (r + mean)
    log_p = r * math.log(p)
    cdf = 0.0
    for i in range(k):
        if i > 0:
            log_p += math.log(i - 1 + r) - math.log(i) + math.log(1 - p)
        cdf += math.exp(log_p)
    return max(0.0, 1.0 - cdf)


def quantile(alpha: float, mean: float, variance: float) -> int:
    """The smallest count k with P(X ≥ k) ≤ α."""
    if mean <= 0:
        return 1
    sd = math.sqrt(max(variance, mean))
    if mean > 500:
        return math.ceil(mean + NormalDist().inv_cdf(1 - alpha) * sd + 0.5)
    lo, hi = 1, max(2, math.ceil(mean + 60 * sd + 20))
    while lo < hi:  # the tail decreases with k
        mid = (lo + hi) // 2
        if tail(mid, mean, variance) <= alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class Finding:
    """One scope's window above its threshold."""

    scope: str
    window: str
    observed: int
    expected: float
    threshold: int
    basis: str
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "kind": scope_kind(self.scope), "value": scope_value(self.scope),
                "window": self.window, "window_minutes": WINDOW_MINUTES[self.window], "observed": self.observed,
                "expected": round(self.expected, 1), "threshold": self.threshold, "basis": self.basis,
                "p_value": float(f"{self.p_value:.3g}")}


@dataclass(frozen=True)
class Rules:
    alpha: float
    ratio: float
    min_count: int

    @classmethod
    def of(cls, sensitivity: str, min_count: int) -> Rules:
        alpha, ratio = SENSITIVITY.get(sensitivity, SENSITIVITY[SpikeSensitivity.NORMAL])
        return cls(alpha, ratio, max(1, min_count))


def judge(scope: str, window: str, observed: int, baseline: Baseline, rules: Rules) -> Finding | None:
    """Whether ``observed`` is a spike against ``baseline``."""
    if observed < rules.min_count:
        return None
    if baseline.basis == "none":  # hours of history only: well above the busiest window so far
        floor = max(COLD_FLOOR_FACTOR * rules.min_count, math.ceil(COLD_RATIO * baseline.mean) + 1)
        if observed >= floor:
            return Finding(scope, window, observed, baseline.mean, floor, "none", 0.0)
        return None
    ratio = rules.ratio if baseline.basis == "week" else max(rules.ratio, COLD_RATIO)
    threshold = max(quantile(rules.alpha, baseline.mean, baseline.variance), rules.min_count,
                    math.ceil(ratio * baseline.mean))
    if observed < threshold:
        return None
    return Finding(scope, window, observed, baseline.mean, threshold, baseline.basis,
                   tail(observed, baseline.mean, baseline.variance))


# --- where the counts come from -----------------------------------------------------------------------------------


class CountSource(Protocol):
    """Counts per scope and bucket (the database's counters, or :class:`MemoryCounts`)."""

    def recent(self, since: datetime) -> dict[str, dict[datetime, int]]:
        """Every scope counted since ``since``, with its buckets' counts."""

    def history(self, scopes: Sequence[str], buckets: Sequence[datetime]) -> dict[tuple[str, datetime], int]:
        """The counts of ``scopes`` in ``buckets`` (absent: 0)."""

    def first_bucket(self) -> datetime | None:
        """The first bucket ever counted (history starts there)."""


def _windows(now: datetime) -> dict[str, tuple[list[datetime], float]]:
    """Each window's buckets (the one in progress last) and the elapsed fraction of the one in progress."""
    current = bucket_of(now)
    frac = max(1e-3, min(1.0, (now - current) / BUCKET))
    return {name: ([current - BUCKET * i for i in range(whole, -1, -1)], frac) for name, whole in WINDOWS.items()}


def _offsets(now: datetime, first: datetime | None) -> tuple[list[timedelta], str]:
    """How far back the baseline's samples are, given when history starts: the same window one, two… weeks
    earlier and an hour either side of it (weeks, else days of history), else nothing."""
    if first is None:
        return [], "none"
    start = bucket_of(now) - BUCKET * max(WINDOWS.values())
    for period, most, least, basis in ((WEEK, BASELINE_WEEKS, MIN_WEEKS, "week"), (DAY, COLD_DAYS, MIN_DAYS, "day")):
        periods = [period * k for k in range(1, most + 1) if start - period * k - HOUR >= first]
        if len(periods) >= least:
            return [p + HOUR * h for p in periods for h in NEIGHBOURS], basis
    return [], "none"


def _count(buckets: Sequence[datetime], frac: float, get: Mapping[datetime, float]) -> float:
    *whole, current = buckets
    return sum(get.get(b, 0) for b in whole) + frac * get.get(current, 0)


def evaluate(source: CountSource, now: datetime, rules: Rules) -> tuple[list[Finding], list[dict[str, Any]]]:
    """The scopes in a spike now (at most one finding per scope: its most surprising window), and the window's
    salient keywords."""
    windows = _windows(now)
    longest = max(windows.values(), key=lambda w: len(w[0]))[0]
    recent = source.recent(longest[0])
    first = source.first_bucket()
    if first is None or now - first < MIN_HISTORY:
        return [], []
    offsets, basis = _offsets(now, first)
    observed: dict[tuple[str, str], int] = {}
    for scope, buckets in recent.items():
        for name, (wb, _frac) in windows.items():
            observed[(scope, name)] = sum(buckets.get(b, 0) for b in wb)
    candidates = sorted({scope for (scope, name), n in observed.items() if n >= rules.min_count})
    keyword_scopes = sorted(s for s, b in recent.items() if s.startswith("kw:")
                            and sum(b.get(x, 0) for x in longest) >= KEYWORD_MIN)
    wanted = sorted(set(candidates) | set(keyword_scopes))
    past: dict[tuple[str, datetime], int] = {}
    if offsets and wanted:
        past_buckets = sorted({b - off for off in offsets for b in longest})
        past = source.history(wanted, past_buckets)

    def samples(scope: str, window: str) -> list[float]:
        wb, frac = windows[window]
        out = []
        for off in offsets:
            shifted = [b - off for b in wb]
            out.append(_count(shifted, frac, {b: past.get((scope, b), 0) for b in shifted}))
        return out

    peaks: dict[tuple[str, str], int] = {}
    if basis == "none" and candidates:  # the busiest window of the same length so far
        so_far = [first + BUCKET * i for i in range(int((longest[0] - first) / BUCKET))]
        got = source.history(candidates, so_far)
        for name, (wb, _frac) in windows.items():
            for scope in candidates:
                series = [got.get((scope, b), 0) for b in so_far]
                peaks[(scope, name)] = max((sum(series[i:i + len(wb)]) for i in range(len(series))), default=0)

    def baseline(scope: str, window: str) -> Baseline:
        if basis != "none":
            return baseline_of(samples(scope, window), basis)
        return Baseline(float(peaks.get((scope, window), 0)), 0.0, 0, "none")

    findings: list[Finding] = []
    for scope in candidates:
        best: Finding | None = None
        for name in windows:
            n = observed.get((scope, name), 0)
            found = judge(scope, name, n, baseline(scope, name), rules)
            if found is not None and (best is None or found.p_value < best.p_value):
                best = found
        if best is not None:
            findings.append(best)
    ranked: list[tuple[float, int, str, float]] = []
    for scope in keyword_scopes:
        n = observed.get((scope, "1h"), 0)
        expected = baseline_of(samples(scope, "1h"), basis).mean if offsets else 0.0
        ranked.append(((n + 1) / (expected + 1), n, scope_value(scope), expected))
    ranked.sort(key=lambda k: (-k[0], -k[1], k[2]))
    keywords = [{"term": term, "observed": n, "expected": round(expected, 1), "lift": round(lift, 2)}
                for lift, n, term, expected in ranked if lift >= 2]
    return findings, keywords[:KEYWORDS_SHOWN]


# --- the episode: once per spike -----------------------------------------------------------------------------------


def continues(last_above_at: datetime | None, now: datetime) -> bool:
    """Whether a spike last seen above its threshold at ``last_above_at`` is still the same episode."""
    return last_above_at is not None and now - last_above_at <= QUIET


# --- in memory: for benchmarks and replays --------------------------------------------------------------------------


@dataclass
class MemoryCounts:
    """Counters held in a dict by bucket (one workspace)."""

    buckets: dict[datetime, dict[str, int]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, when: datetime, scopes: Iterable[str]) -> None:
        bucket = bucket_of(when)
        self.first = bucket if self.first is None or bucket < self.first else self.first
        self.last = bucket if self.last is None or bucket > self.last else self.last
        per = self.buckets.setdefault(bucket, {})
        for scope in scopes:
            per[scope] = per.get(scope, 0) + 1

    def recent(self, since: datetime) -> dict[str, dict[datetime, int]]:
        out: dict[str, dict[datetime, int]] = defaultdict(dict)
        bucket = bucket_of(since)
        while self.last is not None and bucket <= self.last:
            for scope, n in self.buckets.get(bucket, {}).items():
                out[scope][bucket] = n
            bucket += BUCKET
        return dict(out)

    def history(self, scopes: Sequence[str], buckets: Sequence[datetime]) -> dict[tuple[str, datetime], int]:
        out: dict[tuple[str, datetime], int] = {}
        for b in buckets:
            per = self.buckets.get(b)
            if per:
                for s in scopes:
                    if s in per:
                        out[(s, b)] = per[s]
        return out

    def first_bucket(self) -> datetime | None:
        return self.first


@dataclass(frozen=True)
class Raised:
    at: datetime
    findings: tuple[Finding, ...]
    keywords: tuple[dict[str, Any], ...]


class SpikeDetector:
    """The spike method on counts in memory: feed messages with :meth:`observe`, call :meth:`check` as the clock
    moves (every minute, like the job); :attr:`alerts` lists the alerts raised (once per spike).

    >>> d = SpikeDetector()
    >>> d.observe(when, ["all", "account:1", "kw:colis"])    # doctest: +SKIP
    >>> d.check(when)                                          # doctest: +SKIP
    """

    def __init__(self, sensitivity: str = SpikeSensitivity.NORMAL, min_count: int = 10) -> None:
        self.rules = Rules.of(sensitivity, min_count)
        self.counts = MemoryCounts()
        self.alerts: list[Raised] = []
        self.last_above_at: datetime | None = None

    def observe(self, when: datetime, scopes: Iterable[str]) -> None:
        self.counts.add(when, scopes)

    def observe_message(self, when: datetime, *, channel_account_id: int | None = None, network: str | None = None,
                        intent: str | None = None, topic: str | None = None, text: str = "") -> None:
        self.observe(when, message_scopes(channel_account_id=channel_account_id, network=network, intent=intent,
                                          topic=topic, text=text))

    def check(self, now: datetime) -> Raised | None:
        """The alert raised now, if a new spike starts (a continuing one returns None)."""
        findings, keywords = evaluate(self.counts, now, self.rules)
        if not findings:
            return None
        ongoing = continues(self.last_above_at, now)
        self.last_above_at = now
        if ongoing:
            return None
        raised = Raised(now, tuple(findings), tuple(keywords))
        self.alerts.append(raised)
        return raised


# --- in the database ---------------------------------------------------------------------------------------------


def count_message(session: Session, *, workspace_id: int, message_id: int, when: datetime,
                  scopes: Sequence[str]) -> None:
    """Add one message to its scopes' counters of ``when``'s bucket: one statement, rows in a fixed order (two
    transactions never wait for each other in opposite orders)."""
    if not scopes:
        return
    bucket = bucket_of(when)
    shard = message_id % SHARDS
    rows = [{"workspace_id": workspace_id, "scope": s, "bucket_start": bucket,
             "shard": 0 if s.startswith("kw:") else shard, "count": 1} for s in sorted(set(scopes))]
    # one statement, executed for the rows (an executemany): built once per dialect and compiled once, where a
    # multi-VALUES insert was compiled again for every message (~1.3 ms on SQLite, against ~0.2 ms)
    session.execute(_upsert(session.get_bind().dialect.name), rows)


@cache
def _upsert(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (workspace, scope, bucket, shard) DO UPDATE SET count = count + excluded.count``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(ListeningCount)
        return pg.on_conflict_do_update(index_elements=["workspace_id", "scope", "bucket_start", "shard"],
                                        set_={"count": ListeningCount.count + pg.excluded.count})
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(ListeningCount)
    return lite.on_conflict_do_update(index_elements=["workspace_id", "scope", "bucket_start", "shard"],
                                      set_={"count": ListeningCount.count + lite.excluded.count})


def backfill(session: Session, workspace_id: int, arrivals: Iterable[tuple[datetime, Sequence[str]]]) -> int:
    """Add many past messages' scopes to the counters at once (a demo workspace's usual weeks, an import of a
    brand's history): aggregated per scope and bucket, one statement per 500 rows. Returns the rows written."""
    totals: dict[tuple[str, datetime], int] = defaultdict(int)
    for when, scopes in arrivals:
        bucket = bucket_of(when)
        for scope in set(scopes):
            totals[(scope[:120], bucket)] += 1
    rows = [{"workspace_id": workspace_id, "scope": scope, "bucket_start": bucket, "shard": 0, "count": n}
            for (scope, bucket), n in sorted(totals.items())]
    dialect = session.get_bind().dialect.name
    for i in range(0, len(rows), 500):
        stmt: Any
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(ListeningCount).values(rows[i:i + 500])
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(ListeningCount).values(rows[i:i + 500])
        stmt = stmt.on_conflict_do_update(index_elements=["workspace_id", "scope", "bucket_start", "shard"],
                                          set_={"count": ListeningCount.count + stmt.excluded.count})
        session.execute(stmt)
    return len(rows)


class DatabaseCounts:
    """The counters of one workspace in the database (:class:`CountSource`)."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def recent(self, since: datetime) -> dict[str, dict[datetime, int]]:
        rows = self.session.execute(
            select(ListeningCount.scope, ListeningCount.bucket_start, func.sum(ListeningCount.count))
            .where(ListeningCount.bucket_start >= since, ListeningCount.workspace_id == self.workspace_id)
            .group_by(ListeningCount.scope, ListeningCount.bucket_start))
        out: dict[str, dict[datetime, int]] = defaultdict(dict)
        for scope, bucket, n in rows:
            out[scope][bucket] = int(n)
        return dict(out)

    def history(self, scopes: Sequence[str], buckets: Sequence[datetime]) -> dict[tuple[str, datetime], int]:
        out: dict[tuple[str, datetime], int] = {}
        scopes = list(scopes)
        for i in range(0, len(scopes), 500):
            rows = self.session.execute(
                select(ListeningCount.scope, ListeningCount.bucket_start, func.sum(ListeningCount.count))
                .where(ListeningCount.workspace_id == self.workspace_id,
                       ListeningCount.scope.in_(scopes[i:i + 500]), ListeningCount.bucket_start.in_(list(buckets)))
                .group_by(ListeningCount.scope, ListeningCount.bucket_start))
            for scope, bucket, n in rows:
                out[(scope, bucket)] = int(n)
        return out

    def first_bucket(self) -> datetime | None:
        return self.session.scalar(select(func.min(ListeningCount.bucket_start)).where(
            ListeningCount.workspace_id == self.workspace_id, ListeningCount.scope == "all"))


def active_workspaces(session: Session, now: datetime) -> list[int]:
    """Workspaces with a message counted in the longest window."""
    since = bucket_of(now) - BUCKET * max(WINDOWS.values())
    return [int(w) for w in session.scalars(
        select(ListeningCount.workspace_id).where(ListeningCount.bucket_start >= since).distinct())]


def rules_of(settings: ListeningSettings | None) -> Rules | None:
    """The workspace's rules, or None when its spike alerts are off."""
    if settings is None:
        return Rules.of(SpikeSensitivity.NORMAL, 10)
    if not settings.spikes_enabled:
        return None
    return Rules.of(settings.spike_sensitivity, settings.spike_min_count)


def purge(session: Session, now: datetime) -> int:
    """Drop the counters older than the baseline needs."""
    result = session.execute(delete(ListeningCount).where(ListeningCount.bucket_start < now - RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)


def primary(findings: Sequence[Finding]) -> Finding:
    """The finding the alert is titled after: an account, else a network, a topic, an intent, the workspace, a
    keyword; the most surprising one of that kind."""
    order = {"account": 0, "network": 1, "topic": 2, "intent": 3, "all": 4, "kw": 5}
    return min(findings, key=lambda f: (order.get(scope_kind(f.scope), 9), f.p_value, -f.observed))
