"""The rules that say whether a resolution gets a survey: pure functions over the facts the actions gather.

Each refusal has a stable reason code (stored in ``Survey.skip_reason``, carried by
:class:`~compris.events.SurveySkipped`, shown translated on the case page). The same rules run when the survey is
scheduled and again when it is due (``recently_surveyed`` and ``window_closed`` may change in between).
"""

from __future__ import annotations

from dataclasses import dataclass

DISABLED = "disabled"
INTERNAL_ONLY = "internal_only"
SPAM = "spam"
NO_REPLY = "no_reply"
RECENTLY_SURVEYED = "recently_surveyed"
PUBLIC_ONLY = "public_only"
WINDOW_CLOSED = "window_closed"
NO_CHANNEL = "no_channel"
SEND_FAILED = "send_failed"

#: every reason code, with its English label (translated where shown)
REASONS: dict[str, str] = {
    DISABLED: "surveys are off",
    INTERNAL_ONLY: "no customer-facing message",
    SPAM: "spam",
    NO_REPLY: "no agent replied",
    RECENTLY_SURVEYED: "the customer was surveyed recently",
    PUBLIC_ONLY: "public conversation, and the network cannot message the customer privately",
    WINDOW_CLOSED: "the network's reply window has closed",
    NO_CHANNEL: "the channel account is gone or inactive",
    SEND_FAILED: "the survey could not be sent",
}


@dataclass(frozen=True)
class Facts:
    """What the rules look at, for one resolution of one case."""

    enabled: bool
    #: the case has a public or private message from the customer (not only notes)
    customer_facing: bool
    #: triage said spam (the case's intent)
    spam: bool
    #: an agent answered the customer (automatic messages do not count)
    agent_replied: bool
    #: the same contact got a survey within the quiet days
    recently_surveyed: bool
    #: the channel account exists and is active
    channel_ok: bool = True
    #: a private message can reach the customer (a private thread, or the network can start one)
    private_reachable: bool = True
    #: the network's reply window for that private message is open
    window_open: bool = True


def skip_reason(facts: Facts) -> str | None:
    """The first rule that says no, or None: the survey may go out."""
    if not facts.enabled:
        return DISABLED
    if not facts.customer_facing:
        return INTERNAL_ONLY
    if facts.spam:
        return SPAM
    if not facts.agent_replied:
        return NO_REPLY
    if facts.recently_surveyed:
        return RECENTLY_SURVEYED
    if not facts.channel_ok:
        return NO_CHANNEL
    if not facts.private_reachable:
        return PUBLIC_ONLY
    if not facts.window_open:
        return WINDOW_CLOSED
    return None


def is_spam(triage: dict[str, object] | None) -> bool:
    """Triage's word on the case: its intent, or a ``spam`` label among its labels."""
    data = triage or {}
    if data.get("intent") == SPAM:
        return True
    labels = data.get("labels")
    return isinstance(labels, list | tuple) and SPAM in labels
