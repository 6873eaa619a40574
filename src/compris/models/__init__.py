"""ORM models only: no behaviour beyond columns and constraints."""

from compris.models.base import Base
from compris.models.channel import ChannelAccount
from compris.models.contact import Contact, Identity
from compris.models.inbox import (
    ACTIVE_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    DeliveryState,
    Direction,
    Message,
    Thread,
)
from compris.models.pipeline import Job, JobStatus, Outbox, RawEvent, RawEventStatus
from compris.models.triage import TriageCorrection
from compris.models.workspace import ApiToken, LoginAttempt, Role, User, Workspace

__all__ = [
    "ACTIVE_STATUSES",
    "ApiToken",
    "Base",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "ChannelAccount",
    "Contact",
    "DeliveryState",
    "Direction",
    "Identity",
    "Job",
    "JobStatus",
    "LoginAttempt",
    "Message",
    "Outbox",
    "RawEvent",
    "RawEventStatus",
    "Role",
    "Thread",
    "TriageCorrection",
    "User",
    "Workspace",
]
