"""The workspace's reply settings: tone-of-voice guide, guard settings, and which role may promise what.

Stored as one ``reply_settings`` row per workspace (created on first save; defaults until then). The guard
part is the JSON ``GuardSettings.from_mapping`` reads, validated here with clear errors before it is saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import SettingsChanged
from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.models import ReplySettings, Role, User
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


def _permissions(data: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    merged: dict[str, Sequence[str]] = {str(k): v for k, v in DEFAULT_PERMISSIONS.items()}
    for role, perms in (data or {}).items():
        merged[str(role)] = [str(p) for p in perms]
    return {role: frozenset(perms) for role, perms in merged.items()}


def load(session: Session, workspace_id: int) -> WorkspaceReplySettings:
    row = session.scalar(select(ReplySettings).where(ReplySettings.workspace_id == workspace_id))
    guard_data: Mapping[str, Any] = dict(row.guard) if row is not None else {}
    try:
        guard = GuardSettings.from_mapping(guard_data)
    except (ValueError, TypeError):  # saved by an older version: fall back rather than break the reply box
        guard = GuardSettings()
    return WorkspaceReplySettings(
        tone_guide=row.tone_guide if row is not None else "",
        guard_data=guard_data,
        guard=guard,
        permissions=_permissions(row.permissions if row is not None else None),
    )


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


def save(
    session: Session,
    *,
    actor: User,
    tone_guide: str,
    guard_data: Mapping[str, Any],
    permissions: Mapping[str, Sequence[str]],
    publisher: Publisher | None = None,
) -> ReplySettings:
    """Replace the workspace's reply settings; audited (``reply_settings_changed``) and announced
    (``SettingsChanged``, entity ``reply_settings``). ``publisher`` may be left out outside a web process."""
    if len(tone_guide) > 5000:
        raise Invalid("the tone-of-voice guide is limited to 5,000 characters")
    validate_guard(guard_data)
    perms: dict[str, list[str]] = {}
    for role, names in permissions.items():
        if role not in {r.value for r in Role}:
            raise Invalid(f"unknown role {role!r}")
        unknown = sorted(set(names) - set(PERMISSIONS))
        if unknown:
            raise Invalid(f"unknown permissions: {', '.join(unknown)}")
        perms[role] = sorted(set(names))
    row = session.scalar(
        select(ReplySettings).where(ReplySettings.workspace_id == actor.workspace_id).with_for_update()
    )
    if row is None:
        row = ReplySettings(workspace_id=actor.workspace_id)
        session.add(row)
    new: dict[str, Any] = {"tone_guide": tone_guide.strip(), "guard": dict(guard_data), "permissions": perms}
    changes = [key for key, value in new.items() if getattr(row, key, None) != value]
    for key, value in new.items():
        setattr(row, key, value)
    row.updated_by_id = actor.id
    session.flush()
    timeline.reply_settings_changed(session, workspace_id=actor.workspace_id, actor_user_id=actor.id)
    bus.emit(session, publisher or Publisher.outside_server(session), SettingsChanged(
        workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="reply_settings", action="updated",
        entity_id=row.id, changes=tuple(sorted(changes))))
    return row


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
