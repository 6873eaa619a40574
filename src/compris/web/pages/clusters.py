"""Clusters of similar messages: the supervisors' list, one cluster's page, and the line on the case page
("Part of a group of N similar messages")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from compris.inbox.queries import CaseView
from compris.kit.errors import NotFound
from compris.listening import clusters
from compris.models import Incident
from compris.web.deps import PageContext, ReadCasesPage, SupervisePage
from compris.web.pages.render import render

router = APIRouter(include_in_schema=False)


def panel(ctx: PageContext, view: CaseView) -> dict[str, Any]:
    """The variables of the case page's cluster line (``_case_cluster.html``)."""
    cluster = clusters.case_cluster(ctx.session, ctx.user.workspace_id, view.case.id)
    return {"case_cluster": cluster if cluster is not None and cluster.size >= 2 else None}


@router.get("/listening/clusters")
def clusters_page(request: Request, ctx: SupervisePage,
                  show: str = Query("open", pattern="^(open|all)$")) -> Response:
    rows = clusters.list_clusters(ctx.session, ctx.user.workspace_id, open_only=show == "open", limit=200)
    return render(request, ctx, "listening_clusters.html", clusters=rows, show=show,
                  alert_size=clusters.ALERT_SIZE)


@router.get("/listening/clusters/{cluster_id}")
def cluster_page(cluster_id: int, request: Request, ctx: ReadCasesPage) -> Response:
    try:
        cluster = clusters.get_cluster(ctx.session, ctx.user.workspace_id, cluster_id)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    members = clusters.cluster_members(ctx.session, ctx.user.workspace_id, cluster.id)
    incident = (ctx.session.scalar(select(Incident.number).where(Incident.workspace_id == ctx.user.workspace_id,
                                                                Incident.id == cluster.incident_id))
                if cluster.incident_id is not None else None)
    return render(request, ctx, "listening_cluster.html", cluster=cluster, members=members, incident_number=incident)
