"""schemas of listening (filled in by its issue)."""

from __future__ import annotations

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

# --- clusters (li-clusters) --------------------------------------------------------------------------------------


class ClusterOut(Schema):
    """A cluster of similar messages from different customers (docs/listening.md, "Clusters")."""

    id: int
    label: str = Field(description="The member message closest to the cluster's mean (shortened).")
    keywords: list[str] = Field(description="The heaviest stems of the cluster's mean signature.")
    open: bool = Field(description="Open clusters take new messages; one closes after 6 hours without any.")
    size: int = Field(description="Messages in the cluster.")
    languages: dict[str, int] = Field(description="Messages per language, e.g. `{\"fr\": 12, \"en\": 3}`.")
    networks: dict[str, int] = Field(description="Messages per network.")
    first_message_at: Timestamp | None
    last_message_at: Timestamp | None
    closed_at: Timestamp | None
    incident_id: int | None = Field(description="The incident it was confirmed as, if any.")


class ClusterMemberOut(Schema):
    message_id: int
    case_number: int
    text: str
    language: str | None
    sent_at: Timestamp
    similarity: float = Field(description="Its similarity to the cluster when it joined (0-1).")


class ClusterDetail(ClusterOut):
    members: list[ClusterMemberOut]


class ClusterList(Schema):
    clusters: list[ClusterOut]
