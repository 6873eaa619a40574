"""API shapes of routing: teams, agents and routing rules.

Bodies for creation list every field (with defaults); bodies for changes (``...Patch``) hold only what changes: a
field left out is unchanged. Shifts are text, one rule a line, as on the admin pages::

    mon-fri 09:00-17:00
    sun 22:00-06:00
    holiday 2026-12-25
    exception 2026-12-24 09:00-12:00
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.kit.schemas import SHIFTS_HELP, ZONE_HELP, Schema

# --- teams and agents -------------------------------------------------------------------------------------


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=100, examples=["Care"])
    timezone: str = Field(default="UTC", max_length=64, description=ZONE_HELP, examples=["Europe/Paris"])
    is_default: bool = Field(default=False, description="The team of cases no rule matches (one per workspace: "
                             "setting it unsets the previous default).")
    shifts: str = Field(default="", max_length=5000, description="When the team works, in its time zone. "
                        + SHIFTS_HELP, examples=["mon-fri 09:00-17:00\nholiday 2026-12-25"])


class TeamPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["Care"])
    timezone: str | None = Field(default=None, max_length=64, description=ZONE_HELP, examples=["Europe/Paris"])
    is_default: bool | None = Field(default=None, description="The team of cases no rule matches.")
    shifts: str | None = Field(default=None, max_length=5000, description=SHIFTS_HELP,
                               examples=["mon-fri 09:00-17:00"])


class TeamOut(Schema):
    id: int = Field(examples=[4])
    name: str = Field(examples=["Care"])
    timezone: str = Field(examples=["Europe/Paris"])
    is_default: bool
    shifts: str = Field(description="When the team works, one rule a line.", examples=["mon-fri 09:00-17:00"])
    member_ids: list[int] = Field(description="The users in the team.", examples=[[7, 9]])


class TeamList(Schema):
    items: list[TeamOut]


class AgentOut(Schema):
    """A user as routing sees them: how many active cases they take, their skills, their presence."""

    user_id: int = Field(examples=[7])
    name: str = Field(examples=["Camille Martin"])
    role: Literal["admin", "supervisor", "agent", "analyst"]
    capacity: int = Field(description="Active cases at once.", examples=[5])
    languages: list[str] = Field(description="Languages they answer in (empty: any).", examples=[["en", "fr"]])
    networks: list[str] = Field(description="Networks they answer on (empty: any).", examples=[["x"]])
    presence: Literal["online", "away", "offline"]
    online: bool = Field(description="Online and with a live page open recently.")


class AgentList(Schema):
    items: list[AgentOut]


class AgentPatch(Schema):
    capacity: int | None = Field(default=None, ge=0, le=1000, examples=[7])
    languages: list[str] | None = Field(default=None, max_length=50, examples=[["fr", "en"]])
    networks: list[str] | None = Field(default=None, max_length=50, examples=[["x"]])


# --- routing rules ----------------------------------------------------------------------------------------


class RuleConditions(Schema):
    """Every condition given must match (empty lists and null match anything)."""

    channel_account_ids: list[int] = Field(default_factory=list, description="See `GET /channels`.")
    networks: list[str] = Field(default_factory=list, examples=[["x", "facebook"]])
    languages: list[str] = Field(default_factory=list, examples=[["fr"]])
    intents: list[str] = Field(default_factory=list, examples=[["complaint"]])
    topics: list[str] = Field(default_factory=list, examples=[["baggage"]])
    keywords: list[str] = Field(default_factory=list, description="Any of these words in the first message.",
                                examples=[["valise", "bagage"]])
    min_priority: int | None = Field(default=None, description="At least this priority.", examples=[40])


class RuleIn(Schema):
    team_id: int = Field(description="Where matching cases go.", examples=[4])
    name: str = Field(default="", max_length=100, examples=["French speakers"])
    position: int = Field(default=0, description="Rules are tried by position, lowest first.", examples=[1])
    conditions: RuleConditions = Field(default_factory=RuleConditions)


class RulePatch(Schema):
    team_id: int | None = Field(default=None, examples=[4])
    name: str | None = Field(default=None, max_length=100, examples=["French speakers"])
    position: int | None = Field(default=None, examples=[1])
    conditions: RuleConditions | None = Field(default=None, description="Replaces every condition.")
    is_active: bool | None = None


class RuleOut(Schema):
    id: int = Field(examples=[12])
    team_id: int = Field(examples=[4])
    name: str = Field(examples=["French speakers"])
    position: int = Field(examples=[1])
    conditions: RuleConditions
    is_active: bool


class RuleList(Schema):
    items: list[RuleOut] = Field(description="In the order they are tried.")

