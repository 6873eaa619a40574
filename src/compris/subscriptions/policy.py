"""How hard Compris tries to deliver an event, and when it gives up on a receiver (pure: no database).

* An event is POSTed at once, then again after 1 min, 5 min, 30 min, 1 h, 3 h, 6 h and 12 h (about 23 hours in all,
  each delay with up to 10 % of jitter): ``MAX_ATTEMPTS`` = 8. Every attempt sends the same body and the same
  ``Compris-Event-Id``; only the signature's timestamp is new.
* 2xx: delivered. 410 Gone: the receiver asked to stop, the subscription is disabled at once. Anything else (another
  status, a redirect, a timeout, a refused connection) is a failed attempt.
* A delivery that used its 8 attempts has failed for good. ``DISABLE_AFTER`` = 5 deliveries failed for good in a
  row (no success between them: at least about a day of failures) disable the subscription, with an audit row.
* A test event ("ping") is tried once and counts toward neither.
* Settled deliveries (delivered or failed) are kept ``RETENTION_DAYS`` = 30 days, for the admin page and
  redelivery, then deleted by the hourly ``subscriptions.purge`` job.
"""

from __future__ import annotations

import random

#: seconds to wait after the n-th failed attempt (n = 1..7)
RETRY_DELAYS: tuple[int, ...] = (60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DISABLE_AFTER = 5
TIMEOUT_SECONDS = 10.0
ERROR_MAX = 500
RETENTION_DAYS = 30  # characters of the last error kept on a delivery


def retry_delay(attempts: int, *, jitter: float = 0.1) -> float | None:
    """Seconds before the next attempt after ``attempts`` failed ones, or None when there is no next one."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts - 1]
    return float(base + random.uniform(0, base * jitter))


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def gone(status: int | None) -> bool:
    return status == 410
