"""The JSON API (/api/v1), authenticated by personal API tokens.

Handlers are thin: parse the request, call ``compris.inbox.queries`` / ``compris.inbox.actions`` with the
token user's workspace, serialise the result. Every lookup is scoped to that workspace, so another
workspace's case or message is simply "not found".
"""

from fastapi import APIRouter

from compris.web.api import cases, channels, contacts, me, messages, uploads

router = APIRouter(prefix="/api/v1")
router.include_router(me.router)
router.include_router(cases.router)
router.include_router(contacts.router)
router.include_router(messages.router)
router.include_router(channels.router)
router.include_router(uploads.router)

__all__ = ["router"]
