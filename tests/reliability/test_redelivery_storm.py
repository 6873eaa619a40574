"""A redelivery storm: every signed delivery arrives three times at once, from several threads, while the workers
run; exactly one raw event and one message per delivery, each processed.

Compris runs in a real uvicorn server on PostgreSQL (a database of the test's own), with two in-process workers.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from compris.models import Message, RawEvent, RawEventStatus
from tests.reliability.conftest import Live
from tests.reliability.support import delivery, signed

pytestmark = pytest.mark.reliability

#: deliveries in the storm (each sent three times); COMPRIS_STORM_N for a bigger one by hand
N = int(os.environ.get("COMPRIS_STORM_N", "240"))


def test_each_delivery_sent_three_times_at_once_is_stored_and_processed_once(
        pg_database: str, compris_live: Callable[..., Live]) -> None:
    live = compris_live(pg_database, workers=2)
    bodies = [delivery(n, run="storm", customers=40) for n in range(N)]
    # the three copies of a delivery are side by side, so that three threads pick them up at the same moment
    sends = [raw for raw in bodies for _ in range(3)]

    def post(raw: bytes) -> int:
        return live.http.post(live.webhook, content=raw, headers=signed(live.brand.webhook_secret, raw)).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        statuses = Counter(pool.map(post, sends))
    # every copy is acknowledged (a repeat is a success for the network: it must stop resending)
    assert statuses == {200: 3 * N}, statuses

    deadline = started + 90
    db = live.runtime.db
    while True:
        with db.transaction() as session:
            pending = session.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.status == RawEventStatus.PENDING))
        if pending == 0:
            break
        assert time.monotonic() < deadline, f"{pending} raw events still pending"
        time.sleep(0.2)

    with db.transaction() as session:
        events = session.execute(select(RawEvent.event_key, RawEvent.status)).all()
        inbound = session.scalars(select(Message.platform_message_id).where(Message.direction == "inbound")).all()
    assert len(events) == N and len({key for key, _ in events}) == N
    assert {status for _, status in events} == {RawEventStatus.PROCESSED}
    assert len(inbound) == N
    assert sorted(str(i) for i in inbound) == sorted(f"m-storm-{n}" for n in range(N))
