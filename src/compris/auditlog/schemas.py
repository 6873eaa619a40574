"""API shapes of the audit log: ``GET /api/v1/audit`` (the entries, filtered, newest first) and
``GET /api/v1/audit/chain`` (the hash chain verified now)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

Via = Literal["session", "token", "cli", "job", "platform", "link", "system"]


class AuditEntryOut(Schema):
    """One action: who (the user's id, and their name and e-mail at the time), when, from where (`via`, `ip`,
    `ref`: the session's reference, `token:<id>`, `job:<id>`, `cli:<command>`), what (`event`, `entity`,
    `entity_id`, `action`, `summary`), and the event's fields in `data` (for settings, `before` and `after`;
    secrets read `•••`). `seq`/`prev_hash`/`hash`: its place in the workspace's hash chain (null until sealed,
    within seconds)."""

    id: int = Field(examples=[5120])
    seq: int | None = Field(default=None, examples=[5101])
    at: Timestamp
    actor_user_id: int | None = Field(default=None, examples=[3])
    actor_label: str = Field(examples=["Camille Martin <camille@brand.example>"])
    via: Via = Field(examples=["session"])
    ip: str | None = Field(default=None, examples=["203.0.113.7"])
    ref: str | None = Field(default=None, examples=["session:3fa85f64a1b2"])
    request_id: str | None = None
    event: str = Field(examples=["SettingsChanged"])
    entity: str = Field(examples=["sla_policy"])
    entity_id: int | None = Field(default=None, examples=[2])
    action: str = Field(examples=["updated"])
    case_id: int | None = None
    contact_id: int | None = None
    summary: str = Field(examples=["Settings: SLA policy #2 updated"])
    data: dict[str, Any] = Field(default_factory=dict,
                                 examples=[{"changes": ["first_response_minutes"],
                                            "before": {"first_response_minutes": 60},
                                            "after": {"first_response_minutes": 30}}])
    prev_hash: str | None = None
    hash: str | None = None


class AuditList(Schema):
    items: list[AuditEntryOut]
    next_before: int | None = Field(default=None, description="Pass as `before` for the next (older) page; null: "
                                    "no more.")


class ChainOut(Schema):
    """The workspace's hash chain, recomputed from its anchor (where retention left it) to its last sealed
    entry."""

    ok: bool
    checked: int = Field(description="Entries checked.")
    verified_to: int = Field(description="The last seq found sound.")
    anchor_seq: int = Field(description="The chain starts after this seq (0: at the first entry).")
    broken_seq: int | None = Field(default=None, description="The first seq found broken.")
    reason: Literal["", "missing", "linked", "altered"] = Field(
        default="", description="`missing`: that entry was deleted; `linked`: it does not follow the previous one "
        "(inserted or replaced); `altered`: its content changed after sealing.")
