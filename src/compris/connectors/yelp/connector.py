"""Yelp (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector


class YelpConnector(Connector):
    network: ClassVar[str] = "yelp"
    display_name: ClassVar[str] = "Yelp"
    aliases: ClassVar[tuple[str, ...]] = ()
    reviews: ClassVar[bool] = True
