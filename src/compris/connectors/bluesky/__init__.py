"""Bluesky: see ``connector.py`` and this folder's README."""

from compris.connectors.bluesky.connector import BlueskyConnector

__all__ = ["BlueskyConnector"]
