"""API shapes of privacy (issue 19)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

# --- erasure -------------------------------------------------------------------------------------------------------


class ErasureIn(Schema):
    reason: str = Field(default="", max_length=500,
                        description="Why (a request by e-mail, a court order...). Do not write the person's name: "
                                    "the record keeps no personal data (their names, handles and ids are removed "
                                    "from it anyway).", examples=["Asked by e-mail on 3 March"])


class ErasureOut(Schema):
    id: int
    contact_id: int | None = Field(description="The erased contact (the row stays, anonymised: its cases keep "
                                               "pointing at it); null when a deletion request named nobody.")
    source: Literal["admin", "api", "meta_deletion_callback", "platform_deletion", "demo"] | str
    requested_by_id: int | None = Field(description="The user who asked; null for a platform's callback.")
    confirmation_code: str = Field(description="The code a requester checks the status with "
                                               "(`/privacy/deletion/{code}`).", examples=["3F9A0C11D2E4B677"])
    status: Literal["pending", "done", "nothing_found"] | str
    reason: str
    created_at: Timestamp
    done_at: Timestamp | None
    counts: dict[str, int] = Field(description="How many rows of each kind were erased (`messages`, "
                                               "`identities`, `uploads`, `raw_events`...).",
                                   examples=[{"messages": 12, "identities": 2, "uploads": 1}])
