"""What the admin's connect and edit forms of a channel account show: the networks, their fields, the secrets
redacted.

Secrets are shown back only redacted (except the few a connector generates for the admin to paste into the
platform, such as Meta's verify token). The form's writes are :mod:`compris.channels.actions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from compris.channels.accounts import connector_for
from compris.connectors import registry
from compris.connectors.base import Connector
from compris.kit.crypto import decrypt_json, redact
from compris.models import ChannelAccount

SECRET_PREFIX = "secret_"  # noqa: S105 - a form field prefix
SETTING_PREFIX = "setting_"


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


def webhook_url(base_url: str, account: ChannelAccount) -> str:
    """The address a network posts this account's events to (what the admin pastes in the platform's settings)."""
    return f"{base_url.rstrip('/')}/webhooks/{account.id}"
