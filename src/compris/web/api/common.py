"""What every API route shares: token authentication, the error body and the documented error responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field

from compris.accounts.permissions import Permission, scope_needed, scopes_cover
from compris.kit.errors import Forbidden
from compris.kit.schemas import Schema
from compris.replies.schemas import FindingOut
from compris.web.deps import PageContext, api_user, require


class ErrorDetail(Schema):
    field: str = Field(description="Where the problem is: a body field, a query parameter or a header.",
                       examples=["visibility"])
    message: str = Field(description="What is wrong with it.", examples=["Input should be 'public' or 'private'"])


class ErrorOut(Schema):
    """Every error has this shape."""

    error: str = Field(description="A human-readable explanation.", examples=["no such case"])
    details: list[ErrorDetail] | None = Field(
        default=None, description="One entry per invalid field (422 on malformed input only)."
    )
    findings: list[FindingOut] | None = Field(
        default=None, description="The reply guard's findings when it refused a reply (422 on replies only)."
    )


# Declares the Bearer scheme in the OpenAPI document (the "Authorize" button of /api/docs);
# the check itself is ``api_user`` (a personal token, not revoked, of an active user).
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PersonalToken",
    bearerFormat="cpr_…",
    description="A personal API token: `Authorization: Bearer cpr_...`. Create one with "
    "`compris create-token EMAIL` or under Settings → API tokens.",
)


def api_context(
    ctx: PageContext = Depends(api_user),
    _credentials: HTTPAuthorizationCredentials | None = Security(bearer),
) -> PageContext:
    return ctx


Api = Annotated[PageContext, Depends(api_context)]
"""The token's user, the request's session (one transaction) and the runtime."""


def require_api(request: Request, ctx: PageContext, permission: Permission) -> PageContext:
    """The API's permission check: the token's user holds ``permission`` (:func:`compris.web.deps.require`) and the
    token the scope the request needs; ``Forbidden`` (403) otherwise, naming the missing scope."""
    require(ctx, permission)
    needed = scope_needed(permission, request.method)
    if not scopes_cover(str(getattr(request.state, "token_scopes", "")), needed):
        raise Forbidden(f"this token's scopes do not allow this: it needs the {needed!r} scope")
    return ctx


def api_permission(permission: Permission) -> Callable[..., PageContext]:
    """An API dependency: the token's user must hold ``permission`` and the token the scope the request needs
    (:func:`compris.accounts.permissions.scope_needed`). Carries ``.permission`` for the route-by-route test."""

    def dependency(request: Request, ctx: Api) -> PageContext:
        return require_api(request, ctx, permission)

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


OwnAccountApi = Annotated[PageContext, Depends(api_permission(Permission.OWN_ACCOUNT))]
ReadCasesApi = Annotated[PageContext, Depends(api_permission(Permission.READ_CASES))]
WorkCasesApi = Annotated[PageContext, Depends(api_permission(Permission.WORK_CASES))]
ReportsApi = Annotated[PageContext, Depends(api_permission(Permission.VIEW_REPORTS))]
SuperviseApi = Annotated[PageContext, Depends(api_permission(Permission.SUPERVISE))]
ManageDeskApi = Annotated[PageContext, Depends(api_permission(Permission.MANAGE_DESK))]
ChannelsApi = Annotated[PageContext, Depends(api_permission(Permission.MANAGE_CHANNELS))]
PeopleApi = Annotated[PageContext, Depends(api_permission(Permission.MANAGE_PEOPLE))]
SettingsApi = Annotated[PageContext, Depends(api_permission(Permission.MANAGE_SETTINGS))]
AuditApi = Annotated[PageContext, Depends(api_permission(Permission.VIEW_AUDIT))]
PrivacyApi = Annotated[PageContext, Depends(api_permission(Permission.MANAGE_PRIVACY))]
InstanceApi = Annotated[PageContext, Depends(api_permission(Permission.MANAGE_INSTANCE))]


def errors(*codes: int, not_found: str | None = None) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route, for the OpenAPI document (``not_found``: what a 404 means here)."""
    text = {
        401: "Missing, invalid or revoked token (with `WWW-Authenticate: Bearer`).",
        403: "Your role does not allow this.",
        404: "No such case or message in your workspace.",
        409: "The request conflicts with the current state.",
        422: "Invalid input: `details` names each field.",
    }
    if not_found:
        text[404] = not_found
    return {code: {"model": ErrorOut, "description": text[code]} for code in (401, *codes)}
