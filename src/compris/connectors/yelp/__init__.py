"""Yelp: see ``connector.py`` and this folder's README."""

from compris.connectors.yelp.connector import YelpConnector

__all__ = ["YelpConnector"]
