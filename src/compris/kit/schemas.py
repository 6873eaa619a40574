"""What every API shape shares: the base class and the way times are written.

Each capability keeps its request and response bodies in its own ``schemas.py``; the web layer's endpoints
(``compris.web.api``) import them from there, and the OpenAPI document shows them. Responses carry customer text
as plain JSON strings (never HTML). Datetimes are ISO 8601 with an explicit offset
(``2025-03-01T09:30:00+00:00``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

EXAMPLE_TIME = "2025-03-01T09:30:00+00:00"


def _iso(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [EXAMPLE_TIME]}, mode="serialization"),
]
"""An aware datetime, serialised as ISO 8601 with its offset (``+00:00``, not ``Z``)."""


class Schema(BaseModel):
    """The base of every API body: an unknown field is an error (422), not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# The calendar text (compris.kit.calendar) that teams' shifts and the SLA's business hours share.
SHIFTS_HELP = ("One rule a line: `mon-fri 09:00-17:00`, `sun 22:00-06:00` (past midnight), `daily 00:00-00:00` "
               "(24 h), `holiday 2026-12-25`, `exception 2026-12-24 09:00-12:00` (or `closed`).")
ZONE_HELP = "An IANA time zone."

