"""Clusters of similar messages (read only): the workspace's clusters and one cluster with its members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from compris.listening import clusters
from compris.listening.schemas import ClusterDetail, ClusterList, ClusterMemberOut, ClusterOut
from compris.models import Cluster
from compris.web.api.common import ReadCasesApi, errors

router = APIRouter(prefix="/clusters", tags=["listening"])

ClusterId = Annotated[int, Path(description="See `GET /clusters`.", examples=[7])]


def _out(c: Cluster) -> dict[str, object]:
    return {"id": c.id, "label": c.label, "keywords": list(c.keywords or []), "open": c.open, "size": c.size,
            "languages": dict(c.languages or {}), "networks": dict(c.networks or {}),
            "first_message_at": c.first_message_at, "last_message_at": c.last_message_at, "closed_at": c.closed_at,
            "incident_id": c.incident_id}


@router.get("", response_model=ClusterList, summary="List clusters of similar messages",
            responses=errors(422))
def list_clusters(ctx: ReadCasesApi, open: bool = Query(False, description="Only the open clusters."),
                  limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=100_000)) -> ClusterList:
    """The workspace's clusters of two messages or more, open ones first, the most recently active first."""
    rows = clusters.list_clusters(ctx.session, ctx.user.workspace_id, open_only=open, limit=limit, offset=offset)
    return ClusterList(clusters=[ClusterOut(**_out(c)) for c in rows])  # type: ignore[arg-type]


@router.get("/{cluster_id}", response_model=ClusterDetail, summary="Read a cluster and its messages",
            responses=errors(404, 422, not_found="No such cluster in your workspace."))
def get_cluster(cluster_id: ClusterId, ctx: ReadCasesApi) -> ClusterDetail:
    """The cluster and its first 200 messages, in arrival order."""
    ws = ctx.user.workspace_id
    cluster = clusters.get_cluster(ctx.session, ws, cluster_id)
    members = [ClusterMemberOut(message_id=msg.id, case_number=case.number, text=msg.text, language=msg.language,
                                sent_at=msg.sent_at, similarity=m.similarity)
               for m, msg, case in clusters.cluster_members(ctx.session, ws, cluster.id)]
    return ClusterDetail(**_out(cluster), members=members)  # type: ignore[arg-type]
