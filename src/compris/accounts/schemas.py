"""API shapes of accounts: the token's user and workspace."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema


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
    role: Literal["admin", "supervisor", "agent"] = Field(examples=["agent"])
    language: str = Field(description="Interface language.", examples=["fr"])
    workspace: WorkspaceOut


class UserRef(Schema):
    id: int = Field(examples=[7])
    name: str = Field(examples=["Camille Martin"])

