"""Tripadvisor: see ``connector.py`` and this folder's README."""

from compris.connectors.tripadvisor.connector import TripAdvisorConnector

__all__ = ["TripAdvisorConnector"]
