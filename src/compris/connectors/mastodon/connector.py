"""Mastodon (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector, Limits


class MastodonConnector(Connector):
    network: ClassVar[str] = "mastodon"
    display_name: ClassVar[str] = "Mastodon"
    aliases: ClassVar[tuple[str, ...]] = ()
    public_reply_mentions: ClassVar[bool] = True
    limits: ClassVar[Limits] = Limits(length_unit="mastodon")
