"""The partner's signed portal link: ``<base_url>/p/<token>``.

The token (:func:`compris.kit.signing.link_token`, purpose ``portal``) names the workspace, the escalation and the
escalation's ``link_version``, and carries an expiry (the partner's ``link_days`` from when it was made). Revoking
an escalation's links increments ``link_version``: every link made before names an old version and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from compris.kit.signing import LinkError, link_token, read_link_token
from compris.models import Escalation

PURPOSE = "portal"
PREFIX = "/p/"


@dataclass(frozen=True)
class PortalRef:
    workspace_id: int
    escalation_id: int
    version: int


def expiry(at: datetime, days: int) -> datetime:
    """When a link made at ``at`` for ``days`` days expires (a link lives one day at least)."""
    return at + timedelta(days=max(1, days))


def token_for(secret_key: str, escalation: Escalation, at: datetime, days: int) -> str:
    return link_token(secret_key, PURPOSE, {"w": escalation.workspace_id, "e": escalation.id,
                                            "v": escalation.link_version}, expiry(at, days))


def url_for(base_url: str, secret_key: str, escalation: Escalation, at: datetime, days: int) -> str:
    return f"{base_url.rstrip('/')}{PREFIX}{token_for(secret_key, escalation, at, days)}"


def read(secret_key: str, token: str, at: datetime) -> PortalRef:
    """What a portal token names; raises :class:`~compris.kit.signing.LinkError` (tampered, expired...). The
    caller still checks the escalation exists in that workspace and that ``version`` is its current one."""
    data = read_link_token(secret_key, PURPOSE, token, at)
    try:
        return PortalRef(int(data["w"]), int(data["e"]), int(data["v"]))
    except (KeyError, TypeError, ValueError):
        raise LinkError("malformed link") from None
