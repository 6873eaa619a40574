"""Replayable traffic for the spike tests: normal traffic in both languages built from the public data in
../shared/data (English customers' tweets to brands' support handles, French tweets to an ISP), with a daily and
weekly rhythm and day-to-day variation; and the fan-page wall (French complaints about undelivered parcels)."""

from __future__ import annotations

import csv
import functools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from compris.triage.core import TriageInput, triage_many

DATA = Path(__file__).resolve().parents[2].parent.parent / "shared" / "data"
if not DATA.exists():  # a worktree (/work/wt/<name>) or the main checkout (/work/main)
    DATA = Path("/work/shared/data")

#: share of the peak hourly rate, per hour of the day
DAY_SHAPE = [0.08, 0.05, 0.04, 0.04, 0.05, 0.1, 0.25, 0.5, 0.8, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.0, 0.95, 0.9,
             0.85, 0.8, 0.7, 0.5, 0.3, 0.15]
WEEKEND = 0.6


@dataclass(frozen=True)
class Item:
    """One message of the pool: its text and what triage says of it."""

    text: str
    language: str
    intent: str
    topic: str


@functools.cache
def pool() -> tuple[Item, ...]:
    """About 600 English and 600 French customers' messages, triaged once."""
    rng = random.Random(7)
    with (DATA / "customer_support_on_twitter" / "twcs_sample.csv").open(encoding="utf-8") as f:
        english = [r["text"] for r in csv.DictReader(f) if r["inbound"] == "True"]
    with (DATA / "french_isp_tweets" / "free_tweets.csv").open(encoding="utf-8") as f:
        french = [r["text"] for r in csv.DictReader(f) if not r["text"].startswith("rt ")
                  and r["author"].lower() not in ("freebox", "free", "freemobile", "free_1337")]
    texts = [(t, "en") for t in rng.sample(english, 600)] + [(t, "fr") for t in rng.sample(french, 600)]
    results = triage_many([TriageInput(t) for t, _ in texts])
    return tuple(Item(t, lang, r.intent, r.topic) for (t, lang), r in zip(texts, results, strict=True))


PARCEL_OPENINGS = ["Toujours pas reçu mon colis", "Colis jamais livré", "Ma commande n'est toujours pas arrivée",
                   "Où est mon colis ??", "Livraison annoncée mais colis pas reçu", "Colis marqué livré mais rien",
                   "Commande payée il y a 10 jours, toujours pas de colis", "Mon colis a disparu"]
PARCEL_ENDINGS = ["c'est inadmissible", "personne ne répond", "je veux être remboursé", "vous vous moquez de nous",
                  "le suivi ne bouge plus", "le livreur n'est jamais passé", "aucune nouvelle depuis une semaine",
                  "j'attends une réponse"]


def parcel_complaints(n: int = 30, seed: int = 3) -> list[str]:
    """``n`` French complaints about undelivered parcels, each worded a little differently."""
    rng = random.Random(seed)
    return [f"{rng.choice(PARCEL_OPENINGS)}, {rng.choice(PARCEL_ENDINGS)}{rng.choice(['', ' !', ' !!', '...'])}"
            for _ in range(n)]


@dataclass(frozen=True)
class Arrival:
    at: datetime
    item: Item
    account: int


def normal_traffic(start: datetime, end: datetime, *, peak_per_hour: float = 30.0, accounts: tuple[int, ...] = (1, 2),
                   weights: tuple[float, ...] = (0.7, 0.3), seed: int = 11) -> Iterator[Arrival]:
    """Customers' messages between ``start`` and ``end``: Poisson arrivals at ``peak_per_hour`` × the hour's
    share, times a day's own level (log-normal, ±15 %), spread over ``accounts``."""
    rng = random.Random(seed)
    items = pool()
    day_level: dict[object, float] = {}
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        day = hour.date()
        if day not in day_level:
            day_level[day] = math.exp(rng.gauss(0, 0.15))
        rate = peak_per_hour * DAY_SHAPE[hour.hour] * (WEEKEND if hour.weekday() >= 5 else 1.0) * day_level[day]
        n = _poisson(rng, rate)
        for at in sorted(hour + timedelta(seconds=rng.uniform(0, 3600)) for _ in range(n)):
            if start <= at < end:
                yield Arrival(at, rng.choice(items), rng.choices(accounts, weights)[0])
        hour += timedelta(hours=1)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
