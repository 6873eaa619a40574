"""Settings, from environment variables (12-factor). See docs/configuration.md."""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "placeholder", "dev"})


class ConfigError(Exception):
    pass


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of IP addresses and CIDR networks (``COMPRIS_TRUSTED_PROXIES``)."""
    found = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"COMPRIS_TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
    return tuple(found)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPRIS_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file and model files live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; default: SQLite file in data_dir.")
    secret_key: str = Field(default="change-me", description="Signs sessions and encrypts credentials.")
    demo: bool = Field(default=False, description="Demo mode: allows the placeholder secret, mounts the sandbox.")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of this Compris.")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=2, description="Worker threads inside `compris serve` (0: none).")
    poll_workers: int = Field(
        default=1,
        ge=0,
        description="Worker threads of their own for polling mailboxes (IMAP IDLE waits), beside the workers; "
        "0: the ordinary workers poll too.",
    )
    background_workers: int = Field(
        default=1,
        ge=0,
        description="Worker threads of their own for background computations (clustering similar messages), so "
        "that webhooks and sends never wait behind them; 0: the ordinary workers run them too.",
    )
    max_webhook_bytes: int = Field(default=1_048_576, description="Largest webhook body accepted.")
    sandbox: bool = Field(default=False, description="Mount the sandbox network at /sandbox-network.")
    login_max_failures: int = Field(default=5, description="Failed logins per e-mail and per IP in 15 minutes.")
    session_idle_timeout: int = Field(
        default=12 * 3600, ge=60, description="Seconds without any request after which a login ends (idle timeout)."
    )
    session_absolute_timeout: int = Field(
        default=7 * 24 * 3600, ge=60, description="Seconds after which a login ends whatever the activity."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated IP addresses or CIDR networks of the reverse proxies in front of Compris: "
        "X-Forwarded-For is read only when the peer is one of them (default none: the peer's address).",
    )
    raw_event_retention_days: int = 30
    log_format: Literal["text", "json"] = Field(
        default="text", description="`text` (a line per record, for a terminal) or `json` (one JSON object per line "
        "with the request id or the job, for a log pipeline).",
    )
    metrics_token: str = Field(
        default="", description="Bearer token a Prometheus scraper sends to read `/metrics` (and `compris worker "
        "--metrics-port`); empty: `/metrics` answers this machine's own clients (loopback) only.",
    )
    notification_retention_days: int = Field(
        default=60, ge=1, description="In-app notifications older than this many days are deleted (hourly), read or "
        "not (`docs/desk.md` → Notifications).",
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024,
        description="Largest file an agent may attach to a reply (bytes); each network may allow less.",
    )
    max_inbound_file_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1,
        description="Largest file a customer sends (an image in a DM, an e-mail's attachment) that Compris fetches "
        "and keeps (bytes); a larger one is shown as not stored.",
    )
    upload_orphan_hours: int = Field(
        default=24,
        ge=1,
        description="Uploads no reply carries (abandoned drafts' files) are deleted once untouched this long.",
    )
    media_url_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        description="How long a signed /media/<token> link given to a network to fetch an attachment stays valid.",
    )
    triage_accurate: Literal["off", "unsure", "all"] = Field(
        default="unsure",
        description="Re-score customer messages with the accurate triage path in a background job: never (off), "
        "when the fast path was unsure (unsure), or every message (all). Needs the accurate path installed.",
    )
    password_hash_cost: Literal["standard", "minimal"] = Field(
        default="standard",
        description="Argon2id cost of new password hashes: standard (64 MiB, 3 passes, 4 lanes), or minimal "
        "(8 KiB, 1 pass: no protection against guessing; test suites and the demo only).",
    )
    allow_local_http_endpoints: bool = Field(
        default=False,
        description="Accept http://127.0.0.1, http://[::1] and http://localhost as business action endpoints and "
        "outgoing webhook URLs, and customers' files at a loopback address (local stand-ins: tests and local "
        "development; business actions and files also allow them in demo mode); otherwise https:// is required and "
        "private or loopback addresses are refused.",
    )

    # single sign-on by OpenID Connect (docs/administration.md, "Single sign-on"): on when issuer and client id are set
    oidc_issuer: str = Field(
        default="",
        description="The OpenID Connect provider's issuer URL (its /.well-known/openid-configuration is read); "
        "empty: no single sign-on. https:// is required (http:// to a loopback address only where local "
        "endpoints are allowed: COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS or the demo).",
    )
    oidc_client_id: str = Field(default="", description="The client id Compris is registered with at the provider.")
    oidc_client_secret: str = Field(default="", description="The client secret (sent to the token endpoint only).")
    oidc_name: str = Field(
        default="single sign-on", description='The provider\'s name on the login button ("Sign in with <name>").'
    )
    oidc_allowed_domains: str = Field(
        default="",
        description="Comma-separated e-mail domains single sign-on accepts (example.com, example.fr); empty: any "
        "domain (a user must exist or be invited all the same).",
    )
    oidc_trust_email: bool = Field(
        default=False,
        description="Count an e-mail address as verified when the provider does not say (no email_verified claim: "
        "Microsoft Entra ID); only for a provider whose directory your own admins control (a tenant-specific "
        "issuer). An address the provider says is not verified is never matched.",
    )
    oidc_password_login: bool = Field(
        default=True,
        description="Keep signing in with a password beside single sign-on; false: single sign-on only (ignored "
        "while single sign-on is not configured).",
    )

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'compris.db').as_posix()}"
        if self.demo:
            self.sandbox = True
        self.trusted_proxy_networks  # noqa: B018 (refuse a malformed list at startup)
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` parsed (a bare address is a one-address network)."""
        return parse_networks(self.trusted_proxies)

    @property
    def oidc_enabled(self) -> bool:
        """Single sign-on is configured (an issuer and a client id)."""
        return bool(self.oidc_issuer.strip() and self.oidc_client_id.strip())

    @property
    def password_login(self) -> bool:
        """Signing in with a password is allowed (always, unless single sign-on is on and replaces it)."""
        return self.oidc_password_login or not self.oidc_enabled

    @property
    def oidc_domains(self) -> frozenset[str]:
        """``oidc_allowed_domains`` parsed (lower case; empty: any)."""
        return frozenset(d.strip().lower().lstrip("@") for d in self.oidc_allowed_domains.split(",") if d.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        return self.base_url.startswith("https://")

    def check_secret(self) -> None:
        """Refuse to run outside the demo with a placeholder secret key."""
        if self.demo:
            return
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
            raise ConfigError(
                "COMPRIS_SECRET_KEY is unset or a placeholder: set it to a long random value "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))"), '
                "or run the demo with COMPRIS_DEMO=1."
            )

    def check_password_hash_cost(self) -> None:
        """Refuse to serve real users with the minimal password hashing cost (meant for test suites)."""
        if self.password_hash_cost == "minimal" and not self.demo:  # noqa: S105 (a cost's name, not a secret)
            raise ConfigError(
                "COMPRIS_PASSWORD_HASH_COST=minimal leaves passwords unprotected: it is for test suites and the "
                "demo only; unset it (standard) to serve real users."
            )


@cache
def get_settings() -> Settings:
    return Settings()
