"""API shapes of channel accounts: the connected accounts and their networks' limits; for admins, connecting and
editing an account (secrets are write-only: answered redacted, never in full, but for the few a connector generates
for the admin to paste into the platform), its connection test and its published expected wait."""

from __future__ import annotations

from pydantic import Field

from compris.connectors.base import LengthUnit
from compris.kit.schemas import Schema, Timestamp


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



FIELD_VALUE = 2000  # longest setting or secret value (as on the admin form)
SETTINGS_HELP = ("The network's settings, by name (see the network's `setting_fields` in `docs/channels/`; the "
                 "sandbox has `api_base` and `flavour`). An unknown name is refused (422).")
SECRETS_HELP = ("Credentials, by name (the network's `secret_fields`): write-only, stored encrypted, never answered "
                "in full nor logged. An unknown name is refused (422).")


class ChannelAccountIn(Schema):
    """Connect an account. Secrets a network generates (Meta's verify token) are made up when left out."""

    network: str = Field(min_length=1, max_length=32, description="Network key (`GET /channels` shows the "
                         "installed ones as `network`).", examples=["facebook"])
    name: str = Field(min_length=1, max_length=200, examples=["Acme Airlines FR"])
    external_id: str = Field(min_length=1, max_length=200, description="The account's id on the network.",
                             examples=["104000000000001"])
    settings: dict[str, str] = Field(default_factory=dict, description=SETTINGS_HELP,
                                     examples=[{"api_base": "https://graph.facebook.com/v19.0"}])
    secrets: dict[str, str] = Field(default_factory=dict, description=SECRETS_HELP,
                                    examples=[{"app_secret": "…", "page_access_token": "…"}])


class ChannelAccountPatch(Schema):
    """Only what is given changes. `settings`: the names given change (`""` removes one), the others stay;
    `secrets`: the names given are replaced (`""` keeps the stored value), the others stay."""

    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["Acme Airlines France"])
    external_id: str | None = Field(default=None, min_length=1, max_length=200, examples=["104000000000001"])
    settings: dict[str, str] | None = Field(default=None, description=SETTINGS_HELP)
    secrets: dict[str, str] | None = Field(default=None, description=SECRETS_HELP,
                                           examples=[{"page_access_token": "…"}])
    is_active: bool | None = Field(default=None, description="`false` disables the account: deliveries are refused "
                                   "and no reply is sent from it; `true` enables it again.")


class SecretOut(Schema):
    """What is stored of one credential, as the admin page shows it."""

    name: str = Field(examples=["page_access_token"])
    is_set: bool = Field(description="Whether a value is stored.")
    shown: str = Field(description="The value redacted (at most its last four characters), or in full when "
                       "`in_full`; empty when not set.", examples=["••••mnop"])
    in_full: bool = Field(description="A value Compris generated for you to paste into the platform (Meta's verify "
                          "token): shown in full.")


class ChannelCheckOut(Schema):
    """The result of the connector's harmless test call (it reads the account; it never posts)."""

    ok: bool
    message: str = Field(description="The network's answer, or why it failed (credentials never appear).",
                         examples=["connected to the page Acme Airlines FR (104000000000001)"])
    checked_at: Timestamp


class ChannelAccountOut(ChannelOut):
    """An account as its admin page shows it: settings, which secrets are set (redacted), where the platform must
    send its webhooks, and the last connection test."""

    settings: dict[str, str] = Field(description="The network's settings, by name.")
    secrets: list[SecretOut] = Field(description="Each credential the network takes, redacted.")
    webhook_url: str | None = Field(description="Paste it into the platform's webhook settings (null: the network "
                                    "is polled, no webhook).", examples=["https://compris.example.com/webhooks/3"])
    last_check: ChannelCheckOut | None = Field(description="The last connection test (null: never tested).")


class WaitPublicationOut(Schema):
    """The channel account's published expected wait: a JSON and a badge under a public, non-guessable id."""

    channel_account_id: int = Field(examples=[3])
    published: bool = Field(description="False until a first `PATCH` publishes it (the ids below are then null).")
    public_id: str | None = Field(examples=["w_3kq9TzVb0pX1mYc2rA8s"])
    json_url: str | None = Field(description="No sign-in needed.",
                                 examples=["https://compris.example.com/public/wait/w_3kq9TzVb0pX1mYc2rA8s"])
    badge_url: str | None = Field(description="An SVG badge.",
                                  examples=["https://compris.example.com/public/wait/w_3kq9TzVb0pX1mYc2rA8s.svg"])
    auto_ack: bool = Field(description="Answer the first message of a new case with the expected wait.")


class WaitPublicationPatch(Schema):
    auto_ack: bool | None = Field(default=None, description="Turn the automatic acknowledgement on or off.")
    regenerate: bool = Field(default=False, description="A new public id: the old links stop working.")
