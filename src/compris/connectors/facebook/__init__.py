"""Facebook Pages: feed comments and visitor posts, Messenger; replies through the Graph API."""

from compris.connectors.facebook.connector import FacebookConnector

__all__ = ["FacebookConnector"]
