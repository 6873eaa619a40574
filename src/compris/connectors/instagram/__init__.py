"""Instagram professional accounts: comments, mentions and DMs through the Graph API."""

from compris.connectors.instagram.connector import InstagramConnector

__all__ = ["InstagramConnector"]
