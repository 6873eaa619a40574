"""``POST /contacts/{id}/export``: the contact's personal data as a ZIP archive (the right of access), downloaded
from the "Personal data" box of the contact page. A POST with the CSRF token, not a link: the export is an action
the audit log records (who exported whose data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from compris.kit.errors import NotFound
from compris.privacy import export
from compris.web.deps import PrivacyPage
from compris.web.pages.render import domain_action, render

router = APIRouter(include_in_schema=False)


def zip_response(archive: export.Archive) -> StreamingResponse:
    """The archive as a download, streamed from its spooled file (closed once sent, or when the client leaves)."""
    return StreamingResponse(
        archive.chunks(), media_type="application/zip", background=BackgroundTask(archive.close),
        headers={"Content-Disposition": f'attachment; filename="{archive.filename}"',
                 "Content-Length": str(archive.size), "Cache-Control": "no-store",
                 "X-Content-Type-Options": "nosniff"})


@router.post("/contacts/{contact_id}/export")
def export_personal_data(contact_id: int, request: Request, ctx: PrivacyPage) -> Response:
    """Download ``compris-contact-<id>-<date>.zip`` (admins: the privacy permission)."""
    try:
        with domain_action(ctx.session):
            archive = export.export_contact(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                            contact_id=contact_id, data_dir=ctx.runtime.settings.data_dir)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return zip_response(archive)
