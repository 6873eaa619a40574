"""API shapes of accounts: the token's user and workspace; the workspace's users (admins). A password is
write-only: never answered, never logged (only its argon2 hash is stored, and never answered either)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

RoleName = Literal["admin", "supervisor", "agent", "analyst"]


class WorkspaceOut(Schema):
    id: int = Field(examples=[1])
    slug: str = Field(description="The workspace's short name.", examples=["acme"])
    name: str = Field(examples=["Acme Airlines"])
    timezone: str = Field(description="IANA time zone of the workspace.", examples=["Europe/Paris"])


class MeOut(Schema):
    """The user the token belongs to; every call acts as this user, inside this workspace."""

    id: int = Field(examples=[7])
    email: str = Field(examples=["agent@acme.test"])
    name: str = Field(examples=["Camille Martin"])
    role: RoleName = Field(examples=["agent"])
    language: str = Field(description="Interface language.", examples=["fr"])
    workspace: WorkspaceOut


class UserRef(Schema):
    id: int = Field(examples=[7])
    name: str = Field(examples=["Camille Martin"])



class UserOut(Schema):
    """A user of the workspace (never their password or its hash)."""

    id: int = Field(examples=[7])
    email: str = Field(examples=["camille@acme.test"])
    name: str = Field(examples=["Camille Martin"])
    role: RoleName = Field(examples=["agent"])
    language: str = Field(description="Interface language (`en` or `fr`).", examples=["fr"])
    is_active: bool = Field(description="A deactivated user cannot sign in and their tokens do not work.")
    last_login_at: Timestamp | None = Field(description="Last sign-in to the web UI (null: never).")
    created_at: Timestamp
    team_ids: list[int] = Field(default_factory=list, description="The routing teams the user is in.",
                                examples=[[2]])
    sso_linked: bool = Field(default=False, description="Whether the user signs in with single sign-on.")


class UserList(Schema):
    items: list[UserOut] = Field(description="Every user, deactivated ones too, by name.")


class UserIn(Schema):
    """A new user, who signs in with this e-mail and password (as with `compris create-user`; hand the password
    over your usual safe way)."""

    email: str = Field(min_length=3, max_length=254, description="Unique across the server.",
                       examples=["camille@acme.test"])
    name: str = Field(default="", max_length=200, description="Default: the e-mail.", examples=["Camille Martin"])
    role: RoleName = Field(default="agent", examples=["agent"])
    language: str = Field(default="en", pattern="^(en|fr)$", examples=["fr"])
    password: str = Field(min_length=10, max_length=200, description="At least 10 characters. Write-only: stored "
                          "as an argon2 hash, never answered.", examples=["correct horse battery"])


class UserPatch(Schema):
    """Only what is given changes. The workspace keeps at least one active admin (409 otherwise)."""

    role: RoleName | None = Field(default=None, examples=["supervisor"])
    is_active: bool | None = Field(default=None, description="`false` deactivates the user (their sessions end "
                                   "and their API tokens are revoked at once, routing gives them no new case); "
                                   "`true` brings them back (with new tokens: the revoked ones stay revoked).")
    team_ids: list[int] | None = Field(default=None, description="The routing teams the user is in (the whole "
                                       "list: teams left out are left).", examples=[[2, 3]])
    languages: list[str] | None = Field(default=None, description="Routing skill: the languages the user answers "
                                        "in (empty: any).", examples=[["fr", "en"]])
    networks: list[str] | None = Field(default=None, description="Routing skill: the networks the user handles "
                                       "(empty: any).", examples=[["x"]])


InvitationState = Literal["pending", "accepted", "revoked", "expired"]


class InvitationOut(Schema):
    """An invitation to join the workspace. Its link lets the invited person choose their password (never
    answered: nobody but them knows it)."""

    id: int = Field(examples=[4])
    email: str = Field(examples=["nina@acme.test"])
    name: str = Field(examples=["Nina Roux"])
    role: RoleName = Field(examples=["agent"])
    team_ids: list[int] = Field(description="The teams the user joins on accepting.", examples=[[2]])
    language: str = Field(description="The invitation's and the user's language (`en` or `fr`).", examples=["fr"])
    state: InvitationState = Field(examples=["pending"])
    expires_at: Timestamp
    sent_at: Timestamp | None = Field(description="When it was e-mailed (null: the workspace has no outgoing mail; "
                                      "hand the link over yourself).")
    accepted_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
    created_at: Timestamp
    link: str | None = Field(default=None, description="The accept link while the invitation is pending (single "
                             "use; re-sending makes a new one); null otherwise.",
                             examples=["https://compris.acme.test/invitations/eyJpIjo0fQ.c2ln"])


class InvitationList(Schema):
    items: list[InvitationOut] = Field(description="The workspace's invitations, newest first.")


class InvitationIn(Schema):
    """Invite someone: they receive an e-mail (when the workspace has outgoing mail) with a link valid 7 days to
    choose their password; accepting creates their user in this role, teams and language."""

    email: str = Field(min_length=3, max_length=254, description="Not yet a user's on this server.",
                       examples=["nina@acme.test"])
    name: str = Field(default="", max_length=200, examples=["Nina Roux"])
    role: RoleName = Field(default="agent", examples=["agent"])
    team_ids: list[int] = Field(default_factory=list, examples=[[2]])
    language: str = Field(default="en", pattern="^(en|fr)$", examples=["fr"])


    is_active: bool | None = Field(default=None, description="`false` deactivates the user (their sessions and "
                                   "tokens stop working, routing gives them no new case); `true` brings them back.")


# --- personal API tokens (GET/POST/DELETE /me/tokens) ---------------------------------------------------------

ScopeName = Literal["read", "write", "admin"]


class TokenOut(Schema):
    """One of your API tokens. The token itself is never answered here: it is shown once, when it is made."""

    id: int = Field(examples=[12])
    name: str = Field(examples=["CRM sync"])
    prefix: str = Field(description="The token's first characters, to recognise it.", examples=["cpr_Xy7kQ2"])
    scopes: list[ScopeName] = Field(description="What it may do: `read`; `read` and `write`; or all three "
                                    "(`admin`: what only admins may).", examples=[["read", "write"]])
    state: Literal["active", "expiring", "expired", "revoked"] = Field(
        description="`expiring`: it expires within 7 days.", examples=["active"])
    created_at: Timestamp
    last_used_at: Timestamp | None = Field(description="Last call made with it (to the minute; null: never).")
    expires_at: Timestamp | None = Field(description="Null: it never expires.")
    revoked_at: Timestamp | None


class TokenList(Schema):
    items: list[TokenOut] = Field(description="Your tokens: the usable ones first, newest first.")


class TokenIn(Schema):
    """A new token of yours. Scopes left out: `read` and `write` (plus `admin` for admins); never more than your
    role allows (`admin` is for admins) nor, when made with a token, than that token's own scopes."""

    name: str = Field(min_length=1, max_length=100, examples=["CRM sync"])
    scopes: list[ScopeName] | None = Field(default=None, min_length=1, description="Each scope implies those "
                                           "below it (`write` gives `read` too).", examples=[["read"]])
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="It stops working after this "
                                        "many days.", examples=[90])
    expires_at: Timestamp | None = Field(default=None, description="Or: it stops working at this time (in the "
                                         "future). Neither: it never expires.")


class TokenCreated(TokenOut):
    """The new token, with the token itself: store it now, it is never answered again."""

    token: str = Field(description="`Authorization: Bearer <token>`. Shown once.", examples=["cpr_Xy7kQ2..."])
