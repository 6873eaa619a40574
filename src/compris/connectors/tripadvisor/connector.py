"""Tripadvisor (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector


class TripAdvisorConnector(Connector):
    network: ClassVar[str] = "tripadvisor"
    display_name: ClassVar[str] = "Tripadvisor"
    aliases: ClassVar[tuple[str, ...]] = ("trip advisor",)
    reviews: ClassVar[bool] = True
    manual_public_replies: ClassVar[bool] = True
