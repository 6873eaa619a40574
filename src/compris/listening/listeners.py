"""listeners of listening (filled in by its issue)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import MessageReceived
from compris.listening import clusters
from compris.live import Publisher


# --- clusters (li-clusters) --------------------------------------------------------------------------------------
@listens(MessageReceived, order=120)
def mark_for_clustering(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    """A customer's new message is marked for the clustering job (one insert: nothing is computed inline)."""
    clusters.mark_message(session, event)
