"""Google reviews: see ``connector.py`` and this folder's README."""

from compris.connectors.google.connector import GoogleReviewsConnector

__all__ = ["GoogleReviewsConnector"]
