"""Mastodon: see ``connector.py`` and this folder's README."""

from compris.connectors.mastodon.connector import MastodonConnector

__all__ = ["MastodonConnector"]
