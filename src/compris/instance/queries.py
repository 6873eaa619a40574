"""Reads of the instance: its workspaces with how many users and cases each has."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris.models import Case, User, Workspace


@dataclass(frozen=True)
class WorkspaceRow:
    workspace: Workspace
    users: int  # active users
    cases: int


def workspaces(session: Session) -> list[WorkspaceRow]:
    """Every workspace of the instance, by name, with its active users and its cases."""
    users = {w: n for w, n in session.execute(select(User.workspace_id, func.count()).where(User.is_active)
                                              .group_by(User.workspace_id))}
    cases = {w: n for w, n in session.execute(select(Case.workspace_id, func.count()).group_by(Case.workspace_id))}
    return [WorkspaceRow(w, users.get(w.id, 0), cases.get(w.id, 0))
            for w in session.scalars(select(Workspace).order_by(Workspace.name, Workspace.id))]
