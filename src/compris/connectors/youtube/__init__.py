"""YouTube: see ``connector.py`` and this folder's README."""

from compris.connectors.youtube.connector import YouTubeConnector

__all__ = ["YouTubeConnector"]
