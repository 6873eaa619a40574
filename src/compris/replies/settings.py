"""The workspace's reply settings: tone-of-voice guide, guard settings, and which role may promise what.

Stored as one ``reply_settings`` row per workspace (created on first save; defaults until then). The guard
part is the JSON ``GuardSettings.from_mapping`` reads, validated here with clear errors before it is saved.
Pure (no database): read them with ``compris.replies.queries.workspace_reply_settings``, save them with
``compris.replies.actions.save_reply_settings``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compris.kit.errors import Invalid
from compris.models import ReplySettings, Role
from compris.replies.guard import DEFAULT_PROMISE_RULES, GuardSettings, rule_ids

#: the promises of the default promise rules; a role lacking one gets ``unauthorised_promise`` findings
PERMISSIONS: tuple[str, ...] = tuple(r.permission for r in DEFAULT_PROMISE_RULES)
DEFAULT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.AGENT: (),
    Role.SUPERVISOR: PERMISSIONS,
    Role.ADMIN: PERMISSIONS,
}
SEVERITY_CHOICES = ("default", "warning", "block", "off")


@dataclass(frozen=True)
class WorkspaceReplySettings:
    tone_guide: str
    guard_data: Mapping[str, Any]
    guard: GuardSettings
    permissions: Mapping[str, frozenset[str]]

    def permissions_for(self, role: str) -> frozenset[str]:
        return self.permissions.get(role, frozenset())

    def severity_choice(self, rule: str) -> str:
        """``default``, ``warning``, ``block`` or ``off`` (disabled), as the admin page shows it."""
        if rule in self.guard.disabled:
            return "off"
        return str(self.guard.severity.get(rule, "default"))


def merged_permissions(data: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    merged: dict[str, Sequence[str]] = {str(k): v for k, v in DEFAULT_PERMISSIONS.items()}
    for role, perms in (data or {}).items():
        merged[str(role)] = [str(p) for p in perms]
    return {role: frozenset(perms) for role, perms in merged.items()}


def settings_of(row: ReplySettings | None) -> WorkspaceReplySettings:
    """The workspace's reply settings from its row (``None``: not saved yet, the defaults)."""
    guard_data: Mapping[str, Any] = dict(row.guard) if row is not None else {}
    try:
        guard = GuardSettings.from_mapping(guard_data)
    except (ValueError, TypeError):  # saved by an older version: fall back rather than break the reply box
        guard = GuardSettings()
    return WorkspaceReplySettings(
        tone_guide=row.tone_guide if row is not None else "",
        guard_data=guard_data,
        guard=guard,
        permissions=merged_permissions(row.permissions if row is not None else None),
    )


def normalised_guard(data: Mapping[str, Any]) -> dict[str, Any]:
    """The guard JSON as stored: a word with a replacement is a word to avoid (the guard only proposes a replacement
    for a word it flags), so such a word joins ``words_to_avoid`` instead of being kept where nothing uses it and
    the admin page (one ``word => replacement`` line per word to avoid) could not show it."""
    guard = dict(data)
    replacements = guard.get("word_replacements")
    if isinstance(replacements, Mapping) and replacements:
        avoid = [str(w) for w in guard.get("words_to_avoid", ()) or ()]
        known = {w.casefold() for w in avoid}
        avoid += [str(w) for w in replacements if str(w).casefold() not in known]
        guard["words_to_avoid"] = avoid
    return guard


def validate_guard(data: Mapping[str, Any]) -> GuardSettings:
    """``GuardSettings.from_mapping`` plus the checks it leaves out; ``Invalid`` with a readable reason."""
    known = set(rule_ids())
    for key in ("severity", "disabled"):
        unknown = sorted(set(data.get(key, ()) or ()) - known)
        if unknown:
            raise Invalid(f"unknown guard rules: {', '.join(unknown)}")
    pattern = data.get("signoff_pattern")
    if pattern:
        try:
            re.compile(str(pattern).replace("{agent_initials}", "AB"))
        except re.error as exc:
            raise Invalid(f"the sign-off pattern is not a valid regular expression: {exc}") from None
    for word in data.get("words_to_avoid", ()) or ():
        if not str(word).strip() or len(str(word)) > 60:
            raise Invalid("each word to avoid must be 1 to 60 characters")
    try:
        return GuardSettings.from_mapping(data)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"invalid guard settings: {exc}") from None


def guard_data_from_form(
    *,
    words: str,
    signoff_required: bool,
    signoffs: str,
    signoff_pattern: str,
    address_form: str,
    emoji_allowed: bool,
    severities: Mapping[str, str],
) -> dict[str, Any]:
    """The guard JSON from the admin form: ``word`` or ``word => replacement`` per line, one sign-off a line."""
    avoid: list[str] = []
    replacements: dict[str, str] = {}
    for line in words.splitlines():
        word, sep, replacement = line.partition("=>")
        word = word.strip()
        if not word:
            continue
        avoid.append(word)
        if sep and replacement.strip():
            replacements[word] = replacement.strip()
    data: dict[str, Any] = {
        "words_to_avoid": avoid,
        "word_replacements": replacements,
        "signoff_required": signoff_required,
        "signoffs": [s.strip() for s in signoffs.splitlines() if s.strip()],
        "emoji_allowed": emoji_allowed,
        "severity": {},
        "disabled": [],
    }
    if signoff_pattern.strip():
        data["signoff_pattern"] = signoff_pattern.strip()
    if address_form in ("vous", "tu"):
        data["address_form"] = address_form
    elif address_form:
        raise Invalid("the form of address is vous, tu or none")
    for rule, choice in severities.items():
        if choice in ("warning", "block"):
            data["severity"][rule] = choice
        elif choice == "off":
            data["disabled"].append(rule)
        elif choice != "default":
            raise Invalid(f"bad severity for {rule}: {choice}")
    return data
