"""Who the token belongs to; their own API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.orm import Session

from compris.accounts import actions, queries
from compris.accounts.schemas import MeOut, TokenCreated, TokenIn, TokenList, TokenOut
from compris.kit import origin
from compris.models import ApiToken, Workspace
from compris.web.api import serialize
from compris.web.api.common import OwnAccountApi, errors

router = APIRouter(tags=["me"])

TokenId = Annotated[int, Path(description="The token's id (see `GET /me/tokens`).", examples=[12])]


@router.get("/me", response_model=MeOut, summary="The token's user", responses=errors(403))
def me(ctx: OwnAccountApi) -> MeOut:
    """The user the token belongs to and their workspace. A cheap way to check a token."""
    workspace = ctx.session.get(Workspace, ctx.user.workspace_id)
    assert workspace is not None
    return serialize.me(ctx.user, workspace)


def _token(token: ApiToken) -> dict[str, object]:
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "scopes": token.scopes.split(),
            "state": queries.token_state(token), "created_at": token.created_at, "last_used_at": token.last_used_at,
            "expires_at": token.expires_at, "revoked_at": token.revoked_at}


def _calling_token(session: Session) -> ApiToken | None:
    """The token making this request (the request's origin names it: ``token:<id>``)."""
    ref = origin.of(session).ref or ""
    return session.get(ApiToken, int(ref[6:])) if ref.startswith("token:") and ref[6:].isdigit() else None


@router.get("/me/tokens", response_model=TokenList, summary="Your API tokens", responses=errors(403))
def list_tokens(ctx: OwnAccountApi) -> TokenList:
    """Your tokens with their scopes, expiry and last use (never the tokens themselves)."""
    return TokenList(items=[TokenOut.model_validate(_token(t)) for t in queries.user_tokens(ctx.session, ctx.user)])


@router.post("/me/tokens", status_code=201, response_model=TokenCreated, summary="Create an API token",
             responses=errors(403, 422))
def create_token(body: TokenIn, request: Request, ctx: OwnAccountApi) -> TokenCreated:
    """A new token of yours: the answer is the only time `token` is shown. A scope beyond your role, or beyond
    the scopes of the token making this call, is refused (422); so is a token outliving the one making this call
    (when that one expires, give an expiry no later than its own)."""
    caller = _calling_token(ctx.session)
    token, raw = actions.create_token(
        ctx.session, ctx.user, body.name, scopes=body.scopes, expires_in_days=body.expires_in_days,
        expires_at=body.expires_at, within_scopes=str(getattr(request.state, "token_scopes", "")),
        within_expires_at=caller.expires_at if caller is not None else None, publisher=ctx.runtime.publisher)
    return TokenCreated.model_validate({**_token(token), "token": raw})


@router.delete("/me/tokens/{token_id}", status_code=204, response_class=Response, summary="Revoke an API token",
               responses=errors(403, 404, 422, not_found="No such token of yours."))
def revoke_token(token_id: TokenId, ctx: OwnAccountApi) -> Response:
    """It stops working at once (revoking the token making this call is allowed: the next call gets 401)."""
    actions.revoke_token(ctx.session, ctx.user, token_id, publisher=ctx.runtime.publisher)
    return Response(status_code=204)
