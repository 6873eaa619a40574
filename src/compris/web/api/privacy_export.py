"""``GET /api/v1/contacts/{id}/export``: a contact's personal data as a ZIP archive (the right of access)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from compris.privacy import export
from compris.web.api.common import PrivacyApi, errors
from compris.web.api.contacts import ContactId
from compris.web.pages.privacy_export import zip_response

router = APIRouter()

_DESCRIPTION = (
    "The ZIP archive of everything the workspace holds about the contact, named `compris-contact-<id>-<date>.zip`: "
    "`README.txt` (English and French: what each file is, when the archive was made and by whom), `contact.json` "
    "(the contact, the contacts merged into it, every identity on each network, the threads), `cases.json`, "
    "`messages.json` and `messages.csv` (public and private messages from and to them), `notes.json` (the team's "
    "internal notes, apart), `attachments/` (the files, with `index.json`), `raw_events/` (the deliveries their "
    "messages came from, as received; one that also carried another person's message is listed as withheld), "
    "`surveys.json`, `escalations.json`, `business_actions.json`, `timeline.json`, `audit.json`, `listening.json`, "
    "`triage_corrections.json`, `mails.json`. The export is recorded in the audit log (`ContactExported`). Needs "
    "the privacy permission (admins) and a token with the `admin` scope."
)


@router.get(
    "/contacts/{contact_id}/export", summary="Export a contact's personal data", response_class=StreamingResponse,
    description=_DESCRIPTION, tags=["privacy"],
    responses={**errors(403, 404, 422, not_found="No such contact in your workspace."),
               200: {"description": "The archive (`Content-Disposition: attachment`).",
                     "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
def export_contact(contact_id: ContactId, ctx: PrivacyApi) -> StreamingResponse:
    archive = export.export_contact(ctx.session, ctx.runtime.publisher, actor=ctx.user, contact_id=contact_id,
                                    data_dir=ctx.runtime.settings.data_dir)
    return zip_response(archive)
