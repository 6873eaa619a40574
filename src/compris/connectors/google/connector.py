"""Google reviews (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector


class GoogleReviewsConnector(Connector):
    network: ClassVar[str] = "google"
    display_name: ClassVar[str] = "Google reviews"
    aliases: ClassVar[tuple[str, ...]] = ("google business profile", "google my business", "gbp")
    reviews: ClassVar[bool] = True
