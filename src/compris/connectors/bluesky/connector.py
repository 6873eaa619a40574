"""Bluesky (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector, Limits


class BlueskyConnector(Connector):
    network: ClassVar[str] = "bluesky"
    display_name: ClassVar[str] = "Bluesky"
    aliases: ClassVar[tuple[str, ...]] = ("bsky",)
    limits: ClassVar[Limits] = Limits(length_unit="graphemes")
