"""Fanning one delivery out to the accounts it names (Meta: one callback URL per app, many Pages).

Meta lets an app register a single callback URL per object type, so the deliveries of every Page (or
Instagram account, or WhatsApp number) connected through one app arrive at whichever Compris account's
URL was pasted into the app's console, batched together. At receive time, after the receiving account
verified the signature, the delivery is also stored for each *other* account that

* belongs to the same workspace (never another one: a delivery cannot cross workspaces),
* is of the same network and active,
* has its ``external_id`` among the ids the connector reads from the delivery (``routing_ids``), and
* verifies the delivery's signature with its own credentials (the same app secret).

Each copy is stored idempotently under the same event key and processed on its own; every account's
``parse`` keeps its own entries and skips the others, so nothing is recorded twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.channels.accounts import context
from compris.connectors.base import Connector, SignatureError, WebhookRequest
from compris.kit.crypto import SecretsError
from compris.models import ChannelAccount

log = logging.getLogger(__name__)


def siblings_named(
    session: Session, secret_key: str, account: ChannelAccount, connector: Connector, request: WebhookRequest
) -> list[ChannelAccount]:
    """The other accounts a delivery verified by ``account`` also belongs to (the receiver stores it for each)."""
    named = connector.routing_ids(request.body) - {account.external_id}
    if not named:
        return []
    siblings = session.scalars(
        select(ChannelAccount)
        .where(
            ChannelAccount.workspace_id == account.workspace_id,
            ChannelAccount.network == account.network,
            ChannelAccount.external_id.in_(sorted(named)),
            ChannelAccount.is_active.is_(True),
            ChannelAccount.id != account.id,
        )
        .order_by(ChannelAccount.id)
    )
    found: list[ChannelAccount] = []
    for sibling in siblings:
        try:
            connector.verify(context(sibling, secret_key), request)
        except (SignatureError, SecretsError):
            log.warning(
                "delivery to account %s names account %s, whose credentials do not verify it: not routed",
                account.id,
                sibling.id,
            )
            continue
        found.append(sibling)
    if found:
        log.info("delivery to account %s fanned out to accounts %s", account.id, [s.id for s in found])
    return found
