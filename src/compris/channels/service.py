"""Channel accounts: connect, configure, and the context a connector works with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.connectors import registry
from compris.connectors.base import AccountContext, Connector
from compris.kit.crypto import decrypt_json, encrypt_json
from compris.kit.errors import Invalid, NotFound
from compris.models import CaseEvent, ChannelAccount


def create_account(
    session: Session,
    secret_key: str,
    *,
    workspace_id: int,
    network: str,
    name: str,
    external_id: str,
    settings: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    always_on: bool = True,
    actor_user_id: int | None = None,
) -> ChannelAccount:
    try:
        connector = registry.get(network)
    except registry.UnknownNetwork:
        raise Invalid(f"unknown network {network!r}") from None
    missing = [
        f for f in connector.secret_fields if f not in connector.optional_fields and not (secrets or {}).get(f)
    ]
    if missing:
        raise Invalid(f"missing credentials: {', '.join(missing)}")
    if not name.strip() or not external_id.strip():
        raise Invalid("a name and the platform's account id are required")
    account = ChannelAccount(
        workspace_id=workspace_id,
        network=network,
        name=name.strip(),
        external_id=external_id.strip(),
        settings=dict(settings or {}),
        secrets_encrypted=encrypt_json(secret_key, dict(secrets or {})),
        always_on=always_on,
    )
    session.add(account)
    session.flush()
    session.add(
        CaseEvent(
            workspace_id=workspace_id,
            actor_user_id=actor_user_id,
            kind="channel_connected",
            data={"account_id": account.id, "network": network, "name": account.name},
        )
    )
    return account


def get_account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    account = session.scalar(
        select(ChannelAccount).where(ChannelAccount.id == account_id, ChannelAccount.workspace_id == workspace_id)
    )
    if account is None:
        raise NotFound("no such channel account")
    return account


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


def connector_for(account: ChannelAccount) -> Connector:
    return registry.get(account.network)


def store_renewed_secrets(session: Session, secret_key: str, account: ChannelAccount, renewed: dict[str, str]) -> None:
    """Merge credentials a platform renewed (OAuth2 refresh) into the account, encrypted; audit it."""
    from compris.kit.crypto import encrypt_json

    stored = decrypt_json(secret_key, account.secrets_encrypted)
    account.secrets_encrypted = encrypt_json(secret_key, {**stored, **renewed})
    session.add(
        CaseEvent(
            workspace_id=account.workspace_id,
            kind="channel_credentials_renewed",
            data={"account_id": account.id, "fields": sorted(renewed)},  # names only, never values
        )
    )
