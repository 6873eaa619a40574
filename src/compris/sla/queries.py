"""Reads of the SLA's settings for the admin page and the API: business hours, policies, alerts, publications."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import BusinessHours, SlaPolicy, SlaSettings, WaitPublication


def business_hours(session: Session, workspace_id: int) -> list[BusinessHours]:
    return list(session.scalars(select(BusinessHours).where(BusinessHours.workspace_id == workspace_id)
                                .order_by(BusinessHours.name)))


def policies(session: Session, workspace_id: int) -> list[SlaPolicy]:
    """The policies in the order they are tried."""
    return list(session.scalars(select(SlaPolicy).where(SlaPolicy.workspace_id == workspace_id)
                                .order_by(SlaPolicy.position, SlaPolicy.id)))


def settings(session: Session, workspace_id: int) -> SlaSettings | None:
    """The workspace's alert settings (``None``: never saved; the defaults apply)."""
    return session.scalar(select(SlaSettings).where(SlaSettings.workspace_id == workspace_id))


def publications(session: Session, workspace_id: int) -> dict[int, WaitPublication]:
    """Channel account id → its published expected wait."""
    return {p.channel_account_id: p for p in session.scalars(select(WaitPublication)
                                                              .where(WaitPublication.workspace_id == workspace_id))}
