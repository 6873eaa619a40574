"""Connecting and editing channel accounts from the admin pages, and testing their credentials.

Secrets are encrypted at rest (``kit/crypto``), shown back only redacted (except the few a connector
generates for the admin to paste into the platform, such as Meta's verify token), never logged, and
kept unchanged on edit unless a new value is typed. Every change is audited (``compris.timeline``, rows with no
case: ``channel_connected``, ``channel_updated``, ``channel_tested``) and emits
:class:`compris.events.SettingsChanged` (entity ``channel_account``).
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import timeline
from compris.channels.safety import scrub
from compris.channels.service import audit, connector_for, context, create_account
from compris.connectors import registry
from compris.connectors.base import AccountContext, Connector
from compris.kit.clock import now
from compris.kit.crypto import decrypt_json, encrypt_json, redact
from compris.kit.errors import Conflict, Invalid
from compris.live import Publisher
from compris.models import ChannelAccount

CHECK_TIMEOUT = 8.0  # seconds: an admin is waiting for the answer
SECRET_PREFIX = "secret_"  # noqa: S105 - a form field prefix
SETTING_PREFIX = "setting_"
MAX_VALUE = 2000


@dataclass(frozen=True)
class FieldSpec:
    """One input of the connect/edit form."""

    name: str
    label: str
    help: str
    secret: bool
    required: bool = False
    generated: bool = False

    @property
    def input_name(self) -> str:
        return (SECRET_PREFIX if self.secret else SETTING_PREFIX) + self.name


def _label(connector: Connector, name: str) -> str:
    return connector.field_labels.get(name) or name.replace("_", " ").capitalize()


def field_specs(connector: Connector) -> list[FieldSpec]:
    """Secrets first, then settings, with the connector's labels and help texts."""
    specs = [
        FieldSpec(name, _label(connector, name), connector.field_help.get(name, ""), secret=True,
                  required=name not in connector.optional_fields and name not in connector.generated_fields,
                  generated=name in connector.generated_fields)
        for name in connector.secret_fields
    ]
    specs += [
        FieldSpec(name, _label(connector, name), connector.field_help.get(name, ""), secret=False)
        for name in connector.setting_fields
    ]
    return specs


def external_id_spec(connector: Connector) -> FieldSpec:
    return FieldSpec("external_id", connector.field_labels.get("external_id") or "Account id on the network",
                     connector.field_help.get("external_id", ""), secret=False, required=True)


def networks() -> list[Connector]:
    """Every registered network an admin can connect, by display name."""
    return sorted(registry.connectors().values(), key=lambda c: c.display_name.lower())


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


@dataclass(frozen=True)
class SecretView:
    name: str
    shown: str  # redacted, or in full for a generated field the admin pastes elsewhere
    in_full: bool


def secret_views(secret_key: str, account: ChannelAccount) -> dict[str, SecretView]:
    connector = connector_for(account)
    stored = decrypt_json(secret_key, account.secrets_encrypted)
    views = {}
    for field in connector.secret_fields:
        value = stored.get(field, "")
        in_full = field in connector.generated_fields
        views[field] = SecretView(field, value if in_full else (redact(value) if value else ""), in_full)
    return views


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


__all__ = ["CheckResult", "FieldSpec", "check", "connect", "context", "field_specs", "record_check",
           "secret_views", "update"]
