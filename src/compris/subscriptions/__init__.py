"""Outgoing webhooks: a workspace's subscriptions to escalation, business-action and survey events, delivered
signed (``Compris-Signature``) with retries, after commit.
"""
