"""SLA: business time, policies and due times, breach prediction, the expected wait, staffing and coverage.

The names re-exported here are pure (no clock, no database): functions of (policy, events, now); business time is
``compris.kit.calendar``. ``clocks``, ``wait``, ``planning`` and ``listeners`` apply them to the database. See
docs/sla.md.
"""

from compris.kit.calendar import (
    BusinessCalendar,
    Interval,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
    open_intervals,
)
from compris.sla.policy import (
    AgentReply,
    Breach,
    CaseStatus,
    Inbound,
    Metric,
    MetricState,
    PartnerReply,
    Policy,
    PolicyRule,
    SlaState,
    StatusChange,
    breaches,
    compute_sla,
    select_policy,
)

__all__ = [
    "AgentReply",
    "Breach",
    "BusinessCalendar",
    "CaseStatus",
    "Inbound",
    "Interval",
    "Metric",
    "MetricState",
    "PartnerReply",
    "Policy",
    "PolicyRule",
    "SlaState",
    "StatusChange",
    "add_business_time",
    "breaches",
    "business_time_between",
    "compute_sla",
    "is_open",
    "next_open",
    "open_intervals",
    "select_policy",
]
