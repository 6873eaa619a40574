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


def find(name: str) -> Connector:
    """The connector a user means by ``name``: its network key or one of its aliases, in any case."""
    wanted = name.strip().lower()
    for network, connector in connectors().items():
        if wanted == network or wanted in connector.aliases:
            return connector
    raise UnknownNetwork(name)
