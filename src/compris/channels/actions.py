"""Writes of channel accounts: connect (from code or the admin's form), edit, test the credentials, keep the
credentials a platform renewed.

Secrets are encrypted at rest (``kit/crypto``), never logged, and kept unchanged on edit unless a new value is
typed. Every change is audited (``compris.timeline``, rows with no case: ``channel_connected``,
``channel_updated``, ``channel_tested``, ``channel_credentials_renewed``) and emits
:class:`compris.events.SettingsChanged` (entity ``channel_account``).
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import audit as compris_audit
from compris import timeline
from compris.channels.accounts import connector_for
from compris.channels.forms import SECRET_PREFIX, SETTING_PREFIX
from compris.channels.safety import scrub
from compris.connectors import registry
from compris.connectors.base import AccountContext, Connector
from compris.kit.clock import now
from compris.kit.crypto import decrypt_json, encrypt_json
from compris.kit.errors import Conflict, Invalid
from compris.live import Publisher
from compris.models import ChannelAccount

CHECK_TIMEOUT = 8.0  # seconds: an admin is waiting for the answer
MAX_VALUE = 2000


def audit(session: Session, publisher: Publisher | None, account: ChannelAccount, action: str,
          changes: list[str], actor_user_id: int | None) -> None:
    """The domain event of a change to a channel account (its audit row is written by the caller's recorder).
    ``publisher`` may be left out outside a web process (the demo, the test worlds)."""
    compris_audit.announce(session, publisher, workspace_id=account.workspace_id, actor_user_id=actor_user_id,
                           entity="channel_account", action=action, entity_id=account.id, changes=changes)


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
    publisher: Publisher | None = None,
) -> ChannelAccount:
    """Connect an account (credentials encrypted at rest); audited as ``channel_connected``."""
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
    timeline.channel_connected(session, workspace_id=workspace_id, actor_user_id=actor_user_id,
                               account_id=account.id, network=network, name=account.name)
    audit(session, publisher, account, "connected", ["name", "external_id", "settings", "secrets"], actor_user_id)
    return account


def _value(form: Mapping[str, str], key: str) -> str:
    value = str(form.get(key) or "").strip()
    if len(value) > MAX_VALUE:
        raise Invalid(f"{key.removeprefix(SECRET_PREFIX).removeprefix(SETTING_PREFIX)} is too long")
    return value


def _settings_from(connector: Connector, form: Mapping[str, str]) -> dict[str, str]:
    settings = {}
    for name in connector.setting_fields:
        value = _value(form, SETTING_PREFIX + name)
        if value:
            settings[name] = value
    api_base = settings.get("api_base")
    if api_base and not api_base.startswith(("http://", "https://")):
        raise Invalid("the API address must start with http:// or https://")
    if api_base:
        settings["api_base"] = api_base.rstrip("/")
    return settings


def connect(
    session: Session,
    secret_key: str,
    *,
    workspace_id: int,
    network: str,
    name: str,
    external_id: str,
    form: Mapping[str, str],
    actor_user_id: int | None,
    publisher: Publisher | None = None,
) -> ChannelAccount:
    """Connect an account of ``network`` from the admin's form (``secret_*`` and ``setting_*`` fields)."""
    try:
        connector = registry.get(network)
    except registry.UnknownNetwork:
        raise Invalid(f"unknown network {network!r}") from None
    typed = {f: _value(form, SECRET_PREFIX + f) for f in connector.secret_fields}
    secrets = {f: v for f, v in typed.items() if v}
    for field in connector.generated_fields:
        secrets.setdefault(field, random_secrets.token_urlsafe(24))
    _unique(session, workspace_id, network, external_id.strip(), None)
    return create_account(
        session, secret_key, workspace_id=workspace_id, network=network, name=name, external_id=external_id,
        settings=_settings_from(connector, form), secrets=secrets, actor_user_id=actor_user_id, publisher=publisher,
    )


def _unique(session: Session, workspace_id: int, network: str, external_id: str, account_id: int | None) -> None:
    query = select(ChannelAccount.id).where(
        ChannelAccount.workspace_id == workspace_id, ChannelAccount.network == network,
        ChannelAccount.external_id == external_id)
    if account_id is not None:
        query = query.where(ChannelAccount.id != account_id)
    if session.scalar(query) is not None:
        raise Conflict("this account is already connected")


def update(
    session: Session,
    secret_key: str,
    account: ChannelAccount,
    *,
    name: str,
    external_id: str,
    active: bool,
    form: Mapping[str, str],
    actor_user_id: int | None,
    publisher: Publisher | None = None,
) -> list[str]:
    """Apply an edit; a secret left empty keeps its stored value. Returns the names of what changed."""
    connector = connector_for(account)
    name, external_id = name.strip(), external_id.strip()
    if not name or not external_id:
        raise Invalid("a name and the platform's account id are required")
    _unique(session, account.workspace_id, account.network, external_id, account.id)
    changed: list[str] = []
    if name != account.name:
        account.name = name[:200]
        changed.append("name")
    if external_id != account.external_id:
        account.external_id = external_id[:200]
        changed.append("external_id")
    if active != account.is_active:
        account.is_active = active
        changed.append("active")
    settings = _settings_from(connector, form)
    old_settings = dict(account.settings or {})
    kept = {k: v for k, v in old_settings.items() if k not in connector.setting_fields}  # not on the form
    new_settings = {**kept, **settings}
    if new_settings != old_settings:
        changed += sorted(k for k in set(new_settings) | set(old_settings)
                          if new_settings.get(k) != old_settings.get(k))
        account.settings = new_settings
    stored = decrypt_json(secret_key, account.secrets_encrypted)
    typed = {f: v for f in connector.secret_fields if (v := _value(form, SECRET_PREFIX + f))}
    renewed = [f for f, v in typed.items() if stored.get(f) != v]
    if renewed:
        account.secrets_encrypted = encrypt_json(secret_key, {**stored, **typed})
        changed += [f"{f} (secret)" for f in sorted(renewed)]
    if changed:
        timeline.channel_updated(session, workspace_id=account.workspace_id, actor_user_id=actor_user_id,
                                 account_id=account.id, network=account.network, changed=changed)
        audit(session, publisher, account, "updated", changed, actor_user_id)
    return changed


def _known(connector: Connector, given: Mapping[str, str], fields: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(given) - set(fields))
    if unknown:
        known = ", ".join(fields) or "none"
        raise Invalid(f"unknown {what}: {', '.join(unknown)} ({connector.display_name} takes: {known})")


def connect_account(
    session: Session,
    secret_key: str,
    *,
    workspace_id: int,
    network: str,
    name: str,
    external_id: str,
    settings: Mapping[str, str],
    secrets: Mapping[str, str],
    actor_user_id: int | None,
    publisher: Publisher | None = None,
) -> ChannelAccount:
    """:func:`connect` with the settings and secrets by name (the API): an unknown name is refused."""
    try:
        connector = registry.get(network)
    except registry.UnknownNetwork:
        known = ", ".join(sorted(registry.connectors()))
        raise Invalid(f"unknown network {network!r} (installed: {known})") from None
    _known(connector, settings, connector.setting_fields, "settings")
    _known(connector, secrets, connector.secret_fields, "secrets")
    form = {**{SETTING_PREFIX + k: v for k, v in settings.items()},
            **{SECRET_PREFIX + k: v for k, v in secrets.items()}}
    return connect(session, secret_key, workspace_id=workspace_id, network=network, name=name,
                   external_id=external_id, form=form, actor_user_id=actor_user_id, publisher=publisher)


def change_account(
    session: Session,
    secret_key: str,
    account: ChannelAccount,
    *,
    name: str | None = None,
    external_id: str | None = None,
    settings: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    active: bool | None = None,
    actor_user_id: int | None,
    publisher: Publisher | None = None,
) -> list[str]:
    """:func:`update` with only what changes (the API; ``None``: unchanged): the settings named change (``""``
    removes one), the others stay; the secrets named are replaced (``""`` keeps the stored one). Returns the names
    of what changed."""
    try:
        connector = connector_for(account)
    except registry.UnknownNetwork:
        raise Invalid(f"the {account.network!r} connector is not installed on this server") from None
    _known(connector, settings or {}, connector.setting_fields, "settings")
    _known(connector, secrets or {}, connector.secret_fields, "secrets")
    current = {k: str(v) for k, v in (account.settings or {}).items() if k in connector.setting_fields}
    merged = {**current, **(settings or {})}
    form = {**{SETTING_PREFIX + k: v for k, v in merged.items()},
            **{SECRET_PREFIX + k: v for k, v in (secrets or {}).items()}}
    return update(session, secret_key, account, name=account.name if name is None else name,
                  external_id=account.external_id if external_id is None else external_id,
                  active=account.is_active if active is None else active, form=form, actor_user_id=actor_user_id,
                  publisher=publisher)


def store_renewed_secrets(session: Session, secret_key: str, account: ChannelAccount, renewed: dict[str, str], *,
                          publisher: Publisher | None = None) -> None:
    """Merge credentials a platform renewed (OAuth2 refresh) into the account, encrypted; audit it."""
    stored = decrypt_json(secret_key, account.secrets_encrypted)
    account.secrets_encrypted = encrypt_json(secret_key, {**stored, **renewed})
    timeline.channel_credentials_renewed(session, workspace_id=account.workspace_id, account_id=account.id,
                                         fields=sorted(renewed))  # names only, never values
    audit(session, publisher, account, "credentials_renewed", [f"{f} (secret)" for f in renewed], None)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def check(connector: Connector, ctx: AccountContext, timeout: float = CHECK_TIMEOUT) -> CheckResult:
    """``connector.check_connection`` with a short timeout; errors become a message (secrets scrubbed).
    Runs outside any database transaction: it waits on the network."""
    limited = replace(ctx, settings={**ctx.settings, "timeout": min(float(ctx.settings.get("timeout") or timeout),
                                                                     timeout)})
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            message = connector.check_connection(limited, client)
        ok = True
    except httpx.TimeoutException:
        ok, message = False, f"{connector.display_name} did not answer within {timeout:.0f} seconds"
    except Exception as exc:  # any failure is the answer the admin asked for
        ok, message = False, str(exc) or type(exc).__name__
    return CheckResult(ok, scrub(message, ctx.secrets)[:1000])


def record_check(session: Session, account: ChannelAccount, result: CheckResult, actor_user_id: int | None, *,
                 publisher: Publisher | None = None) -> None:
    """Keep the result of a connection test (:func:`check`) on the account."""
    account.checked_at = now()
    account.check_ok = result.ok
    account.check_result = result.message
    timeline.channel_tested(session, workspace_id=account.workspace_id, actor_user_id=actor_user_id,
                            account_id=account.id, network=account.network, ok=result.ok, result=result.message[:300])
    audit(session, publisher, account, "tested", ["check_ok", "check_result", "checked_at"], actor_user_id)
