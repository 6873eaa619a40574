"""YouTube (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector


class YouTubeConnector(Connector):
    network: ClassVar[str] = "youtube"
    display_name: ClassVar[str] = "YouTube"
    aliases: ClassVar[tuple[str, ...]] = ()
