"""Routing rules as pure functions: which team a new case goes to (first matching rule wins)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONDITION_KEYS = ("channel_account_ids", "networks", "languages", "intents", "topics", "keywords", "min_priority")


@dataclass(frozen=True)
class CaseFacts:
    """What a rule may look at."""

    channel_account_id: int | None = None
    network: str | None = None
    language: str | None = None
    intent: str | None = None
    topics: frozenset[str] = field(default_factory=frozenset)
    priority: int | None = None
    text: str = ""

    @classmethod
    def from_triage(
        cls, *, channel_account_id: int | None, network: str | None, triage: Mapping[str, Any], text: str,
        language: str | None = None, priority: int | None = None,
    ) -> CaseFacts:
        topics = triage.get("topics") or triage.get("topic") or ()
        if isinstance(topics, str):
            topics = [topics]
        intent = triage.get("intent")
        return cls(
            channel_account_id=channel_account_id,
            network=network,
            language=language or triage.get("language"),
            intent=intent if isinstance(intent, str) else None,
            topics=frozenset(str(t).lower() for t in topics if t),
            priority=priority if priority is not None else _int(triage.get("priority")),
            text=text,
        )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _lower(values: Iterable[Any] | None) -> set[str]:
    return {str(v).strip().lower() for v in values or () if str(v).strip()}


def _keyword_hit(keywords: set[str], text: str) -> bool:
    lowered = text.lower()
    return any(re.search(r"(?<!\w)" + re.escape(k) + r"(?!\w)", lowered) for k in keywords)


def matches(conditions: Mapping[str, Any], facts: CaseFacts) -> bool:
    """Every condition given must hold; an absent or empty one matches anything."""
    ids = {int(i) for i in conditions.get("channel_account_ids") or ()}
    if ids and facts.channel_account_id not in ids:
        return False
    for key, value in (("networks", facts.network), ("languages", facts.language), ("intents", facts.intent)):
        wanted = _lower(conditions.get(key))
        if wanted and (value is None or value.lower() not in wanted):
            return False
    topics = _lower(conditions.get("topics"))
    if topics and not topics & facts.topics:
        return False
    keywords = _lower(conditions.get("keywords"))
    if keywords and not _keyword_hit(keywords, facts.text):
        return False
    min_priority = conditions.get("min_priority")
    return min_priority is None or (facts.priority is not None and facts.priority >= int(min_priority))


def first_match(rules: Sequence[tuple[Mapping[str, Any], int]], facts: CaseFacts) -> int | None:
    """``rules`` are ``(conditions, team_id)`` in order; returns the team of the first that matches."""
    for conditions, team_id in rules:
        if matches(conditions, facts):
            return team_id
    return None


def clean_conditions(raw: Mapping[str, str]) -> dict[str, Any]:
    """Conditions from an admin form (comma-separated lists); unknown keys are dropped."""
    out: dict[str, Any] = {}
    for key in CONDITION_KEYS:
        value = (raw.get(key) or "").strip()
        if not value:
            continue
        if key == "min_priority":
            out[key] = int(value)
        elif key == "channel_account_ids":
            out[key] = [int(v) for v in re.split(r"[,\s]+", value) if v]
        else:
            out[key] = sorted({v.strip().lower() for v in value.split(",") if v.strip()})
    return out
