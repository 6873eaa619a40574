"""API shapes of channel accounts: the connected accounts and their networks' limits."""

from __future__ import annotations

from pydantic import Field

from compris.connectors.base import LengthUnit
from compris.kit.schemas import Schema


class ChannelRef(Schema):
    id: int = Field(description="Channel account id (use it as `channel_account_id`).", examples=[3])
    name: str = Field(examples=["@AcmeAir on X"])
    network: str = Field(examples=["x"])


class ChannelLimits(Schema):
    public_max_length: int | None = Field(description="Longest public reply the network accepts (null: no limit).",
                                          examples=[280])
    private_max_length: int | None = Field(description="Longest private message (null: no limit).",
                                           examples=[10000])
    length_unit: LengthUnit = Field(description="How the network counts a text's length: `characters`, `graphemes` "
                                    "(what a reader sees as one character) or `x` (X's weighted count: links 23, "
                                    "emoji and CJK characters 2, the mentions that open a reply free).",
                                    examples=["characters"])


class ChannelOut(Schema):
    """A connected account on a network. Credentials are never returned."""

    id: int = Field(examples=[3])
    network: str = Field(description="Network key.", examples=["x"])
    network_name: str = Field(description="The network's display name.", examples=["X"])
    name: str = Field(examples=["@AcmeAir on X"])
    external_id: str = Field(description="The account's id on the network.", examples=["1203948"])
    is_active: bool = Field(description="Whether deliveries are accepted and replies sent.")
    always_on: bool = Field(description="Customers expect answers around the clock on this account.")
    limits: ChannelLimits | None = Field(description="The network's limits (null if the connector is not installed).")


class ChannelList(Schema):
    items: list[ChannelOut]

