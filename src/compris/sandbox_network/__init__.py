"""The sandbox network: a small stand-in for the social platforms (another company's platform, in miniature).

It lets a new user see the whole round trip without an account anywhere, and drives tests, demos and load
tests. It has its own storage (a SQLite file), its own web page where one "posts as a customer", and speaks
the sandbox wire protocol that :class:`compris.connectors.sandbox.SandboxConnector` implements the other side of:

- every customer message is delivered as a signed webhook (``X-Sandbox-Signature``), retried with backoff;
- brands reply through a small bearer-token API that honours ``Idempotency-Key``.

It never imports Compris's models or inbox: the one place it reads Compris configuration is
:func:`compris.sandbox_network.app.mount`, when both run in the same process (the demo).
See ``docs/channels/sandbox.md``.
"""

from __future__ import annotations

from compris.sandbox_network.network import SandboxNetwork
from compris.sandbox_network.store import Brand, NetworkError, Store

__all__ = ["Brand", "NetworkError", "SandboxNetwork", "Store"]
