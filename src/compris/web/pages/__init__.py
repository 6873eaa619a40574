"""Server-rendered agent UI (Jinja2 + HTMX + server-sent events).

``router`` carries every page and mounts the static files at ``/static`` (vendored htmx, app.js, app.css).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles

from compris.web.pages import (
    admin,
    analytics,
    audit_log,
    auth,
    bulk,
    business,
    case,
    channel_admin,
    clusters,
    contacts,
    escalation,
    escalation_followup,
    inbox,
    incidents,
    instance,
    listening_alerts,
    mail_admin,
    manual_send,
    portal,
    posts,
    privacy,
    privacy_export,
    replies,
    retention,
    sessions,
    settings_hub,
    sso,
    subscriptions,
    survey_page,
    survey_results,
    surveys,
    tokens,
    uploads,
)
from compris.web.pages import notifications as notifications_pages
from compris.web.pages import people as people_pages
from compris.web.pages import routing as routing_pages
from compris.web.pages import sla as sla_pages
from compris.web.pages.render import STATIC

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(inbox.router)
router.include_router(bulk.router)
router.include_router(case.router)
router.include_router(manual_send.router)
router.include_router(contacts.router)
router.include_router(privacy_export.router)
router.include_router(posts.router)
router.include_router(tokens.router)
router.include_router(sessions.router)
router.include_router(instance.router)
router.include_router(settings_hub.router)
router.include_router(admin.router)
router.include_router(channel_admin.router)
router.include_router(replies.router)
router.include_router(routing_pages.router)
router.include_router(sla_pages.router)
router.include_router(uploads.router)
router.include_router(escalation.router)
router.include_router(escalation_followup.router)
router.include_router(portal.router)
router.include_router(business.router)
router.include_router(privacy.router)
router.include_router(surveys.router)
router.include_router(survey_page.router)
router.include_router(survey_results.router)
router.include_router(mail_admin.router)
router.include_router(subscriptions.router)
router.include_router(incidents.router)
router.include_router(clusters.router)
router.include_router(listening_alerts.router)
router.include_router(analytics.router)
router.include_router(sso.router)
router.include_router(people_pages.router)
router.include_router(retention.router)
router.include_router(audit_log.router)
router.include_router(notifications_pages.router)
router.mount("/static", StaticFiles(directory=STATIC), name="static")


def install(app: FastAPI) -> None:
    """Mount the static files on ``app`` (only needed when ``router`` is not included, which mounts them too)."""
    if not any(getattr(r, "path", None) == "/static" for r in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC), name="static")


__all__ = ["install", "router"]
