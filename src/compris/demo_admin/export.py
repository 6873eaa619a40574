"""The demo's personal-data export: the admin once exported the data of the customer with the most cases, so the
audit log shows a ``ContactExported`` entry (who exported whose data) beside the other administrative actions."""

from __future__ import annotations

from sqlalchemy import func, select

from compris.kit import origin
from compris.models import Case, Contact, User
from compris.privacy import export
from compris.runtime import Runtime


def load(runtime: Runtime, workspace_id: int, users: dict[str, int]) -> None:
    admin_id = users.get("admin")
    if admin_id is None:
        return
    with runtime.db.transaction() as session:
        origin.mark(session, origin.Origin(via="session"))
        admin = session.get(User, admin_id)
        contact_id = session.scalar(
            select(Case.contact_id).join(Contact, Contact.id == Case.contact_id)
            .where(Case.workspace_id == workspace_id, Contact.merged_into_id.is_(None))
            .group_by(Case.contact_id).order_by(func.count().desc(), Case.contact_id).limit(1))
        if admin is None or contact_id is None:
            return
        archive = export.export_contact(session, runtime.publisher, actor=admin, contact_id=contact_id,
                                        data_dir=runtime.settings.data_dir)
        archive.close()
