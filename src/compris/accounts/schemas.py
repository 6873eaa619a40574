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
    is_active: bool | None = Field(default=None, description="`false` deactivates the user (their sessions and "
                                   "tokens stop working, routing gives them no new case); `true` brings them back.")
