"""API shapes of replies: an agent's reply and the guard's findings, reply templates, tone and guard settings.

Bodies for changes (``...Patch``) hold only what changes: a field left out is unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from compris.inbox.schemas import MessageOut
from compris.kit.schemas import Schema, Timestamp

ReplyVisibility = Literal["public", "private"]
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,64}$"


# --- the reply and the reply guard ------------------------------------------------------------------------


class FindingOut(Schema):
    """A problem the reply guard saw in the text."""

    rule: str = Field(examples=["asks_personal_data"])
    severity: Literal["warning", "block"]
    message: str = Field(description="Why it matters, in the token user's language.")
    span: list[int] | None = Field(description="`[start, end]` character offsets in the text, or null for the "
                                   "whole reply.", examples=[[12, 40]])


class ReplyIn(Schema):
    attachment_ids: list[int] = Field(
        default_factory=list, max_length=10,
        description="Files to attach, uploaded first with `POST /uploads`, in order. The network must accept them "
        "on this kind of reply (types, size, count: see `docs/channels/`), else 422 with the network's reason.",
        examples=[[17]],
    )
    text: str = Field(default="", max_length=20_000, description="Plain text of the reply. May be empty when "
                      "`attachment_ids` is given and the network accepts files alone.",
                      examples=["So sorry about your flight, Marie. I have rebooked you on AF125."])

    visibility: ReplyVisibility = Field(
        default="public",
        description="`public` answers in the thread; `private` sends a direct message (moves a public "
        "conversation to private when the network allows).",
    )
    reply_to_message_id: int | None = Field(
        default=None, description="The customer message to answer; default: their latest of that visibility."
    )
    idempotency_key: str | None = Field(
        default=None, pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Alternative to the `Idempotency-Key` header (the header wins when both are given).",
        examples=["9f1c2c8e-2d4b-4a55-9d0f-1c3f1e0f7a11"],
    )
    override_warnings: bool = Field(
        default=True,
        description="Send despite the reply guard's **warnings** (the default: they are returned in "
        "`guard_warnings` and recorded as overridden). `false` refuses a reply with warnings with 422 and the "
        "findings, as the agent UI does until the agent overrides them. **Blocks** always refuse the reply.",
    )
    template_id: int | None = Field(
        default=None, description="The reply template the text came from: its use is counted, and the guard "
        "warns when it is sent unchanged to a customer who already had it.", examples=[3],
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "So sorry, Marie. Could you send us a DM?", "visibility": "public"}]},
    )

    @field_validator("text")
    @classmethod
    def _text_or_files(cls, value: str, info: ValidationInfo) -> str:
        if not value and not info.data.get("attachment_ids"):
            raise ValueError("a reply needs text, attachments or both")
        return value


class ReplyOut(MessageOut):
    """The queued reply, with the guard's warnings that were overridden to send it."""

    guard_warnings: list[FindingOut] = Field(default_factory=list)


# --- reply templates --------------------------------------------------------------------------------------


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


# --- tone of voice and the reply guard --------------------------------------------------------------------


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

