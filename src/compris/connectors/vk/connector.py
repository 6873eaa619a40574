"""VKontakte (scaffold: being built for issue 17)."""

from __future__ import annotations

from typing import ClassVar

from compris.connectors.base import Connector


class VKConnector(Connector):
    network: ClassVar[str] = "vk"
    display_name: ClassVar[str] = "VKontakte"
    aliases: ClassVar[tuple[str, ...]] = ("vkontakte", "вконтакте")
