"""Live traffic for demos: a random customer message every N seconds, per brand, toggled from the page."""

from __future__ import annotations

import json
import logging
import random
import threading
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from compris.sandbox_network.store import NetworkError, Persona

if TYPE_CHECKING:
    from compris.sandbox_network.network import Posted, SandboxNetwork

log = logging.getLogger(__name__)

MIN_INTERVAL = 2.0
MAX_INTERVAL = 3600.0


@cache
def live_pool() -> dict[str, Any]:
    """The personas and messages the generator picks from (``compris/demo_data/stories.json``, "live")."""
    text = (resources.files("compris") / "demo_data" / "stories.json").read_text(encoding="utf-8")
    pool = json.loads(text).get("live", {})
    return {"personas": list(pool.get("personas", [])), "messages": list(pool.get("messages", []))}


class LiveTraffic:
    def __init__(self, network: SandboxNetwork) -> None:
        self.network = network
        self._lock = threading.Lock()
        self._runs: dict[str, tuple[threading.Event, float]] = {}
        self.rng = random.Random()

    def interval(self, brand_id: str) -> float | None:
        with self._lock:
            run = self._runs.get(brand_id)
            return run[1] if run else None

    def start(self, brand_id: str, interval: float) -> None:
        self.network.brand(brand_id)  # raises when unknown
        interval = min(MAX_INTERVAL, max(MIN_INTERVAL, float(interval)))
        self.stop(brand_id)
        stop = threading.Event()
        with self._lock:
            self._runs[brand_id] = (stop, interval)
        thread = threading.Thread(target=self._run, args=(brand_id, interval, stop), daemon=True,
                                  name=f"sandbox-live-{brand_id}")
        thread.start()

    def stop(self, brand_id: str) -> None:
        with self._lock:
            run = self._runs.pop(brand_id, None)
        if run is not None:
            run[0].set()

    def stop_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
            self._runs.clear()
        for stop, _ in runs:
            stop.set()

    def _run(self, brand_id: str, interval: float, stop: threading.Event) -> None:
        while not stop.wait(interval):
            try:
                self.tick(brand_id)
            except Exception:
                log.exception("live traffic for %s", brand_id)

    def tick(self, brand_id: str) -> Posted | None:
        """Post one random message from the pool as a random persona."""
        pool = live_pool()
        if not pool["personas"] or not pool["messages"]:
            return None
        raw = self.rng.choice(pool["personas"])
        persona = Persona(id=str(raw["id"]), handle=raw.get("handle"), name=raw.get("name"),
                          followers=int(raw.get("followers", 0)), verified=bool(raw.get("verified", False)))
        message = self.rng.choice(pool["messages"])
        kind = str(message.get("kind", "post"))
        thread_id = None
        if kind == "comment":
            posts = self.network.store.threads(brand_id, "post", 10)
            if posts:
                thread_id = self.rng.choice(posts).id
            else:
                kind = "post"
        try:
            return self.network.customer_message(brand_id, persona, kind, str(message["text"]), thread_id=thread_id)
        except NetworkError as exc:
            log.warning("live traffic message refused: %s", exc.message)
            return None
