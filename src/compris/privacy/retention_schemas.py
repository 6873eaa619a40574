"""API shapes of retention: the workspace's periods, the last run and the preview of the next one."""

from __future__ import annotations

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp
from compris.privacy.retention_queries import MAXIMUM_DAYS, MINIMUM_DAYS

_FOREVER = "Days; `null`: kept for ever."


def _days(field: str, what: str) -> str:
    return f"{what} {_FOREVER} At least {MINIMUM_DAYS[field]}, at most {MAXIMUM_DAYS}."


class RetentionPeriods(Schema):
    messages_days: int | None = Field(default=None, description=_days(
        "messages_days", "Messages of resolved or closed cases quiet for this long lose their content (text, "
        "attachments' details, author link, personal data found by triage); rows, times and triage labels stay, "
        "so reports are unchanged. Active cases are never touched."), examples=[730])
    attachments_days: int | None = Field(default=None, description=_days(
        "attachments_days", "Stored files of resolved or closed cases first stored this long ago are deleted "
        "(the message shows them as removed)."), examples=[365])
    raw_events_days: int | None = Field(default=None, description=_days(
        "raw_events_days", "Processed raw deliveries older than this are deleted (set-aside ones are kept at "
        "least 30 days, pending ones always)."), examples=[90])
    audit_days: int | None = Field(default=None, description=_days(
        "audit_days", "Audit entries older than this are deleted (the hash chain is anchored where it starts)."),
        examples=[365])


class RetentionCounts(Schema):
    messages: int = 0
    attachments: int = 0
    raw_events: int = 0
    audit_entries: int = 0


class RetentionPolicyOut(RetentionPeriods):
    minimum_days: dict[str, int] = Field(description="The shortest period each field accepts.",
                                         examples=[dict(MINIMUM_DAYS)])
    updated_at: Timestamp | None = None
    last_run_at: Timestamp | None = Field(default=None, description="When the policy was last applied.")
    last_run: RetentionCounts | None = Field(default=None, description="What that run removed.")


class DueOut(Schema):
    kind: str = Field(examples=["messages"], description="`messages`, `attachments`, `raw_events` or "
                      "`audit_entries`.")
    days: int | None = Field(description="The period (null: kept for ever: nothing is due).")
    count: int = Field(description="How many the next run removes.")
    oldest: Timestamp | None = Field(description="When the oldest of them was created.")


class RetentionPreviewOut(Schema):
    at: Timestamp = Field(description="The time the preview was computed for (now).")
    items: list[DueOut]
