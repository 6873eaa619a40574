"""Request and response bodies of the administration API: teams, agents, routing rules, SLA settings, templates.

Bodies for creation list every field (with defaults); bodies for changes (``...Patch``) hold only what changes: a
field left out is unchanged. Shifts and business hours are text, one rule a line, as on the admin pages::

    mon-fri 09:00-17:00
    sun 22:00-06:00
    holiday 2026-12-25
    exception 2026-12-24 09:00-12:00
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from compris.web.api.schemas import Schema, Timestamp

SHIFTS_HELP = ("One rule a line: `mon-fri 09:00-17:00`, `sun 22:00-06:00` (past midnight), `daily 00:00-00:00` "
               "(24 h), `holiday 2026-12-25`, `exception 2026-12-24 09:00-12:00` (or `closed`).")
ZONE_HELP = "An IANA time zone."


# --- teams and agents --------------------------------------------------------------------------------------


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
    role: Literal["admin", "supervisor", "agent"]
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


# --- routing rules -----------------------------------------------------------------------------------------


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


# --- SLA -----------------------------------------------------------------------------------------------------


class BusinessHoursIn(Schema):
    name: str = Field(min_length=1, max_length=100, examples=["Office"])
    timezone: str = Field(default="UTC", max_length=64, description=ZONE_HELP, examples=["Europe/Paris"])
    hours: str = Field(default="", max_length=5000, description=SHIFTS_HELP, examples=["mon-fri 09:00-17:00"])


class BusinessHoursPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["Office"])
    timezone: str | None = Field(default=None, max_length=64, description=ZONE_HELP, examples=["Europe/Paris"])
    hours: str | None = Field(default=None, max_length=5000, description=SHIFTS_HELP,
                              examples=["mon-fri 09:00-17:00"])


class BusinessHoursOut(Schema):
    id: int = Field(examples=[2])
    name: str = Field(examples=["Office"])
    timezone: str = Field(examples=["Europe/Paris"])
    hours: str = Field(description="One rule a line.", examples=["mon-fri 09:00-17:00"])


class BusinessHoursList(Schema):
    items: list[BusinessHoursOut]


class PolicyIn(Schema):
    """Targets in seconds; null: not tracked."""

    name: str = Field(min_length=1, max_length=100, examples=["Complaints on X"])
    position: int = Field(default=0, description="Policies are tried by position, lowest first; the first that "
                          "matches a case sets its targets.", examples=[0])
    networks: list[str] = Field(default_factory=list, description="Empty: any.", examples=[["x"]])
    intents: list[str] = Field(default_factory=list, description="Empty: any.", examples=[["complaint"]])
    channel_account_ids: list[int] = Field(default_factory=list, description="Empty: any.")
    min_priority: int | None = Field(default=None, ge=0, examples=[None])
    first_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[600])
    next_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[None])
    resolution_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[86400])
    warn_before_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, description="How long "
                                            "before a deadline the case is \"at risk\" (default: a fifth of the "
                                            "first-response target).", examples=[120])
    business_hours_id: int | None = Field(default=None, description="Count time in these business hours "
                                          "(null: around the clock).", examples=[None])


class PolicyPatch(Schema):
    """Only the fields given change; null for a target stops tracking it, for the business hours counts time
    around the clock."""

    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["Complaints on X"])
    position: int | None = Field(default=None, examples=[0])
    networks: list[str] | None = Field(default=None, examples=[["x"]])
    intents: list[str] | None = Field(default=None, examples=[["complaint"]])
    channel_account_ids: list[int] | None = None
    min_priority: int | None = Field(default=None, ge=0)
    first_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[600])
    next_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    resolution_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    warn_before_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    business_hours_id: int | None = None
    is_active: bool | None = None


class PolicyOut(Schema):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Complaints on X"])
    position: int
    networks: list[str]
    intents: list[str]
    channel_account_ids: list[int]
    min_priority: int | None
    first_response_seconds: int | None = Field(examples=[600])
    next_response_seconds: int | None = Field(examples=[None])
    resolution_seconds: int | None = Field(examples=[86400])
    warn_before_seconds: int = Field(examples=[120])
    business_hours_id: int | None
    is_active: bool


class PolicyList(Schema):
    items: list[PolicyOut] = Field(description="In the order they are tried.")


class SlaSettingsOut(Schema):
    webhook_url: str = Field(description="Where breach alerts are POSTed (empty: nowhere).",
                             examples=["https://hooks.example.com/sla"])
    alert_at_risk: bool = Field(description="Alert when a case becomes \"at risk\", not only on a breach.")


class SlaSettingsPatch(Schema):
    webhook_url: str | None = Field(default=None, max_length=2000, description="An https:// or http:// URL, or "
                                    "empty for no alerts.", examples=["https://hooks.example.com/sla"])
    alert_at_risk: bool | None = None


# --- reply templates -----------------------------------------------------------------------------------------

Purpose = Literal["reply", "move_to_private"]


class TemplateIn(Schema):
    name: str = Field(min_length=1, max_length=200, examples=["Apology and follow-up"])
    bodies: dict[Literal["en", "fr"], str] = Field(
        description="The text per language, with variables in braces (`{first_name}`, `{agent_first_name}`, "
        "`{case_ref}`, `{wait_time}`...).", examples=[{"en": "Hi {first_name}, I'm sorry about this."}])
    shortcut: str = Field(default="", max_length=32, description="Typed as `/shortcut` in the reply box.",
                          examples=["sorry"])
    team: str | None = Field(default=None, max_length=64, description="Offered to this team only (null: all).")
    purpose: Purpose = Field(default="reply", description="`reply`, or `move_to_private` (the public answer "
                             "when a conversation moves to private messages).")


class TemplatePatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    bodies: dict[Literal["en", "fr"], str] | None = Field(default=None, description="Replaces every body.")
    shortcut: str | None = Field(default=None, max_length=32)
    team: str | None = Field(default=None, max_length=64, description="Empty string: every team.")
    purpose: Purpose | None = None
    is_active: bool | None = None


class TemplateOut(Schema):
    id: int = Field(examples=[5])
    name: str = Field(examples=["Apology and follow-up"])
    shortcut: str = Field(examples=["sorry"])
    team: str | None
    purpose: Purpose
    bodies: dict[str, str] = Field(examples=[{"en": "Hi {first_name}, I'm sorry about this."}])
    is_active: bool
    usage_count: int = Field(description="Replies sent from it.", examples=[12])
    last_used_at: Timestamp | None


class TemplateList(Schema):
    items: list[TemplateOut]


# --- tone of voice and the reply guard ---------------------------------------------------------------------

RoleName = Literal["admin", "supervisor", "agent"]


class ReplySettingsIn(Schema):
    """The whole of the workspace's reply settings (a PUT replaces them)."""

    tone_guide: str = Field(default="", max_length=5000, description="Shown beside the reply box.",
                            examples=["Warm and short. Sign with your first name."])
    guard: dict[str, Any] = Field(
        default_factory=dict, description="The reply guard's settings: `words_to_avoid` (list), `word_replacements` "
        "(object), `signoff_required` (bool), `signoffs` (list), `signoff_pattern`, `address_form` (`vous` or "
        "`tu`), `emoji_allowed` (bool), `severity` (rule → `warning` or `block`), `disabled` (list of rules).",
        examples=[{"words_to_avoid": ["unfortunately"], "severity": {"blame": "block"}}])
    permissions: dict[RoleName, list[str]] = Field(
        default_factory=dict, description="The promises each role may make (`refund`, `compensation`, "
        "`voucher`); a role left out keeps its default.", examples=[{"agent": ["voucher"]}])


class ReplySettingsOut(Schema):
    tone_guide: str
    guard: dict[str, Any]
    permissions: dict[str, list[str]] = Field(description="Every role's promises (defaults included).")
