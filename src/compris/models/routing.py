"""Teams, agents' routing profiles (capacity, skills, presence) and routing rules."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class Presence(enum.StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Team(WorkspaceScoped, Base):
    """A group of agents with its own time zone and weekly shifts.

    ``shifts`` is ``{"weekly": {"0": ["09:00-17:00"], ...}, "holidays": ["2026-12-25"],
    "exceptions": {"2026-12-24": ["09:00-12:00"]}}`` (Monday = 0, local wall-clock times in ``timezone``).
    """

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_default: Mapped[bool] = mapped_column(default=False)
    shifts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TeamMember(WorkspaceScoped, Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class AgentProfile(WorkspaceScoped, Base):
    """Per agent: how many active cases they take at once, their skills, and their presence.

    ``skills`` is ``{"languages": ["fr", "en"], "networks": ["x"]}``; an empty list means "any".
    An agent counts as online while ``presence`` is online and the UI's heartbeat is recent.
    """

    __tablename__ = "agent_profiles"
    __table_args__ = (UniqueConstraint("user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)
    presence: Mapped[str] = mapped_column(String(16), default=Presence.ONLINE)  # the agent's choice
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    last_assigned_at: Mapped[datetime | None] = mapped_column(default=None)


class RoutingRule(WorkspaceScoped, Base):
    """Sends a new case to ``team_id`` when every condition given matches (first rule by position wins).

    ``conditions``: ``channel_account_ids`` (ints), ``networks``, ``languages``, ``intents``, ``topics``,
    ``keywords`` (lists of strings; empty or absent = any), ``min_priority`` (int or absent).
    """

    __tablename__ = "routing_rules"

    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100), default="")
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
