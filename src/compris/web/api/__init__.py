"""The JSON API (/api/v1), authenticated by personal API tokens.

Handlers are thin: parse the request, call a capability's queries or actions (``compris.inbox``,
``compris.routing.actions``, ``compris.sla.actions``, ``compris.replies.actions``) with the token user's
workspace, serialise the result. Each route names its permission (``common.ReadCasesApi``...: the table of
``accounts.permissions``; 403).
Every lookup is scoped to that workspace, so another workspace's case or message is simply "not found".
"""

from fastapi import APIRouter

from compris.web.api import (
    analytics,
    audit,
    bulk,
    business,
    cases,
    channels,
    clusters,
    contacts,
    escalation,
    escalation_followup,
    incidents,
    instance,
    listening_alerts,
    mail,
    me,
    messages,
    notifications,
    posts,
    privacy,
    privacy_export,
    raw_events,
    reply_settings,
    retention,
    routing,
    sla,
    subscriptions,
    survey_results,
    surveys,
    tags,
    templates,
    uploads,
    users,
)
from compris.web.api import views as inbox_views

router = APIRouter(prefix="/api/v1")
router.include_router(me.router)
router.include_router(instance.router)
router.include_router(audit.router)
router.include_router(cases.router)
router.include_router(contacts.router)
router.include_router(privacy_export.router)
router.include_router(messages.router)
router.include_router(posts.router)
router.include_router(channels.router)
router.include_router(uploads.router)
router.include_router(clusters.router)
router.include_router(routing.router)
router.include_router(sla.router)
router.include_router(templates.router)
router.include_router(reply_settings.router)
router.include_router(users.router)
router.include_router(escalation.router)
router.include_router(escalation_followup.router)
router.include_router(business.router)
router.include_router(survey_results.router)  # before surveys: /surveys/results is not a survey id
router.include_router(surveys.router)
router.include_router(mail.router)
router.include_router(subscriptions.router)
router.include_router(privacy.router)
router.include_router(raw_events.router)
router.include_router(tags.router)
router.include_router(bulk.router)
router.include_router(incidents.router)
router.include_router(listening_alerts.router)
router.include_router(analytics.router)
router.include_router(retention.router)
router.include_router(notifications.router)

__all__ = ["router"]
router.include_router(inbox_views.router)  # --- inbox (issue 18): saved views
