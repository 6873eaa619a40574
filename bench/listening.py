"""Listening, measured: how fast a wave is seen, how well its messages are grouped, how often normal traffic alarms,
and what the listening step costs each inbound message.

    .venv/bin/python bench/listening.py [--data ../shared/data] [--part validation] [--seeds 3]
        [--signature-only] [--ingest 300] [--db sqlite|postgresql] [--quick] [--only delay,clusters,alarms,ingest]

Four measures, each printed as medians (and means where a median of a rate says little) with what they ran on:

1. **Detection delay** (simulated minutes). Normal traffic is the inbound customer tweets of "Customer Support on
   Twitter" (``customer_support_on_twitter/twcs_sample.csv``) replayed at their own timestamps, four weeks of them
   (every brand's inbound tweets of 2017-10-29 … 11-26 as one account; ``--scale`` copies shifted by whole weeks
   make a busier account). Waves of 15, 30 and 60 messages about one subject (the synthetic subjects of
   ``compris/listening/data/waves.json``, validation part, in French or in English) start at a random hour of the
   fourth week (three weeks of history before them) and arrive at random over 60 minutes. The spike method of
   ``compris.listening.spikes`` (the same code the minute job runs on the database's counters: ``SpikeDetector`` on
   counts in memory) is asked every simulated minute, as the job is; the delay is the time from the wave's first
   message to the alert, and the wave's messages in by then.
2. **Clustering precision and recall**: B-cubed and pairwise precision/recall of the clustering
   (:func:`compris.listening.clusters.cluster_offline`, the background job's grouping without a database) on
   streams of waves built from the public data (``compris.listening.cluster_eval.waves``: four subjects of 8, 24
   or 60 messages each from different customers, French and English, mixed into 150 ordinary messages — English
   tweets to brands, French tweets to an ISP), and on real English groups (Bitext intents, airline complaint
   reasons); per wave, the share of its messages in its largest cluster (recall) and that cluster's purity.
3. **False alarms per day**: the same replayed normal traffic with no wave, checked every simulated minute after two
   weeks of history, per brand account of the sample (the six busiest, each at its own volume), for all of them as
   one account, and for that account ten times busier (``--scale`` 10).
4. **Cost per inbound message of the listening step**: N customer messages (French and English, one in five a
   comment under one post) ingested through the real pipeline (the webhook's durable insert, then the processing
   job: identity, case, triage, routing, SLA, and the listening listeners) on a fresh database, once with the
   listening listeners registered and once with them temporarily unregistered, alternating blocks of 25; the median
   per-message processing time of each and their ratio. The periodic listening jobs (the spike check every minute,
   the clustering pass) run apart from ingestion, on their own lane.

Everything is offline and bounded; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import csv
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("COMPRIS_PASSWORD_HASH_COST", "minimal")

#: ``../shared/data`` beside the checkout (the nearest one up from here)
DEFAULT_DATA = next((p / "shared" / "data" for p in Path(__file__).resolve().parents
                     if (p / "shared" / "data").is_dir()), Path("../shared/data"))
PG_ADMIN = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-key-0123456789abcdef"
TWCS_TIME = "%a %b %d %H:%M:%S %z %Y"
MINUTE = timedelta(minutes=1)


def _rows(path: Path) -> list[dict[str, str]]:
    opener: Any = bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


# --- the public data ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tweet:
    at: datetime
    text: str
    brand: str  # the brand account the customer wrote to ("" when the sample does not say)


def inbound_tweets(data: Path) -> list[Tweet]:
    """The sample's customers' tweets with the brand each was written to (the author of the brand's answer, or of
    the tweet it answers)."""
    rows = [r for r in _rows(data / "customer_support_on_twitter" / "twcs_sample.csv") if r["created_at"]]
    by_id = {r["tweet_id"]: r for r in rows}
    found = []
    for r in rows:
        if r["inbound"] != "True":
            continue
        brand = ""
        for rid in r["response_tweet_id"].split(","):
            answer = by_id.get(rid.strip())
            if answer is not None and answer["inbound"] == "False":
                brand = answer["author_id"]
                break
        if not brand and r["in_response_to_tweet_id"]:
            parent = by_id.get(r["in_response_to_tweet_id"].split(".")[0])
            if parent is not None and parent["inbound"] == "False":
                brand = parent["author_id"]
        found.append(Tweet(datetime.strptime(r["created_at"], TWCS_TIME).astimezone(UTC), r["text"], brand))
    return sorted(found, key=lambda t: t.at)


def replay_window(tweets: Sequence[Tweet], weeks: int = 4) -> tuple[datetime, list[Tweet]]:
    """The sample's busiest ``weeks`` whole weeks (2017-10-29 on): their start and their tweets."""
    start = datetime(2017, 10, 29, tzinfo=UTC)
    end = start + timedelta(weeks=weeks)
    return start, [t for t in tweets if start <= t.at < end]


def scaled(tweets: Sequence[Tweet], start: datetime, weeks: int, scale: int) -> list[Tweet]:
    """``scale`` copies of the traffic, copy k shifted by k weeks (wrapped within the span): the same hour-of-week
    shape, ``scale`` times the volume."""
    if scale <= 1:
        return list(tweets)
    span = timedelta(weeks=weeks)
    out = []
    for k in range(scale):
        for t in tweets:
            at = start + (t.at - start + timedelta(weeks=k)) % span
            out.append(Tweet(at + timedelta(seconds=k), t.text, t.brand))
    return sorted(out, key=lambda t: t.at)


def wave_subjects() -> dict[str, dict[str, list[str]]]:
    doc = json.loads(resources.files("compris.listening").joinpath("data/waves.json").read_text("utf-8"))
    subjects: dict[str, dict[str, list[str]]] = doc["validation"]
    return subjects


# --- 1 and 3: the spike method on replayed traffic --------------------------------------------------------------


class Scopes:
    """Each text's counters (``message_scopes``: the account, the network, triage's intent and topic, its terms),
    computed once per text."""

    def __init__(self) -> None:
        from compris.triage import triage

        self._triage = triage
        self._cache: dict[str, list[str]] = {}

    def of(self, text: str) -> list[str]:
        from compris.listening.spikes import message_scopes

        found = self._cache.get(text)
        if found is None:
            result = self._triage(text)
            found = message_scopes(channel_account_id=1, network="x", intent=result.intent, topic=result.topic,
                                   text=text)
            self._cache[text] = found
        return found


def run_detector(events: Sequence[tuple[datetime, list[str]]], check_from: datetime, check_to: datetime,
                 min_count: int, step: timedelta = MINUTE) -> list[datetime]:
    """Feed ``events`` (time order) to a fresh detector, checking every ``step`` (the job: every minute) from
    ``check_from`` to ``check_to``; the times alerts were raised."""
    from compris.listening.spikes import SpikeDetector

    detector = SpikeDetector(min_count=min_count)
    i = 0
    tick = check_from
    alerts: list[datetime] = []
    while i < len(events) and events[i][0] < check_from:
        detector.observe(*events[i])
        i += 1
    while tick <= check_to:
        while i < len(events) and events[i][0] <= tick:
            detector.observe(*events[i])
            i += 1
        if detector.check(tick) is not None:
            alerts.append(tick)
        tick += step
    return alerts


def bench_delay(data: Path, *, seeds: int, scale: int, min_count: int) -> dict[str, Any]:
    tweets = inbound_tweets(data)
    start, normal = replay_window(tweets, weeks=4)
    normal = scaled(normal, start, 4, scale)
    scopes = Scopes()
    background = [(t.at, scopes.of(t.text)) for t in normal]
    subjects = wave_subjects()
    names = sorted(subjects)
    results: list[dict[str, Any]] = []
    for size in (15, 30, 60):
        for language in ("fr", "en"):
            for seed in range(seeds):
                rng = random.Random(f"{size}-{language}-{seed}")
                name = rng.choice([n for n in names if subjects[n].get(language)])
                # in the fourth week: three weeks of history before it (the method's week-on-week baseline)
                wave_start = start + timedelta(weeks=3, hours=rng.randrange(0, 7 * 24 - 3), minutes=rng.randrange(60))
                arrivals = sorted(wave_start + timedelta(seconds=rng.uniform(0, 3600)) for _ in range(size))
                arrivals[0] = wave_start
                wave = [(at, scopes.of(rng.choice(subjects[name][language]))) for at in arrivals]
                events = sorted([*background, *wave], key=lambda e: e[0])
                alerts = run_detector(events, wave_start - timedelta(hours=2), wave_start + timedelta(hours=2),
                                      min_count)
                after = [a for a in alerts if a >= wave_start]
                delay = (after[0] - wave_start).total_seconds() / 60 if after else None
                seen = sum(1 for at in arrivals if after and at <= after[0])
                results.append({"size": size, "language": language, "subject": name, "delay": delay,
                                "wave_messages_at_alert": seen, "alerts_before": len(alerts) - len(after)})
    summary: dict[str, Any] = {"normal_per_day": round(len(normal) / 28, 1), "scale": scale, "min_count": min_count,
                               "waves": len(results)}
    for size in (15, 30, 60):
        rows = [r for r in results if r["size"] == size]
        delays = [r["delay"] for r in rows if r["delay"] is not None]
        summary[f"wave_{size}"] = {
            "detected": f"{len(delays)}/{len(rows)}",
            "median_delay_min": round(median(delays), 1) if delays else None,
            "max_delay_min": round(max(delays), 1) if delays else None,
            "median_messages_at_alert": median([r["wave_messages_at_alert"] for r in rows if r["delay"] is not None])
            if delays else None,
        }
    summary["alerts_in_the_two_hours_before_a_wave"] = sum(r["alerts_before"] for r in results)
    return summary


def bench_alarms(data: Path, *, min_count: int, step_minutes: int = 1) -> dict[str, Any]:
    tweets = inbound_tweets(data)
    start, normal = replay_window(tweets, weeks=4)
    scopes = Scopes()
    check_from, check_to = start + timedelta(weeks=2), start + timedelta(weeks=4) - MINUTE
    days = (check_to - check_from).total_seconds() / 86400
    brands = [b for b, _ in sorted(((b, sum(1 for t in normal if t.brand == b)) for b in {t.brand for t in normal}
                                    if b), key=lambda x: -x[1])[:6]]
    streams: dict[str, list[Tweet]] = {f"@{b}": [t for t in normal if t.brand == b] for b in brands}
    streams["all brands as one account"] = normal
    streams["all brands ×10"] = scaled(normal, start, 4, 10)
    out: dict[str, Any] = {"days_checked": round(days, 1), "min_count": min_count, "check_every_min": step_minutes}
    for name, stream in streams.items():
        events = [(t.at, scopes.of(t.text)) for t in stream]
        alerts = run_detector(events, check_from, check_to, min_count, timedelta(minutes=step_minutes))
        out[name] = {"per_day": round(len(stream) / 28, 1), "alerts": len(alerts),
                     "false_alarms_per_day": round(len(alerts) / days, 3)}
    return out


# --- 2: clustering precision and recall ---------------------------------------------------------------------------


def per_wave(labels: Sequence[int], subjects: Sequence[str]) -> tuple[float, float]:
    """Mean over the stream's waves of the share of a wave's messages in its largest cluster, and of that cluster's
    purity (the share of its members about the wave's subject)."""
    recalls, purities = [], []
    for subject in sorted({s for s in subjects if s}):
        members = [i for i, s in enumerate(subjects) if s == subject]
        counts: dict[int, int] = {}
        for i in members:
            if labels[i] >= 0:
                counts[labels[i]] = counts.get(labels[i], 0) + 1
        if not counts:
            recalls.append(0.0)
            purities.append(0.0)
            continue
        best, held = max(counts.items(), key=lambda kv: kv[1])
        size = sum(1 for lab in labels if lab == best)
        recalls.append(held / len(members))
        purities.append(held / size)
    return statistics.mean(recalls), statistics.mean(purities)


def bench_clusters(data: Path, *, part: str, seeds: int, embeddings: bool | None) -> dict[str, Any]:
    from compris.listening import vectors
    from compris.listening.cluster_eval import bcubed, pairwise, waves
    from compris.listening.clusters import cluster_offline

    use_vectors = vectors.available() if embeddings is None else embeddings
    out: dict[str, Any] = {"part": part, "embeddings": use_vectors}
    for label, real, size in (("synthetic FR+EN, 8 a wave", False, 8), ("synthetic FR+EN, 24 a wave", False, 24),
                              ("synthetic FR+EN, 60 a wave", False, 60), ("real EN groups, 24 a wave", True, 24)):
        scores: dict[str, list[float]] = {}
        messages = 0
        started = time.perf_counter()
        for seed in range(1, seeds + 1):
            stream = waves(data, part, seed=seed, per_wave=size, real=real)
            labels = cluster_offline(stream.texts, stream.languages, authors=stream.authors, embeddings=embeddings)
            truth = stream.truth()
            bp, br = bcubed(labels, truth)
            pp, pr = pairwise(labels, truth)
            wr, wp = per_wave(labels, stream.subjects)
            for key, value in (("bcubed_precision", bp), ("bcubed_recall", br), ("pairwise_precision", pp),
                               ("pairwise_recall", pr), ("wave_recall", wr), ("wave_purity", wp)):
                scores.setdefault(key, []).append(value)
            messages += len(stream.texts)
        out[label] = {k: round(median(v), 3) for k, v in scores.items()}
        out[label]["ms_per_message"] = round((time.perf_counter() - started) * 1000 / max(messages, 1), 2)
    return out


# --- 4: the cost of the listening step on ingestion ---------------------------------------------------------------


@contextlib.contextmanager
def listening_off() -> Iterator[int]:
    """The listening capability's listeners unregistered for the block (restored after); yields how many."""
    from compris import bus

    bus.load_listeners()
    with bus._lock:
        removed = [r for r in bus._registry if r.name.startswith("compris.listening.")]
        for r in removed:
            bus._registry.remove(r)
        bus._by_type.clear()
    try:
        yield len(removed)
    finally:
        with bus._lock:
            bus._registry.extend(removed)
            bus._by_type.clear()


@contextlib.contextmanager
def timed_listeners(spent: dict[str, float]) -> Iterator[None]:
    """The listening listeners wrapped for the block: each one's time added to ``spent[name]``."""
    from compris import bus

    bus.load_listeners()
    with bus._lock:
        originals = [r for r in bus._registry if r.name.startswith("compris.listening.")]
        for r in originals:
            def timed(session: Any, publisher: Any, event: Any, _r: Any = r) -> None:
                started = time.perf_counter()
                try:
                    _r.listener(session, publisher, event)
                finally:
                    spent[_r.name] = spent.get(_r.name, 0.0) + time.perf_counter() - started
            bus._registry[bus._registry.index(r)] = bus.Registration(r.event_type, timed, r.order, r.name)
        bus._by_type.clear()
    try:
        yield
    finally:
        with bus._lock:
            by_name = {(r.name, r.event_type): r for r in originals}
            bus._registry[:] = [by_name.get((r.name, r.event_type), r) for r in bus._registry]
            bus._by_type.clear()


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="compris-listening-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    name = f"compris_bench_listening_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_ingest(data: Path, *, n: int, db_kind: str) -> dict[str, Any]:
    from compris import migrate
    from compris.accounts import actions as accounts
    from compris.channels.actions import create_account
    from compris.config import Settings
    from compris.connectors.base import WebhookRequest
    from compris.connectors.sandbox import sign
    from compris.inbox.ingest import receive
    from compris.runtime import Runtime
    from compris.worker.queue import load_tasks, run_pending

    load_tasks()
    rows = [r for r in _rows(data / "customer_support_on_twitter" / "twcs_sample.csv") if r["inbound"] == "True"]
    french = [r["text"] for r in _rows(data / "french_isp_tweets" / "free_tweets.csv")
              if r["author"] not in ("Freebox", "free", "Free_1337") and not r["text"].startswith("rt ")]
    rng = random.Random(7)
    texts = [rng.choice(french) if i % 2 else rng.choice(rows)["text"] for i in range(2 * n + 50)]
    with database(db_kind) as url, tempfile.TemporaryDirectory(prefix="compris-listening-data-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), database_url=url, secret_key=SECRET, workers=0, sandbox=False,
                            base_url="http://127.0.0.1:9", password_hash_cost="minimal", triage_accurate="off")
        runtime = Runtime.create(settings)
        try:
            migrate.upgrade(runtime.db.engine)
            with runtime.db.transaction() as session:
                workspace = accounts.create_workspace(session, slug="bench", name="Bench")
                account = create_account(session, SECRET, workspace_id=workspace.id, network="sandbox",
                                         name="Bench", external_id="brand-bench", settings={"api_base": "http://127.0.0.1:9"},
                                         secrets={"webhook_secret": "whsec-bench", "api_token": "tok"})
                account_id = account.id
            counter = iter(range(10**9))

            def one(text: str) -> float:
                k = next(counter)
                mid = f"m{k}"
                comment = k % 5 == 0
                data_ = {"id": mid, "kind": "comment" if comment else "post",
                         "thread_id": "post-bench" if comment else f"p-{mid}",
                         "author": {"id": f"c{k}", "name": f"Customer {k}", "followers": rng.randrange(10, 3000)},
                         "text": text[:2000], "created_at": datetime.now(UTC).isoformat()}
                if comment:
                    data_["post"] = {"id": "post-bench", "author": {"id": "brand-bench", "brand": True},
                                     "text": "Our new offer", "created_at": "2026-01-01T00:00:00+00:00"}
                body = json.dumps({"event_id": f"evt-{mid}", "type": "message", "data": data_}).encode()
                request = WebhookRequest(method="POST", query={}, body=body, headers={
                    "content-type": "application/json", "x-sandbox-signature": sign("whsec-bench", body)})
                receive(runtime.db, runtime.publisher, SECRET, account_id, request)
                started = time.perf_counter()
                run_pending(runtime.services)
                return time.perf_counter() - started

            for text in texts[:50]:  # warm-up: models loaded, caches filled, first cases created
                one(text)
            on: list[float] = []
            off: list[float] = []
            removed = 0
            queue = texts[50:]
            block = 25
            spent: dict[str, float] = {}
            for start in range(0, 2 * n, 2 * block):
                with timed_listeners(spent):
                    for text in queue[start:start + block]:
                        on.append(one(text))
                with listening_off() as count:
                    removed = count
                    for text in queue[start + block:start + 2 * block]:
                        off.append(one(text))
        finally:
            runtime.stop()
    med_on, med_off = median(on), median(off)
    return {"db": db_kind, "messages_each": len(on), "listening_listeners": removed,
            "median_ms_listening_on": round(med_on * 1000, 2), "median_ms_listening_off": round(med_off * 1000, 2),
            "ratio_on_to_off": round(med_on / med_off, 3) if med_off else None,
            "p90_ms_on": round(statistics.quantiles(on, n=10)[-1] * 1000, 2),
            "p90_ms_off": round(statistics.quantiles(off, n=10)[-1] * 1000, 2),
            "mean_ms_per_message_by_listener": {k.removeprefix("compris.listening."): round(v * 1000 / len(on), 2)
                                                for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}}


# --- main -----------------------------------------------------------------------------------------------------


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--part", choices=("tune", "validation"), default="validation")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1, help="normal traffic copies for the detection delay")
    parser.add_argument("--min-count", type=int, default=10, help="the workspace's spike minimum count")
    parser.add_argument("--signature-only", action="store_true", help="cluster without e5 embeddings")
    parser.add_argument("--ingest", type=int, default=300, help="messages per mode for the ingestion cost")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--alarm-step", type=int, default=1,
                        help="minutes between checks for the false alarms (the job: 1; an episode lasts longer)")
    parser.add_argument("--only", default="delay,clusters,alarms,ingest")
    parser.add_argument("--quick", action="store_true", help="one seed, 100 messages per mode")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.ingest = 1, 100
    parts = {p.strip() for p in args.only.split(",")}
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "delay": lambda: bench_delay(args.data, seeds=args.seeds, scale=args.scale, min_count=args.min_count),
        "clusters": lambda: bench_clusters(args.data, part=args.part, seeds=args.seeds,
                                           embeddings=False if args.signature_only else None),
        "alarms": lambda: bench_alarms(args.data, min_count=args.min_count, step_minutes=args.alarm_step),
        "ingest": lambda: bench_ingest(args.data, n=args.ingest, db_kind=args.db),
    }
    print(f"# machine: {machine()}")
    for name, step in steps.items():
        if name not in parts:
            continue
        started = time.perf_counter()
        result = step()
        print(f"## {name} ({time.perf_counter() - started:.0f} s)")
        print(json.dumps(result, indent=1, ensure_ascii=False))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
