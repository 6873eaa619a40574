"""Every write of the capability (validate, write, record the timeline or audit row, emit the event).

``partners`` (the admin's partners and internal teams), ``escalations`` (escalate a case, follow up, close,
cancel, reopen, revoke links); the partner's answers are in ``answers``.
"""

from __future__ import annotations

from compris.escalation.actions import answers
from compris.escalation.actions.escalations import (
    cancel,
    case_uploads,
    close,
    default_due,
    escalate,
    follow_up,
    get_escalation,
    reopen,
    revoke_links,
    still_waiting,
)
from compris.escalation.actions.partners import (
    create_partner,
    get_partner,
    parse_minutes_list,
    set_partner_active,
    update_partner,
)

__all__ = [
    "answers",
    "cancel",
    "case_uploads",
    "close",
    "create_partner",
    "default_due",
    "escalate",
    "follow_up",
    "get_escalation",
    "get_partner",
    "parse_minutes_list",
    "reopen",
    "revoke_links",
    "set_partner_active",
    "still_waiting",
    "update_partner",
]
