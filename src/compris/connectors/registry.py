"""Finds connectors through the ``compris.connectors`` entry-point group.

Built-in connectors are declared in ``pyproject.toml`` exactly as a third-party package would
declare its own, so there is one mechanism for both.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from compris.connectors.base import Connector

GROUP = "compris.connectors"


class UnknownNetwork(LookupError):
    pass


@cache
def connectors() -> dict[str, Connector]:
    found: dict[str, Connector] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"entry point {ep.name!r} does not name a Connector subclass")
        if cls.network != ep.name:
            raise TypeError(f"entry point {ep.name!r} names connector for {cls.network!r}")
        found[ep.name] = cls()
    return found


def get(network: str) -> Connector:
    try:
        return connectors()[network]
    except KeyError:
        raise UnknownNetwork(network) from None
