"""Where each table goes when workspaces are spread over several PostgreSQL nodes (Citus), and what changes first.

Plain data: the plan in ``docs/scaling.md`` reads it, and ``tests/models/test_distribution.py`` checks it against
the models, so that a new table, or a new unique key that does not include ``workspace_id``, fails until someone
has decided where it goes here. Nothing in the running product reads it: one PostgreSQL needs none of it.

The rules Citus imposes, and which this file answers table by table:

- a *distributed* table is cut into shards by its distribution column (``workspace_id`` here; ``id`` for the
  ``workspaces`` table itself), every shard of one workspace on the same node (co-location);
- its primary key and every unique key must include that column, and a foreign key to another distributed table
  must include it on both sides (``(workspace_id, case_id) → cases (workspace_id, id)``);
- a *reference* table is copied whole to every node (small, rarely written: every write goes to every node); any
  table may point to it;
- a table left on the *coordinator* stays a plain table there; nothing distributed may point to it, and it may not
  point to a distributed table.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DISTRIBUTION_COLUMN",
    "GLOBAL_KEYS",
    "NOT_DISTRIBUTED",
    "TENANT_TABLE",
    "KeyChange",
    "Placement",
    "placement",
]

DISTRIBUTION_COLUMN = "workspace_id"
#: the tenants' own table, distributed on its primary key so that every workspace's rows sit with it
TENANT_TABLE = "workspaces"


class Placement(StrEnum):
    DISTRIBUTED = "distributed"
    REFERENCE = "reference"
    COORDINATOR = "coordinator"


#: the tables that are not distributed on ``workspace_id``, and why (every other table is)
NOT_DISTRIBUTED: dict[str, tuple[Placement, str]] = {
    "jobs": (Placement.COORDINATOR,
             "the job queue: every worker claims from it with FOR UPDATE SKIP LOCKED across workspaces, and its "
             "dedupe_key is global; a claim must stay one index scan on one node"),
    "login_attempts": (Placement.COORDINATOR,
                       "counted per e-mail address and per IP before the workspace is known (workspace_id may be "
                       "NULL)"),
    "audit_entries": (Placement.COORDINATOR,
                      "the audit log holds instance-level entries (workspace_id NULL: a workspace created), which "
                      "a distributed table cannot store; the per-workspace entries could move to a distributed "
                      "table of their own if the log outgrows the coordinator (one row per action)"),
    "audit_anchors": (Placement.COORDINATOR, "the audit log's retention anchors, beside the entries they anchor"),
}


class KeyChange(StrEnum):
    #: the key already implies the workspace (an id of a row of one workspace): add workspace_id in front, same
    #: meaning, same uniqueness
    SCOPE = "scope"
    #: the key is looked up before the workspace is known (a sign-in, a token, a public link, a partner's e-mail):
    #: it moves to a small reference table ``global_keys (kind, key) → workspace_id`` written with the row, then the
    #: row is read on its workspace's node
    LOOKUP = "lookup"


#: the unique keys of distributed tables that do not include workspace_id today, and what becomes of each
GLOBAL_KEYS: dict[tuple[str, tuple[str, ...]], KeyChange] = {
    ("agent_profiles", ("user_id",)): KeyChange.SCOPE,
    ("analytics_agent_online", ("user_id", "minute")): KeyChange.SCOPE,
    ("analytics_cases", ("case_id",)): KeyChange.SCOPE,
    ("api_tokens", ("token_hash",)): KeyChange.LOOKUP,
    ("bulk_items", ("run_id", "case_id")): KeyChange.SCOPE,
    ("business_action_runs", ("idempotency_key",)): KeyChange.SCOPE,
    ("case_tags", ("case_id", "tag_id")): KeyChange.SCOPE,
    ("customer_keys", ("identity_id", "kind", "value")): KeyChange.SCOPE,
    ("erasures", ("confirmation_code",)): KeyChange.LOOKUP,
    ("escalations", ("reply_token",)): KeyChange.LOOKUP,
    ("incident_cases", ("incident_id", "case_id")): KeyChange.SCOPE,
    ("listening_cluster_items", ("message_id",)): KeyChange.SCOPE,
    ("listening_cluster_members", ("message_id",)): KeyChange.SCOPE,
    ("messages", ("channel_account_id", "platform_message_id")): KeyChange.SCOPE,
    ("notification_preferences", ("user_id",)): KeyChange.SCOPE,
    ("notifications", ("user_id", "dedupe_key")): KeyChange.SCOPE,
    ("outbox", ("idempotency_key",)): KeyChange.SCOPE,
    ("outbox", ("message_id",)): KeyChange.SCOPE,
    ("outgoing_mails", ("message_id",)): KeyChange.SCOPE,
    ("post_threads", ("thread_id",)): KeyChange.SCOPE,
    ("posts", ("channel_account_id", "platform_post_id")): KeyChange.SCOPE,
    ("raw_events", ("channel_account_id", "event_key")): KeyChange.SCOPE,
    ("read_marks", ("user_id", "case_id")): KeyChange.SCOPE,
    ("sla_breaches", ("case_id", "metric", "cycle")): KeyChange.SCOPE,
    ("surveys", ("case_id", "cycle")): KeyChange.SCOPE,
    ("team_members", ("team_id", "user_id")): KeyChange.SCOPE,
    ("threads", ("channel_account_id", "platform_thread_key")): KeyChange.SCOPE,
    ("user_sessions", ("id_hash",)): KeyChange.LOOKUP,
    ("users", ("email",)): KeyChange.LOOKUP,
    ("users", ("oidc_issuer", "oidc_subject")): KeyChange.LOOKUP,
    ("wait_publications", ("channel_account_id",)): KeyChange.SCOPE,
    ("wait_publications", ("public_id",)): KeyChange.LOOKUP,
    ("webhook_deliveries", ("subscription_id", "event_id")): KeyChange.SCOPE,
}


def placement(table: str) -> Placement:
    """Where ``table`` goes: distributed on ``workspace_id`` unless :data:`NOT_DISTRIBUTED` says otherwise."""
    found = NOT_DISTRIBUTED.get(table)
    return found[0] if found is not None else Placement.DISTRIBUTED
