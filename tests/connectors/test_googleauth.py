"""Google's OAuth 2.0 token renewal, shared by the Google reviews and YouTube connectors, against a stand-in."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors.base import AccountContext, ConnectorError
from compris.connectors.googleauth import refresh_access_token

from .standin import Reply, StandIn


def _account(api: StandIn, **secrets: str) -> AccountContext:
    return AccountContext(account_id=1, workspace_id=1, network="youtube", external_id="UC1",
                          settings={"client_id": "cid.apps.googleusercontent.com",
                                    "token_url": f"{api.base_url}/token"},
                          secrets={"client_secret": "shh", "refresh_token": "1//rt", **secrets})


def test_renews_with_the_refresh_token(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/token", Reply(200, {"access_token": "ya29.new", "expires_in": 3599, "token_type": "Bearer"}))
    assert refresh_access_token(_account(api), http, network="YouTube") == {"access_token": "ya29.new"}
    form = dict(httpx.QueryParams(api.only().body.decode()))
    assert form == {"grant_type": "refresh_token", "refresh_token": "1//rt",
                    "client_id": "cid.apps.googleusercontent.com", "client_secret": "shh"}


def test_a_refused_renewal_says_why(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/token", Reply(400, {"error": "invalid_grant", "error_description": "Token has been expired"}))
    with pytest.raises(ConnectorError, match="Token has been expired"):
        refresh_access_token(_account(api), http, network="YouTube")


def test_missing_credentials_and_bad_bodies(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(ConnectorError, match="needed"):
        refresh_access_token(_account(api, refresh_token=""), http, network="YouTube")
    api.on("POST", "/token", Reply(200, body=b"not json"))
    with pytest.raises(ConnectorError, match="unexpected"):
        refresh_access_token(_account(api), http, network="YouTube")
