"""The kinds of notification, the preference groups a user turns on or off, and each kind's sentence (an English
``msgid``, translated where it is shown)."""

from __future__ import annotations

from collections.abc import Callable

MENTION = "mention"
ASSIGNED = "assigned"
ESCALATION_ANSWERED = "escalation_answered"
SLA_AT_RISK = "sla_at_risk"
SLA_BREACHED = "sla_breached"
LOW_RATING = "low_rating"

KINDS: tuple[str, ...] = (MENTION, ASSIGNED, ESCALATION_ANSWERED, SLA_AT_RISK, SLA_BREACHED, LOW_RATING)

#: preference group -> the kinds it covers (a user mutes a group; the SLA's two kinds go together)
GROUPS: dict[str, tuple[str, ...]] = {
    "mention": (MENTION,),
    "assigned": (ASSIGNED,),
    "escalation_answered": (ESCALATION_ANSWERED,),
    "sla": (SLA_AT_RISK, SLA_BREACHED),
    "low_rating": (LOW_RATING,),
}

#: preference group -> its label on the preferences form
GROUP_LABELS: dict[str, str] = {
    "mention": "Someone mentions me in an internal note",
    "assigned": "A case is assigned to me",
    "escalation_answered": "A partner answers an escalation on my case",
    "sla": "The SLA of my case is at risk or breached",
    "low_rating": "A customer gives a low satisfaction rating (supervisors)",
}

#: kind -> its sentence (``%(n)s``: the case number; ``%(actor)s``, ``%(partner)s``, ``%(rating)s``); the SLA, partner
#: and rating ones are the top bar's toasts' own sentences (``base.html``), so the bell lists what the toasts announce
SENTENCES: dict[str, str] = {
    MENTION: "%(actor)s mentioned you on case #%(n)s",
    ASSIGNED: "Case #%(n)s was assigned to you",
    ESCALATION_ANSWERED: "Case #%(n)s: %(partner)s answered",
    SLA_AT_RISK: "Case #%(n)s: SLA at risk",
    SLA_BREACHED: "Case #%(n)s: SLA breached",
    LOW_RATING: "Case #%(n)s: the customer rated %(rating)s/5",
}

#: kind -> a short label (the browser notification's title, the list's filter)
SHORT: dict[str, str] = {
    MENTION: "Mention",
    ASSIGNED: "Assigned to you",
    ESCALATION_ANSWERED: "Partner answered",
    SLA_AT_RISK: "SLA at risk",
    SLA_BREACHED: "SLA breached",
    LOW_RATING: "Low rating",
}

#: an SLA breach's measure (``data["metric"]``) -> its label, shown under the sentence
METRICS: dict[str, str] = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


def group_of(kind: str) -> str:
    return next((group for group, kinds in GROUPS.items() if kind in kinds), kind)


def sentence(kind: str, values: dict[str, object], gettext: Callable[[str], str] = str) -> str:
    """A notification's sentence in plain text (``gettext``: the reader's language; the values are not escaped —
    a template escapes them itself)."""
    template = SENTENCES.get(kind)
    return gettext(template) % values if template else kind
