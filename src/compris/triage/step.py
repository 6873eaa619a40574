"""The triage step of the inbound job: language, sentiment, intent, topic, urgency, personal data, reach, priority.

A workspace whose team retrained the models (``compris triage train --workspace SLUG``) gets its own models from
``<data_dir>/triage/<workspace id>/``; everyone else gets the shipped ones. Triage never stops a message from being
recorded: if it fails, the message is stored with the error noted and a neutral priority.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from compris.connectors.base import InboundMessage
from compris.models import ChannelAccount, Identity

if TYPE_CHECKING:
    from compris.triage import TriageModels

log = logging.getLogger(__name__)

_data_dir: Path | None = None


def configure(data_dir: Path) -> None:
    """Tell the step where retrained workspace models live (called by the runtime)."""
    global _data_dir
    _data_dir = data_dir


def workspace_model_dir(data_dir: Path, workspace_id: int) -> Path:
    return data_dir / "triage" / str(workspace_id)


def workspace_models(workspace_id: int, data_dir: Path | None = None) -> TriageModels:
    """The workspace's retrained models when it has some, else the shipped ones (both cached by the loader:
    after the first call this costs a few file checks, never a model load)."""
    from compris.triage import load_models

    where = data_dir if data_dir is not None else _data_dir
    if where is not None:
        own = workspace_model_dir(where, workspace_id)
        if (own / "manifest.json").exists():
            return load_models(own)
    return load_models()


def triage_message(
    session: Session, account: ChannelAccount, inbound: InboundMessage, identity: Identity
) -> dict[str, Any]:
    from compris.triage import triage

    try:
        models = workspace_models(account.workspace_id)
        result = triage(
            inbound.text,
            followers=identity.followers,
            verified=identity.verified,
            promoted=inbound.promoted,
            reshares=inbound.reshares,
            rating=inbound.rating,
            models=models,
        )
        return result.to_dict()
    except Exception as exc:  # triage must never lose a message
        log.exception("triage failed for %s message %s", account.network, inbound.platform_message_id)
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "priority": 0, "reasons": ["not triaged"]}


def workspace_corrections(session: Session, workspace_id: int) -> list[tuple[str, str, str]]:
    """The team's corrections, as (text, field, label), the latest per message and field."""
    from sqlalchemy import select

    from compris.models import TriageCorrection

    latest: dict[tuple[int, str], tuple[str, str, str]] = {}
    rows = session.scalars(
        select(TriageCorrection)
        .where(TriageCorrection.workspace_id == workspace_id)
        .order_by(TriageCorrection.created_at, TriageCorrection.id)
    )
    for row in rows:
        latest[(row.message_id, row.field)] = (row.text, row.field, row.label)
    return list(latest.values())
