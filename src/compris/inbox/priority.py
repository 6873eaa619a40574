"""A case's priority: its most urgent open need, raised by the time the customer has waited, with its reasons.

A case used to take the priority of its latest message, so it *fell* as the customer chased ("répondez vite svp"
after a cancellation took it from 32 to 22). Now:

* a **need** is a customer message (public or private) that no answer has followed yet: an agent's reply (or a
  bulk reply, or a reply the brand posted from the network's own app) sent after it. Automatic messages (the
  expected-wait acknowledgement, a survey) answer nothing;
* the case's priority is the **highest triage score among its open needs** (a chaser never lowers it), plus
  **waiting points**: ``WAIT_POINTS_PER_HOUR`` per hour since the oldest open need arrived, at most
  ``WAIT_POINTS_CAP`` (reached after four hours), so a case left waiting climbs gradually but a long wait can't
  outrank a real emergency on its own; spam stays at 5 at most;
* once every need is answered the priority is 0 (nothing waits for the team) until the customer writes again;
* an incident's crisis raise (``compris.listening``) is added on top of this base.

:func:`case_priority` is pure (the needs and the time in, the score and its reasons out); ``inbox.actions``
applies it on each customer message, each answer sent, a triage change, a merge, and every few minutes for the
waiting time (``inbox.priority.refresh`` job).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["WAIT_POINTS_CAP", "WAIT_POINTS_PER_HOUR", "CasePriority", "Need", "case_priority", "waiting_points"]

#: waiting points per hour the oldest open need has waited
WAIT_POINTS_PER_HOUR = 5.0
#: at most this many waiting points (four hours)
WAIT_POINTS_CAP = 20.0
#: a wait shorter than this is not given as a reason
WAIT_SHOWN_FROM = timedelta(minutes=15)
SPAM_CAP = 5


@dataclass(frozen=True)
class Need:
    """One customer message still open: when it arrived, its triage score (0-100, without waiting) and reasons."""

    message_id: int
    at: datetime
    score: int
    reasons: Sequence[str] = ()
    intent: str | None = None


@dataclass(frozen=True)
class CasePriority:
    score: int  # base + crisis raise
    base: int  # the most urgent need + the waiting points (0 when nothing is open)
    need: int  # the most urgent need's own score
    waiting: int  # the waiting points
    message_id: int | None  # the most urgent open message
    awaiting_since: datetime | None  # the oldest open need's arrival
    reasons: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """What ``Case.priority_info`` keeps."""
        return {"base": self.base, "need": self.need, "waiting": self.waiting, "message_id": self.message_id,
                "reasons": list(self.reasons)}


def waiting_points(waited: timedelta) -> float:
    """``WAIT_POINTS_PER_HOUR`` per hour waited, capped at ``WAIT_POINTS_CAP``; never negative."""
    hours = max(0.0, waited.total_seconds() / 3600)
    return min(WAIT_POINTS_CAP, hours * WAIT_POINTS_PER_HOUR)


def waiting_reason(waited: timedelta) -> str:
    """``waiting 25 min``, ``waiting 3 h``, ``waiting 2 days`` (the words the pages translate)."""
    minutes = waited.total_seconds() / 60
    if minutes < 90:
        return f"waiting {int(minutes)} min"
    if minutes < 48 * 60:
        return f"waiting {round(minutes / 60)} h"
    return f"waiting {round(minutes / 1440)} days"


def case_priority(needs: Iterable[Need], at: datetime, *, crisis_raise: int = 0) -> CasePriority:
    """The case's priority at ``at`` from its open needs (customer messages not answered yet)."""
    open_needs = list(needs)
    if not open_needs:
        return CasePriority(score=max(0, crisis_raise), base=0, need=0, waiting=0, message_id=None,
                            awaiting_since=None, reasons=[])
    # the most urgent need; between equals, the earliest (it has waited longest)
    top = max(open_needs, key=lambda n: (n.score, -n.at.timestamp(), -n.message_id))
    oldest = min(n.at for n in open_needs)
    waited = max(timedelta(0), at - oldest)
    points = round(waiting_points(waited))
    reasons = [r for r in top.reasons if not str(r).startswith("waiting ")]
    if top.intent == "spam":
        points = 0
        base = min(top.score, SPAM_CAP)
    else:
        base = max(0, min(100, top.score + points))
    if waited >= WAIT_SHOWN_FROM and top.intent != "spam":
        reasons.append(waiting_reason(waited))
    return CasePriority(score=base + max(0, crisis_raise), base=base, need=top.score, waiting=points,
                        message_id=top.message_id, awaiting_since=oldest, reasons=reasons)
