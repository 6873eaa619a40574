"""Network connectors: one folder per network, as Zulip keeps its integrations.

``compris/connectors/<network>/`` holds the network's code (``connector.py``, its inbound parsing and outbound
sending), its recorded-shape payloads (``fixtures/``, shipped with the package) and a ``README.md`` pointing to
its tests (``tests/connectors/<network>/``, since tests mirror the source tree) and its user documentation
(``docs/channels/<network>.md``, on the documentation site). Everything Compris must know about a network — its
length unit and limits, reply windows, attachment rules, mention rule, private-reply mechanism, how survey choices
are shown (``limits.choices``, ``choices_window``) — is an attribute
or a method of its :class:`~compris.connectors.base.Connector`: adding a network means adding a folder here (and
its entry point), never editing the core.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def fixture_bytes(network: str, name: str) -> bytes:
    """The raw bytes of the recorded payload ``name`` in ``compris/connectors/<network>/fixtures/``."""
    return resources.files(f"compris.connectors.{network}").joinpath("fixtures", name).read_bytes()


def fixture(network: str, name: str) -> Any:
    """The recorded JSON payload ``name`` of ``network`` (see :func:`fixture_bytes`), parsed."""
    return json.loads(fixture_bytes(network, name).decode("utf-8"))
