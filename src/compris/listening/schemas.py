"""API shapes of listening.

Alerts (li-alerts): ``GET /api/v1/alerts``, ``POST /api/v1/alerts/{id}/acknowledge``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp


class AlertReasonOut(Schema):
    code: str = Field(description="`spike`, `followers`, `verified`, `promoted` or `reshares`.",
                       examples=["followers"])
    params: dict[str, Any] = Field(description="The values the reason names.",
                                     examples=[{"followers": 48000, "threshold": 10000}])


class AlertOut(Schema):
    id: int = Field(examples=[12])
    kind: str = Field(description="`spike` (volume above its usual level), `reach` (a high-reach complaint) or "
                                   "`cluster`.", examples=["spike"])
    key: str = Field(description="What the alert is about; an alert is raised once per key.",
                      examples=["spike:2026-12-06T10:15:00+00:00"])
    title: str = Field(description="A one-line English summary.",
                        examples=["Volume spike on Acme on Facebook: 41 messages in 60 min (usually 9.2)"])
    reasons: list[AlertReasonOut]
    data: dict[str, Any] = Field(description="What was measured: for a spike the scope, window, observed and "
                                               "expected counts, every scope above its threshold, the keywords and "
                                               "sample messages (ids and case numbers); for a high reach the "
                                               "message, followers, verified, promoted, reshares.")
    case_number: int | None = Field(description="The case of a high-reach alert.", examples=[55])
    window_start: Timestamp | None = None
    created_at: Timestamp
    acknowledged_at: Timestamp | None = None
    acknowledged_by_user_id: int | None = None
    incident_id: int | None = None


class AlertList(Schema):
    items: list[AlertOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page; null at the end.",
                                     examples=[None])

