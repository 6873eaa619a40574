"""Google's OAuth 2.0 for installed connectors (Business Profile reviews, YouTube): renew an access token with the
refresh token an admin pasted (``POST https://oauth2.googleapis.com/token``, grant_type=refresh_token).

Google access tokens last an hour; the refresh token does not rotate (the answer has none unless Google chose to
issue a new one, which is then kept). The token endpoint is a setting (``token_url``) so tests point it at a
local stand-in.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from compris.connectors.base import AccountContext, ConnectorError

TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (an address, not a password)
#: the secrets a Google connector asks for, and their labels and help on the admin page
SECRET_FIELDS = ("client_secret", "refresh_token", "access_token")
OPTIONAL_FIELDS = ("access_token",)
FIELD_LABELS = {
    "client_id": "OAuth client ID",
    "client_secret": "OAuth client secret",
    "refresh_token": "Refresh token",
    "access_token": "Access token (optional)",
    "token_url": "Token endpoint",
}
FIELD_HELP = {
    "client_id": "Google Cloud console → APIs & Services → Credentials → your OAuth 2.0 client (type "
                 "\"Web application\"): its client ID.",
    "client_secret": "The same OAuth client's secret.",
    "refresh_token": "Obtained once by signing in with the brand's Google account and granting the scope this "
                     "network needs (offline access); Compris renews the hour-long access tokens with it.",
    "access_token": "Leave empty: Compris obtains one with the refresh token and renews it when it expires.",
    "token_url": "Leave empty for Google's own (https://oauth2.googleapis.com/token).",
}


def refresh_access_token(account: AccountContext, client: httpx.Client, *, network: str) -> Mapping[str, str]:
    """A new access token for ``account`` (``{"access_token": ..., ["refresh_token": ...]}``), or raise
    :class:`ConnectorError` saying why (the admin must then reconnect the account)."""
    refresh_token = account.secrets.get("refresh_token", "")
    client_id = str(account.settings.get("client_id") or "")
    client_secret = account.secrets.get("client_secret", "")
    if not (refresh_token and client_id and client_secret):
        raise ConnectorError(f"{network}: the client ID, client secret and refresh token are needed to renew "
                             "the access token; reconnect the account")
    url = str(account.settings.get("token_url") or TOKEN_URL)
    try:
        response = client.post(url, data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                          "client_id": client_id, "client_secret": client_secret})
    except httpx.TransportError as exc:
        raise ConnectorError(f"could not reach Google to renew the access token: {type(exc).__name__}") from None
    if response.status_code != 200:
        reason = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                reason = str(body.get("error_description") or body.get("error") or "")[:200]
        except ValueError:
            pass
        raise ConnectorError(f"Google refused to renew the access token ({response.status_code}"
                             f"{': ' + reason if reason else ''}); reconnect the account")
    try:
        data = response.json()
        access = str(data["access_token"])
    except (ValueError, KeyError, TypeError):
        raise ConnectorError("Google answered the token renewal with an unexpected body") from None
    if not access:
        raise ConnectorError("Google answered the token renewal without an access token")
    renewed = {"access_token": access}
    if isinstance(data.get("refresh_token"), str) and data["refresh_token"]:
        renewed["refresh_token"] = data["refresh_token"]
    return renewed
