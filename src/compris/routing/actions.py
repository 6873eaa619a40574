"""Every administrative write of routing: teams (with their shifts and members), routing rules, agent profiles.

The admin page (``web/pages/routing.py``) and the JSON API (``web/api/routing.py``) both call these. Each function
checks its untrusted input (``Invalid`` / ``NotFound`` / ``Conflict``, never a database error), writes, records a
``settings_changed`` row in the workspace's audit log and emits :class:`compris.events.SettingsChanged`. None
commits: the caller's transaction does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import audit
from compris.connectors import registry
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import AgentProfile, RoutingRule, Team, TeamMember, User
from compris.routing import shifts
from compris.routing.assignment import profile_for
from compris.routing.rules import CONDITION_KEYS

NAME_MAX = 100
CAPACITY_MAX = 1000
LIST_CONDITIONS = ("networks", "languages", "intents", "topics", "keywords")


def record_change(session: Session, publisher: Publisher, *, actor: User, entity: str, action: str,
                  entity_id: int | None, changes: Iterable[str] = ()) -> None:
    """The audit row and the domain event of one of the admin's writes (:func:`compris.audit.record`)."""
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=entity,
                 action=action, entity_id=entity_id, changes=changes)


# --- checks shared with the SLA's calendars ----------------------------------------------------------------


def check_timezone(name: str) -> str:
    """An IANA time zone name (``Europe/Paris``), else ``Invalid``."""
    name = name.strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {name!r}") from exc
    return name


def check_name(value: str, what: str) -> str:
    name = value.strip()
    if not name:
        raise Invalid(f"{what} needs a name")
    if len(name) > NAME_MAX:
        raise Invalid(f"a name has at most {NAME_MAX} characters")
    return name


# --- teams -------------------------------------------------------------------------------------------------


def get_team(session: Session, workspace_id: int, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.workspace_id != workspace_id:
        raise NotFound("no such team")
    return team


def _unique_team_name(session: Session, workspace_id: int, name: str, team_id: int | None) -> None:
    query = select(Team.id).where(Team.workspace_id == workspace_id, func.lower(Team.name) == name.lower())
    if team_id is not None:
        query = query.where(Team.id != team_id)
    if session.scalar(query) is not None:
        raise Conflict("another team has this name")


def _only_default(session: Session, team: Team) -> None:
    """One default team per workspace."""
    if team.is_default:
        for other in session.scalars(select(Team).where(Team.workspace_id == team.workspace_id,
                                                        Team.id != team.id, Team.is_default.is_(True))):
            other.is_default = False


def create_team(session: Session, publisher: Publisher, *, actor: User, name: str, timezone: str = "UTC",
                is_default: bool = False, shift_lines: str = "") -> Team:
    """A team; ``shift_lines`` in the format of :mod:`compris.routing.shifts` (``mon-fri 09:00-17:00``...)."""
    name = check_name(name, "a team")
    tz = check_timezone(timezone)
    parsed = shifts.parse(shift_lines)
    _unique_team_name(session, actor.workspace_id, name, None)
    team = Team(workspace_id=actor.workspace_id, name=name, timezone=tz, shifts=parsed, is_default=is_default)
    session.add(team)
    session.flush()
    _only_default(session, team)
    record_change(session, publisher, actor=actor, entity="team", action="created", entity_id=team.id,
                  changes=["name", "timezone", "shifts", "is_default"])
    return team


def update_team(session: Session, publisher: Publisher, *, actor: User, team_id: int, name: str | None = None,
                timezone: str | None = None, is_default: bool | None = None, shift_lines: str | None = None) -> Team:
    """Change what is given (``None``: unchanged)."""
    team = get_team(session, actor.workspace_id, team_id)
    changes: list[str] = []
    if name is not None:
        name = check_name(name, "a team")
        if name != team.name:
            _unique_team_name(session, actor.workspace_id, name, team.id)
            team.name = name
            changes.append("name")
    if timezone is not None:
        tz = check_timezone(timezone)
        if tz != team.timezone:
            team.timezone = tz
            changes.append("timezone")
    if shift_lines is not None:
        parsed = shifts.parse(shift_lines)
        if parsed != (team.shifts or {}):
            team.shifts = parsed
            changes.append("shifts")
    if is_default is not None and is_default != team.is_default:
        team.is_default = is_default
        changes.append("is_default")
        _only_default(session, team)
    session.flush()
    record_change(session, publisher, actor=actor, entity="team", action="updated", entity_id=team.id,
                  changes=changes)
    return team


def delete_team(session: Session, publisher: Publisher, *, actor: User, team_id: int) -> None:
    """The team, its members and its rules (cases keep their history; their team becomes none)."""
    team = get_team(session, actor.workspace_id, team_id)
    session.delete(team)
    session.flush()
    record_change(session, publisher, actor=actor, entity="team", action="deleted", entity_id=team_id)


def _agent(session: Session, workspace_id: int, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id:
        raise NotFound("no such agent")
    return user


def add_member(session: Session, publisher: Publisher, *, actor: User, team_id: int, user_id: int) -> bool:
    """Put an agent in a team; ``False`` when they already were (nothing written)."""
    team = get_team(session, actor.workspace_id, team_id)
    user = _agent(session, actor.workspace_id, user_id)
    exists = session.scalar(select(TeamMember.id).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id))
    if exists is not None:
        return False
    session.add(TeamMember(workspace_id=team.workspace_id, team_id=team.id, user_id=user.id))
    session.flush()
    record_change(session, publisher, actor=actor, entity="team_member", action="added", entity_id=team.id,
                  changes=[f"user {user.id}"])
    return True


def remove_member(session: Session, publisher: Publisher, *, actor: User, team_id: int, user_id: int) -> bool:
    """Take an agent out of a team; ``False`` when they were not in it (nothing written)."""
    team = get_team(session, actor.workspace_id, team_id)
    user = _agent(session, actor.workspace_id, user_id)
    member = session.scalar(select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id))
    if member is None:
        return False
    session.delete(member)
    session.flush()
    record_change(session, publisher, actor=actor, entity="team_member", action="removed", entity_id=team.id,
                  changes=[f"user {user.id}"])
    return True


# --- agent profiles ----------------------------------------------------------------------------------------


def _skill_list(value: str | Sequence[str] | None, what: str) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    out = sorted({str(v).strip().lower() for v in items if str(v).strip()})
    if any(len(v) > 40 for v in out):
        raise Invalid(f"{what}: each value has at most 40 characters")
    return out


def _network_list(value: str | Sequence[str] | None, what: str) -> list[str] | None:
    """Network names as the connectors know them (an alias such as ``twitter`` becomes ``x``); an unknown one is
    refused with the known ones, rather than stored where it could never match."""
    words = _skill_list(value, what)
    if words is None:
        return None
    out = []
    for word in words:
        try:
            out.append(registry.find(word).network)
        except registry.UnknownNetwork:
            known = ", ".join(sorted(registry.connectors()))
            raise Invalid(f"{what}: unknown network {word!r} (known: {known})") from None
    return sorted(set(out))


def update_agent(session: Session, publisher: Publisher, *, actor: User, user_id: int, capacity: int | None = None,
                 languages: str | Sequence[str] | None = None,
                 networks: str | Sequence[str] | None = None) -> AgentProfile:
    """An agent's capacity (0-1000 active cases) and skills (languages, networks; empty = any). Lists may be given
    comma-separated."""
    user = _agent(session, actor.workspace_id, user_id)
    if capacity is not None and not 0 <= capacity <= CAPACITY_MAX:
        raise Invalid(f"capacity is 0 to {CAPACITY_MAX}")
    langs = _skill_list(languages, "languages")
    nets = _network_list(networks, "networks")
    profile = profile_for(session, user)
    changes: list[str] = []
    if capacity is not None and capacity != profile.capacity:
        profile.capacity = capacity
        changes.append("capacity")
    skills = dict(profile.skills or {})
    for key, value in (("languages", langs), ("networks", nets)):
        if value is not None and value != skills.get(key, []):
            skills[key] = value
            changes.append(key)
    for key in ("languages", "networks"):
        skills.setdefault(key, [])
    if skills != (profile.skills or {}):
        profile.skills = skills
    session.flush()
    record_change(session, publisher, actor=actor, entity="agent_profile", action="updated", entity_id=user.id,
                  changes=changes)
    return profile


# --- routing rules -----------------------------------------------------------------------------------------


def get_rule(session: Session, workspace_id: int, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None or rule.workspace_id != workspace_id:
        raise NotFound("no such routing rule")
    return rule


def _ints(value: Any, what: str) -> list[int]:
    items = re.split(r"[,\s]+", value.strip()) if isinstance(value, str) else list(value or [])
    out: list[int] = []
    for item in items:
        if item in ("", None):
            continue
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).lstrip("-").isdigit():
            raise Invalid(f"{what}: numbers only")
        out.append(int(item))
    return out


def check_conditions(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's conditions from a form (comma-separated text) or from JSON (lists); empty values are dropped,
    unknown keys refused. The stored shape is the one :func:`compris.routing.rules.matches` reads."""
    unknown = sorted(set(raw) - set(CONDITION_KEYS))
    if unknown:
        raise Invalid(f"unknown conditions: {', '.join(unknown)} (known: {', '.join(CONDITION_KEYS)})")
    out: dict[str, Any] = {}
    for key in CONDITION_KEYS:
        value = raw.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "min_priority":
            if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
                raise Invalid("min_priority: a number")
            out[key] = int(str(value).strip())
        elif key == "channel_account_ids":
            ids = _ints(value, "channel_account_ids")
            if ids:
                out[key] = ids
        else:
            if not isinstance(value, str | list | tuple) or any(not isinstance(v, str) for v in
                                                                 (value if not isinstance(value, str) else [])):
                raise Invalid(f"{key}: a list of words")
            words = _network_list(value, key) if key == "networks" else _skill_list(value, key)
            if words:
                out[key] = words
    return out


def _position(value: int | str | None) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise Invalid("the position is a number")
    return int(text)


def create_rule(session: Session, publisher: Publisher, *, actor: User, team_id: int, name: str = "",
                position: int | str | None = 0, conditions: Mapping[str, Any] | None = None) -> RoutingRule:
    """A rule sending new cases that match every condition to ``team_id`` (lowest position first)."""
    team = get_team(session, actor.workspace_id, team_id)
    cleaned = check_conditions(conditions or {})
    if len(name.strip()) > NAME_MAX:
        raise Invalid(f"a name has at most {NAME_MAX} characters")
    rule = RoutingRule(workspace_id=actor.workspace_id, team_id=team.id, position=_position(position),
                       name=name.strip(), conditions=cleaned)
    session.add(rule)
    session.flush()
    record_change(session, publisher, actor=actor, entity="routing_rule", action="created", entity_id=rule.id,
                  changes=["team_id", "name", "position", *cleaned])
    return rule


def update_rule(session: Session, publisher: Publisher, *, actor: User, rule_id: int, team_id: int | None = None,
                name: str | None = None, position: int | str | None = None,
                conditions: Mapping[str, Any] | None = None, is_active: bool | None = None) -> RoutingRule:
    """Change what is given (``None``: unchanged; ``conditions`` replaces them all)."""
    rule = get_rule(session, actor.workspace_id, rule_id)
    changes: list[str] = []
    if team_id is not None and team_id != rule.team_id:
        rule.team_id = get_team(session, actor.workspace_id, team_id).id
        changes.append("team_id")
    if name is not None:
        if len(name.strip()) > NAME_MAX:
            raise Invalid(f"a name has at most {NAME_MAX} characters")
        if name.strip() != rule.name:
            rule.name = name.strip()
            changes.append("name")
    if position is not None and _position(position) != rule.position:
        rule.position = _position(position)
        changes.append("position")
    if conditions is not None:
        cleaned = check_conditions(conditions)
        if cleaned != (rule.conditions or {}):
            changes += sorted(k for k in set(cleaned) | set(rule.conditions or {})
                              if cleaned.get(k) != (rule.conditions or {}).get(k))
            rule.conditions = cleaned
    if is_active is not None and is_active != rule.is_active:
        rule.is_active = is_active
        changes.append("is_active")
    session.flush()
    record_change(session, publisher, actor=actor, entity="routing_rule", action="updated", entity_id=rule.id,
                  changes=changes)
    return rule


def delete_rule(session: Session, publisher: Publisher, *, actor: User, rule_id: int) -> None:
    rule = get_rule(session, actor.workspace_id, rule_id)
    session.delete(rule)
    session.flush()
    record_change(session, publisher, actor=actor, entity="routing_rule", action="deleted", entity_id=rule_id)
