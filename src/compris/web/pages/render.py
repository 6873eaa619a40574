"""Jinja2 environment and the helpers every page handler uses to answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.orm import Session

from compris import timeline
from compris.accounts import permissions
from compris.db import savepoint
from compris.kit.clock import now
from compris.kit.errors import ComprisError
from compris.models import Workspace
from compris.web import i18n
from compris.web.deps import PageContext, csrf_token

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


LABELS: dict[str, dict[str, str]] = {
    "status": {"new": "New", "open": "Open", "waiting_customer": "Waiting on customer",
               "waiting_partner": "Waiting on partner", "snoozed": "Snoozed", "resolved": "Resolved",
               "closed": "Closed", "active": "Active", "all": "All statuses"},
    "view": {"all": "All", "mine": "Mine", "unassigned": "Unassigned"},
    "sort": {"newest": "Newest first", "oldest": "Oldest first", "priority": "Priority", "due": "SLA due first",
             "needs_answer": "Needs an answer first"},
    # --- inbox (issue 18): the filter panel's priority bands, SLA states and case languages
    "priority_band": {"urgent": "Urgent (60+)", "high": "High (40-59)", "normal": "Normal (20-39)",
                      "low": "Low (under 20)"},
    "sla_state": {"breached": "Breached", "at_risk": "At risk", "on_track": "On track", "none": "No SLA"},
    "language": {"en": "English (en)", "fr": "French (fr)", "de": "German (de)", "es": "Spanish (es)",
                 "it": "Italian (it)", "nl": "Dutch (nl)", "pt": "Portuguese (pt)"},
    "delivery": {"queued": "Queued", "sending": "Sending", "retrying": "Retrying", "sent": "Sent",
                 "delivered": "Delivered", "read": "Read",
                 "failed": "Failed", "uncertain": "Uncertain", "manual": "To post by hand"},
    "visibility": {"public": "Public", "private": "Private", "note": "Internal note"},
    "intent": {"complaint": "Complaint", "question": "Question", "request": "Request", "praise": "Praise",
               "spam": "Spam", "other": "Other"},
    "sentiment": {"negative": "Negative", "neutral": "Neutral", "positive": "Positive"},
    "topic": {"delay": "Delay", "cancellation": "Cancellation", "baggage": "Baggage",
              "booking/payment": "Booking / payment", "refund": "Refund", "delivery": "Delivery",
              "customer service": "Customer service", "staff": "Staff", "product quality": "Product quality",
              "other": "Other topic"},
    "urgency": {"high": "High urgency", "normal": "Normal urgency", "low": "Low urgency"},
    "triage_field": {"intent": "Intent", "sentiment": "Sentiment", "topic": "Topic", "urgency": "Urgency",
                     "language": "Language"},
    "pii": {"email": "e-mail", "phone": "phone", "card": "payment card", "iban": "IBAN",
            "record_locator": "booking reference", "order_number": "order number", "address": "address"},
    "event": {kind.value: label for kind, label in timeline.LABELS.items()},
    "role": {"admin": "Admin", "supervisor": "Supervisor", "agent": "Agent", "analyst": "Analyst"},
    "sla": {"ok": "SLA on track", "at_risk": "SLA at risk", "breached": "SLA breached", "met": "SLA met",
            "paused": "SLA paused"},
}

#: The words of a priority's and an urgency's reasons, stored in English with the triage (``triage.core.priority``,
#: ``triage.rules.urgency_reasons``) and translated when shown; intents and sentiments come from ``LABELS``.
REASON_WORDS = frozenset({
    "promoted post", "verified account", "urgent", "safety", "accessibility", "medical", "stranded",
    "missed connection", "flight today", "legal threat", "time pressure", "on site (airport or station)",
    # what the customer reports (``triage.problems.reported_problem``), shown as "reports: not received, no answer"
    "reports", "not received", "cancelled", "lost", "charged twice", "overcharged", "refused", "wrong item",
    "broken", "blocked", "outage", "no answer", "delayed", "failure",
})
_COUNTED_REASON = re.compile(r"^(?P<num>\d[\d,]*) (?P<what>followers|reshares)$")
_WAITING_REASON = re.compile(r"^waiting (?P<num>\d+) (?P<unit>min|h|days)$")


def network_name(network: str, account: Any = None) -> str:
    """The network's name; with its channel ``account``, as that account shows it (the sandbox network's accounts
    name the platform they imitate)."""
    from compris.connectors import registry

    try:
        connector = registry.get(network)
    except registry.UnknownNetwork:
        return network
    settings = getattr(account, "settings", None)
    return connector.name_for(settings) if isinstance(settings, dict) else connector.display_name


def _new_gettext(func: Callable[[str], str]) -> Callable[..., str]:
    """Jinja's new-style gettext: the translation is trusted, the variables are escaped."""

    @pass_context
    def gettext(ctx: Context, message: str, /, **variables: Any) -> str:
        rv = func(message)
        if ctx.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 (our own catalogue, never customer text)
        if not variables and "%" not in rv:  # nothing to fill in (most labels): ``rv % {}`` would give rv again
            return rv
        return rv % variables

    return gettext


def _new_ngettext(func: Callable[[str, str, int], str]) -> Callable[..., str]:
    @pass_context
    def ngettext(ctx: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        rv = func(singular, plural, num)
        if ctx.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 (our own catalogue)
        return rv % variables

    return ngettext


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle gettext; the real callables are passed with each render (per user language)
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["can"] = can  # the permission table, in every template (macros included)
    env.filters["reason"] = _reason_filter
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def language_of(ctx: PageContext | None, request: Request) -> str:
    if ctx is not None:
        return i18n.normalise(ctx.user.language)
    return i18n.from_accept_language(request.headers.get("accept-language"))


def workspace_of(session: Session, ctx: PageContext) -> Workspace:
    workspace = session.get(Workspace, ctx.user.workspace_id)
    assert workspace is not None
    return workspace


@pass_context
def can(context: Context, permission: str) -> bool:
    """The templates' one permission check (``{% if can("cases.work") %}``): whether the page's user holds
    ``permission`` (a value or a name of :class:`compris.accounts.permissions.Permission`) — the table the routes
    use, so a button is shown exactly when its route would accept the click."""
    user = context.get("user")
    if user is None or not getattr(user, "is_active", True):
        return False
    return permissions.role_allows(str(user.role), permission, instance_admin=bool(getattr(user, "instance_admin",
                                                                                            False)))


def template_context(request: Request, ctx: PageContext | None, lang: str | None = None) -> dict[str, Any]:
    lang = lang or language_of(ctx, request)
    t = i18n.translations(lang)
    tz = workspace_of(ctx.session, ctx).timezone if ctx is not None else "UTC"
    at = now()
    gettext = _new_gettext(t.gettext)
    return {
        "request": request,
        "ctx": ctx,
        "user": ctx.user if ctx else None,
        "lang": lang,
        "tz": tz,
        "now": at,
        "csrf": csrf_token(request),
        "gettext": gettext,
        "_": gettext,
        "ngettext": _new_ngettext(t.ngettext),
        "tr": lambda message: _translate(t, message),
        "when": lambda value, style="medium": i18n.format_when(value, lang, tz, style=style),
        "when_iso": lambda value: _when_iso(value, lang, tz),
        "age": lambda value: i18n.format_age(value, at, lang),
        "count": lambda value: i18n.format_count(value, lang),
        "filesize": lambda value: i18n.format_size(value if isinstance(value, int) else None, lang),
        "number": lambda value, digits=1: i18n.format_number(value, lang, digits=digits),
        "percent": lambda share: i18n.format_percent(share, lang),
        "duration": lambda value, unit="seconds", length="long": i18n.format_duration(value, lang, unit=unit,
                                                                                       length=length),
        "template_name": lambda name: _template_name(t, name),
        "label": lambda group, value, **kw: (t.gettext(LABELS[group][value]) % kw
                                              if value in LABELS.get(group, {}) else value),
        "network_name": lambda network, account=None: t.gettext(network_name(network, account)),
        "reason": lambda text: _reason(t, lang, str(text)),
        "can": can,
        "query": lambda **params: urlencode({k: v for k, v in params.items() if v not in (None, "")}),
    }


def _reason(t: NullTranslations, lang: str, text: str) -> str:
    """One reason of a priority or an urgency (``complaint``, ``48,000 followers``, ``urgent: medical``...) in the
    user's language; an unknown one as it was stored."""
    for group in ("intent", "sentiment"):
        if text in LABELS[group]:
            label = t.gettext(LABELS[group][text])
            return label[:1].lower() + label[1:]
    if text.startswith("urgent: "):
        return f"{t.gettext('urgent')}: " + ", ".join(_reason(t, lang, r) for r in text[8:].split(", "))
    if text.startswith("reports: "):
        return f"{t.gettext('reports')}: " + ", ".join(_reason(t, lang, r) for r in text[9:].split(", "))
    if counted := _COUNTED_REASON.match(text):
        num = int(counted["num"].replace(",", ""))
        singular, plural = (("%(num)s follower", "%(num)s followers") if counted["what"] == "followers"
                            else ("%(num)s reshare", "%(num)s reshares"))
        return t.ngettext(singular, plural, num) % {"num": format_decimal(num, locale=lang)}
    if waiting := _WAITING_REASON.match(text):
        num = int(waiting["num"])
        time = (t.ngettext("%(num)s day", "%(num)s days", num) % {"num": num} if waiting["unit"] == "days"
                else f"{num} {waiting['unit']}")
        return t.gettext("waiting %(time)s") % {"time": time}
    return t.gettext(text) if text in REASON_WORDS else text


@cache
def default_template_names() -> frozenset[str]:
    """The names of the templates every workspace starts with (``replies.rendering.DEFAULT_TEMPLATES``), stored in
    English and shown in the reader's language."""
    from compris.replies.rendering import DEFAULT_TEMPLATES

    return frozenset(str(t["name"]) for t in DEFAULT_TEMPLATES)


def _template_name(t: NullTranslations, name: object) -> str:
    """A template's name: one of the default templates' in the user's language, any other as its author wrote it."""
    text = "" if name is None else str(name)
    return t.gettext(text) if text in default_template_names() else text


@pass_context
def _reason_filter(context: Context, text: object) -> str:
    """``{{ reasons|map("reason")|join(" · ") }}``: one priority or urgency reason in the page's language."""
    reason = context.get("reason")
    return reason(str(text)) if callable(reason) else str(text)


def _translate(t: NullTranslations, message: object) -> str:
    """Translate a runtime string (a connector's field label or help): no ``%`` formatting, plain text.

    The result is escaped by Jinja like any variable; empty or non-string values pass through as text.
    """
    if not isinstance(message, str) or not message:
        return "" if message is None else str(message)
    return str(t.gettext(message))


def _when_iso(value: object, lang: str, tz: str) -> str:
    if not isinstance(value, str):
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return i18n.format_when(parsed, lang, tz, style="short") if parsed.tzinfo else value


def render(
    request: Request,
    ctx: PageContext | None,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    lang: str | None = None,
    **variables: Any,
) -> HTMLResponse:
    context = template_context(request, ctx, lang)
    context.update(variables)
    html = environment().get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str = "/inbox") -> str:
    """Only a local path: ``/inbox?x=1`` yes; ``//evil.test``, ``https://...``, ``/\\evil`` no."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\r\n\t\\") or ":" in value.split("?", 1)[0]:
        return default
    return value


@contextmanager
def domain_action(session: Session) -> Iterator[None]:
    """Run a domain action in a savepoint: when it is refused (a :class:`ComprisError`), nothing it wrote (or
    published) remains."""
    with savepoint(session, ComprisError):
        yield
