"""VKontakte: see ``connector.py`` and this folder's README."""

from compris.connectors.vk.connector import VKConnector

__all__ = ["VKConnector"]
