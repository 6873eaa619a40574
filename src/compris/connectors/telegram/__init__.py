"""Telegram: see ``connector.py`` and this folder's README."""

from compris.connectors.telegram.connector import TelegramConnector

__all__ = ["TelegramConnector"]
