"""A channel account's connector and the context a connector works with (pure: no database, no network)."""

from __future__ import annotations

from compris.connectors import registry
from compris.connectors.base import AccountContext, Connector
from compris.kit.crypto import decrypt_json
from compris.models import ChannelAccount


def connector_for(account: ChannelAccount) -> Connector:
    return registry.get(account.network)


def bare_context(account: ChannelAccount) -> AccountContext:
    """The account's context without its secrets: for what a connector derives from the account alone (the key of a
    customer's private thread, the reply box's rules), never for calling the network."""
    return AccountContext(
        account_id=account.id,
        workspace_id=account.workspace_id,
        network=account.network,
        external_id=account.external_id,
        settings=dict(account.settings or {}),
    )


def context(account: ChannelAccount, secret_key: str) -> AccountContext:
    return AccountContext(
        account_id=account.id,
        workspace_id=account.workspace_id,
        network=account.network,
        external_id=account.external_id,
        settings=dict(account.settings or {}),
        secrets=decrypt_json(secret_key, account.secrets_encrypted),
    )
