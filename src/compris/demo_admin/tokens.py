"""The demo's API tokens and instance part: the demo admin is an instance admin (Instance → Workspaces), and the
analyst (loaded before, by ``demo_admin.people``) has one read-only token for their monthly figures (made here,
never printed: only its fingerprint is kept, as for every token). Idempotent."""

from __future__ import annotations

from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.instance.actions import set_instance_admin
from compris.models import ApiToken, Role, User
from compris.runtime import Runtime

ANALYST_TOKEN = "Monthly figures (read-only)"  # noqa: S105 (a token's name, not a secret)


def load(runtime: Runtime, workspace_id: int, users: dict[str, int]) -> None:
    with runtime.db.transaction() as session:
        admin = session.get(User, users["admin"])
        if admin is not None and admin.workspace_id == workspace_id:
            set_instance_admin(session, admin, True, publisher=runtime.publisher)
        # the analyst: the users' "analyst" key, else the workspace's first active analyst (demo_admin.people)
        analyst = session.get(User, users["analyst"]) if "analyst" in users else session.scalar(
            select(User).where(User.workspace_id == workspace_id, User.role == Role.ANALYST, User.is_active)
            .order_by(User.id).limit(1))
        if analyst is None or analyst.workspace_id != workspace_id:
            return
        exists = session.scalar(select(ApiToken.id).where(ApiToken.user_id == analyst.id,
                                                          ApiToken.name == ANALYST_TOKEN))
        if exists is None:
            accounts.create_token(session, analyst, ANALYST_TOKEN, scopes="read", expires_in_days=365,
                                  publisher=runtime.publisher)  # the token itself is dropped: never printed
