"""What the customer panel of a case page shows (``_customer.html``): each identity with its network's profile link,
the notes about the customer, and the contacts that are probably the same customer (issue 18)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError

from compris.connectors import registry
from compris.inbox import queries, same_customer
from compris.inbox.queries import CaseView, NoteRow
from compris.models import ChannelAccount, Identity
from compris.web.deps import PageContext


@dataclass
class IdentityRow:
    identity: Identity
    account: ChannelAccount | None = None
    profile_url: str | None = None


@dataclass
class CustomerPanel:
    identities: list[IdentityRow]
    notes: list[NoteRow]
    suggestions: list[same_customer.Suggestion] = field(default_factory=list)
    language: str | None = None


def profile_url(identity: Identity, account: ChannelAccount | None) -> str | None:
    if identity.platform_user_id.startswith("erased:"):
        return None
    try:
        connector = registry.get(identity.network)
    except registry.UnknownNetwork:
        return None
    return connector.profile_url(account.settings or {} if account else {},
                                 platform_user_id=identity.platform_user_id, handle=identity.handle)


def language_name(code: str | None, ui_language: str) -> str | None:
    if not code or code == "unknown":
        return None
    try:
        name = Locale.parse(ui_language).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return name or code


def customer_panel(ctx: PageContext, contact_id: int, identities: list[Identity], language: str | None,
                   *, with_suggestions: bool = True) -> CustomerPanel:
    session, workspace_id = ctx.session, ctx.user.workspace_id
    accounts = queries.identity_accounts(session, contact_id)
    rows = [IdentityRow(i, accounts.get(i.id), profile_url(i, accounts.get(i.id))) for i in identities]
    return CustomerPanel(
        identities=rows,
        notes=queries.customer_notes(session, workspace_id, contact_id),
        suggestions=same_customer.suggestions(session, workspace_id, contact_id) if with_suggestions else [],
        language=language_name(language, ctx.user.language or "en"),
    )


def panel(ctx: PageContext, view: CaseView) -> dict[str, Any]:
    """The case page's variables for the customer panel."""
    return {"customer": customer_panel(ctx, view.contact.id, view.identities, view.contact.language)}
