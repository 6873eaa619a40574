"""Personal data: erase a contact's personal data, list the erasures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from compris.models import Erasure
from compris.privacy import erasure_queries
from compris.privacy.actions.erasure import erase_contact
from compris.privacy.schemas import ErasureIn, ErasureOut
from compris.web.api.common import PrivacyApi, errors

router = APIRouter()

ContactId = Annotated[int, Path(description="The contact id (a case's `contact.id`).", examples=[12])]


def erasure_out(row: Erasure) -> ErasureOut:
    return ErasureOut(id=row.id, contact_id=row.contact_id, source=row.source, requested_by_id=row.requested_by_id,
                      confirmation_code=row.confirmation_code, status=row.status, reason=row.reason,
                      created_at=row.created_at, done_at=row.done_at,
                      counts={str(k): int(v) for k, v in (row.counts or {}).items()})


@router.post("/contacts/{contact_id}/erasure", status_code=201, response_model=ErasureOut,
             summary="Erase a contact's personal data", tags=["privacy"],
             responses=errors(403, 404, 422, not_found="No such contact in your workspace."))
def erase(contact_id: ContactId, body: ErasureIn, ctx: PrivacyApi) -> ErasureOut:
    """Removes the contact's personal data everywhere (name, identities, the content of their cases' messages and
    files, raw deliveries, survey comments, escalation texts, business action inputs, listening copies, e-mails);
    keeps the facts (cases, message counts and times, ratings: the reports' figures do not change). Cannot be
    undone. A new message from the same person afterwards opens a new contact. Erasing again is harmless (the
    new record counts nothing). Admins only, with a token of the `admin` scope."""
    row = erase_contact(ctx.session, ctx.runtime.publisher, workspace_id=ctx.user.workspace_id,
                        contact_id=contact_id, source="api", requested_by=ctx.user, reason=body.reason,
                        data_dir=ctx.runtime.settings.data_dir)
    return erasure_out(row)


@router.get("/erasures", response_model=list[ErasureOut], summary="List the erasures", tags=["privacy"],
            responses=errors(403))
def list_erasures(ctx: PrivacyApi) -> list[ErasureOut]:
    """The workspace's erasure records, newest first (at most 200): source, who, when, counts, confirmation
    code. They hold no personal data."""
    return [erasure_out(r) for r in erasure_queries.erasures(ctx.session, ctx.user.workspace_id)]
