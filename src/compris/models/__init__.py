"""ORM models only: no behaviour beyond columns and constraints."""

from compris.models.admin import AuditAnchor, AuditEntry, Erasure, Invitation, RetentionPolicy
from compris.models.analytics import (
    AgentOnline,
    AgentOnlineDay,
    AnalyticsCase,
    AnalyticsDaily,
    AnalyticsDirty,
    AnalyticsHourly,
    AnalyticsSlice,
    AnalyticsWeekly,
)
from compris.models.base import Base
from compris.models.business import FINAL_RUN_STATES, BusinessAction, BusinessActionRun, RunState
from compris.models.channel import ChannelAccount
from compris.models.contact import Contact, Identity
from compris.models.escalation import (
    OPEN_ESCALATION_STATUSES,
    Escalation,
    EscalationStatus,
    Exchange,
    Partner,
    PartnerKind,
)
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
from compris.models.listening import (
    Alert,
    AlertKind,
    BulkItem,
    BulkRun,
    CaseTag,
    Cluster,
    ClusterItem,
    ClusterItemState,
    ClusterMember,
    Incident,
    IncidentCase,
    IncidentStatus,
    Tag,
)
from compris.models.listening_alerts import ListeningCount, ListeningSettings, SpikeSensitivity
from compris.models.mail import MailSettings, MailState, OutgoingMail
from compris.models.objectives import Objective, ObjectiveMetric
from compris.models.pipeline import Job, JobStatus, Outbox, RawEvent, RawEventStatus
from compris.models.posts import Post, PostThread
from compris.models.replies import GuardEvent, ReplySettings, ReplyTemplate, TemplatePurpose
from compris.models.routing import AgentProfile, Presence, RoutingRule, Team, TeamMember
from compris.models.sessions import UserSession
from compris.models.sla import BusinessHours, SlaBreach, SlaPolicy, SlaSettings, WaitPrediction, WaitPublication
from compris.models.subscriptions import WebhookDelivery, WebhookDeliveryState, WebhookSubscription
from compris.models.surveys import Survey, SurveySettings, SurveyState
from compris.models.triage import TriageCorrection
from compris.models.uploads import Upload
from compris.models.workspace import ApiToken, LoginAttempt, Role, User, Workspace

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_RUN_STATES",
    "OPEN_ESCALATION_STATUSES",
    "AgentOnline",
    "AgentOnlineDay",
    "AgentProfile",
    "Alert",
    "AlertKind",
    "AnalyticsCase",
    "AnalyticsDaily",
    "AnalyticsDirty",
    "AnalyticsHourly",
    "AnalyticsSlice",
    "AnalyticsWeekly",
    "ApiToken",
    "AuditAnchor",
    "AuditEntry",
    "Base",
    "BulkItem",
    "BulkRun",
    "BusinessAction",
    "BusinessActionRun",
    "BusinessHours",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "CaseTag",
    "ChannelAccount",
    "Cluster",
    "ClusterItem",
    "ClusterItemState",
    "ClusterMember",
    "Contact",
    "DeliveryState",
    "Direction",
    "Erasure",
    "Escalation",
    "EscalationStatus",
    "Exchange",
    "GuardEvent",
    "Identity",
    "Incident",
    "IncidentCase",
    "IncidentStatus",
    "Invitation",
    "Job",
    "JobStatus",
    "ListeningCount",
    "ListeningSettings",
    "LoginAttempt",
    "MailSettings",
    "MailState",
    "Message",
    "Objective",
    "ObjectiveMetric",
    "Outbox",
    "OutgoingMail",
    "Partner",
    "PartnerKind",
    "Post",
    "PostThread",
    "Presence",
    "RawEvent",
    "RawEventStatus",
    "ReplySettings",
    "ReplyTemplate",
    "RetentionPolicy",
    "Role",
    "RoutingRule",
    "RunState",
    "SlaBreach",
    "SlaPolicy",
    "SlaSettings",
    "SpikeSensitivity",
    "Survey",
    "SurveySettings",
    "SurveyState",
    "Tag",
    "Team",
    "TeamMember",
    "TemplatePurpose",
    "Thread",
    "TriageCorrection",
    "Upload",
    "User",
    "UserSession",
    "WaitPrediction",
    "WaitPublication",
    "WebhookDelivery",
    "WebhookDeliveryState",
    "WebhookSubscription",
    "Workspace",
]

# --- issue 18 (the desk): each part's models ---
from compris.models.customers import CustomerKey, CustomerNote, SameCustomerDismissal
from compris.models.inbox_views import InboxView, ReadMark
from compris.models.notifications import Notification, NotificationPreference

__all__ += ["InboxView", "ReadMark"]
__all__ += ["CustomerKey", "CustomerNote", "SameCustomerDismissal"]
__all__ += ["Notification", "NotificationPreference"]
