"""X (Twitter): X Activity API webhooks, API v2 public replies and direct messages."""

from compris.connectors.x.connector import XConnector

__all__ = ["XConnector"]
