"""The triage step of the inbound job (language, sentiment, intent, urgency, personal data, reach)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from compris.connectors.base import InboundMessage
from compris.models import ChannelAccount, Identity


def triage_message(
    session: Session, account: ChannelAccount, inbound: InboundMessage, identity: Identity
) -> dict[str, Any]:
    return {}
