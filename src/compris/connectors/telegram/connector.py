"""Telegram (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector


class TelegramConnector(Connector):
    network: ClassVar[str] = "telegram"
    display_name: ClassVar[str] = "Telegram"
    aliases: ClassVar[tuple[str, ...]] = ()
