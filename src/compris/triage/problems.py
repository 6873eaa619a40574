"""Does the customer report a problem? (issue 20: complaint and urgency never buried; the reply guard's empathy
rule applies to any customer who reported one, whatever the intent label.)

Shared contract: ``reported_problem(text)`` returns the kinds of failure the text reports (``not_received``,
``cancelled``, ``lost``, ``charged_twice``, ``no_answer``, ``delayed``, ``broken``...), empty when it reports
none. Used by the triage's fast path (``core``) and by the reply guard (``replies.guard.rules``).
"""

from __future__ import annotations

from compris.triage import rules

__all__ = ["reported_problem"]


def reported_problem(text: str) -> list[str]:
    """The kinds of failure ``text`` reports, most specific first; ``[]`` when it reports none."""
    return ["failure"] if rules.negative_event(text) else []
