"""Meta's common protocol: hub.challenge, X-Hub-Signature-256, batched deliveries, the Graph API."""

from compris.connectors.meta.connector import MetaConnector

__all__ = ["MetaConnector"]
