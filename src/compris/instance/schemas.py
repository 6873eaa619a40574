"""API shapes of the instance: its workspaces; a new one and its first admin's invitation (instance admins)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp


class InstanceWorkspaceOut(Schema):
    id: int = Field(examples=[2])
    slug: str = Field(examples=["globex"])
    name: str = Field(examples=["Globex"])
    timezone: str = Field(examples=["Europe/Paris"])
    default_language: str = Field(examples=["fr"])
    created_at: Timestamp
    users: int = Field(description="Its active users.", examples=[12])
    cases: int = Field(description="Its cases.", examples=[3400])


class InstanceWorkspaceList(Schema):
    items: list[InstanceWorkspaceOut] = Field(description="Every workspace of this server, by name.")


class InstanceWorkspaceIn(Schema):
    """A new workspace and its first admin, invited by e-mail (they choose their password from the link)."""

    slug: str = Field(min_length=2, max_length=63, pattern="^[a-z0-9][a-z0-9-]{1,62}$",
                      description="Lower-case letters, digits, dashes; unique.", examples=["globex"])
    name: str = Field(min_length=1, max_length=200, examples=["Globex"])
    timezone: str = Field(default="UTC", description="An IANA time zone.", examples=["Europe/Paris"])
    default_language: Literal["en", "fr"] = Field(default="en", examples=["fr"])
    admin_email: str = Field(min_length=3, max_length=254, description="The first admin's e-mail (not yet a user "
                             "of this server).", examples=["it@globex.test"])
    admin_name: str = Field(default="", max_length=200, examples=["Hank Scorpio"])


class InstanceWorkspaceCreated(Schema):
    workspace: InstanceWorkspaceOut
    invitation_id: int = Field(examples=[5])
    invitation_link: str = Field(description="The first admin's accept link (single use, expiring): hand it over "
                                 "if it was not e-mailed.", examples=["https://care.example/invitations/..."])
    invitation_sent: bool = Field(description="Whether it was e-mailed (the new workspace has no outgoing mail "
                                  "set up yet, so usually not).")
