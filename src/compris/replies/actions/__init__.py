"""Every write of replies, by subject; like ``inbox.actions``, these never commit.

- :mod:`.sending`: an agent's reply from the UI or the API — the guard (:func:`check_draft` as the agent types,
  :func:`send_agent_reply` before sending), then ``inbox.actions.add_reply``; :func:`move_to_private`; the guard's
  findings kept at send time (:func:`record_guard_events`);
- :mod:`.templates`: reply templates (create, update, delete, count a use, add the defaults);
- :mod:`.settings`: the workspace's reply settings (tone of voice, the guard, promises per role).

Administrative writes record their audit row and emit ``SettingsChanged``. Reads are :mod:`compris.replies.queries`;
template bodies (variables, rendering) are :mod:`compris.replies.rendering`.
"""

from __future__ import annotations

from compris.replies.actions.sending import (
    ALL_WARNINGS,
    NETWORK_RULES,
    DraftCheck,
    GuardRefused,
    MovedToPrivate,
    SentReply,
    check_draft,
    move_to_private,
    record_guard_events,
    send_agent_reply,
)
from compris.replies.actions.settings import save_reply_settings
from compris.replies.actions.templates import (
    count_use,
    create_template,
    delete_template,
    ensure_default_templates,
    update_template,
)

__all__ = [
    "ALL_WARNINGS",
    "NETWORK_RULES",
    "DraftCheck",
    "GuardRefused",
    "MovedToPrivate",
    "SentReply",
    "check_draft",
    "count_use",
    "create_template",
    "delete_template",
    "ensure_default_templates",
    "move_to_private",
    "record_guard_events",
    "save_reply_settings",
    "send_agent_reply",
    "update_template",
]
