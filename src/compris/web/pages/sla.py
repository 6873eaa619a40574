"""SLA pages: the admin page (business hours, policies, alert webhook, published waits), the supervisor's
views (risk, expected waits and their accuracy, coverage, staffing) and the public expected wait
(``/public/wait/<public id>`` as JSON, ``…/<public id>.svg`` as a badge; no sign-in)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from compris.channels.queries import channel_accounts
from compris.kit.clock import now
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.models import (
    ACTIVE_STATUSES,
    Case,
    ChannelAccount,
    Contact,
    Team,
    WaitPublication,
)
from compris.routing import shifts
from compris.sla import actions, planning, queries, wait
from compris.web.deps import ManageDeskPage, PageContext, SupervisePage, get_runtime
from compris.web.pages.render import domain_action, language_of, network_name, redirect, render, workspace_of
from compris.web.pages.routing import rule_choices

router = APIRouter(include_in_schema=False)

RISK_SHOWN = 100


# --- admin ---------------------------------------------------------------------------------------


def _admin_page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    s = ctx.session
    base = ctx.runtime.settings.base_url.rstrip("/")
    hours = queries.business_hours(s, ws)

    def snippet(pub: WaitPublication) -> str:
        url = f"{base}/public/wait/{pub.public_id}"
        return f'<a href="{html.escape(url)}"><img src="{html.escape(url)}.svg" alt="Expected wait" height="20"></a>'

    choices = rule_choices(ctx)
    return render(request, ctx, "admin_sla.html", status_code=status_code,
                  choices=choices, choice_names={k: dict(v) for k, v in choices.items()},
                  accounts=channel_accounts(s, ws), pubs=queries.publications(s, ws),
                  settings=queries.settings(s, ws), hours=hours, policies=queries.policies(s, ws), error=error,
                  base=base, snippet=snippet, hours_text=shifts.render, hours_names={h.id: h.name for h in hours},
                  minutes=lambda v: "" if v is None else f"{v / 60:g}")


@router.get("/admin/sla")
def sla_page(request: Request, ctx: ManageDeskPage) -> Response:
    return _admin_page(request, ctx)


def _write(request: Request, ctx: PageContext, write: Callable[[], object], *, missing_ok: bool = False) -> Response:
    """Run one action; its refusal is shown on the page (nothing written). ``missing_ok``: deleting what is already
    gone (a second click) is no error."""
    try:
        with domain_action(ctx.session):
            write()
    except ComprisError as exc:
        if not (missing_ok and isinstance(exc, NotFound)):
            return _admin_page(request, ctx, error=exc.message, status_code=422)
    return redirect("/admin/sla")


@router.post("/admin/sla/hours")
def save_hours(
    request: Request,
    ctx: ManageDeskPage,
    name: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    lines: Annotated[str, Form()] = "",
) -> Response:
    return _write(request, ctx, lambda: actions.save_business_hours(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, name=name, timezone=timezone, lines=lines))


@router.post("/admin/sla/hours/{hours_id}/delete")
def delete_hours(request: Request, hours_id: int, ctx: ManageDeskPage) -> Response:
    return _write(request, ctx, lambda: actions.delete_business_hours(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, hours_id=hours_id), missing_ok=True)


def minutes_field(value: str, what: str) -> int | None:
    """A form's minutes (``"7.5"``, ``"7,5"``) as seconds; empty: ``None``."""
    value = value.strip().replace(",", ".")
    if not value:
        return None
    try:
        seconds = round(float(value) * 60)
    except ValueError as exc:
        raise Invalid(f"{what}: a number of minutes") from exc
    if seconds < 0:
        raise Invalid(f"{what}: not negative")
    return seconds


def _int_or(value: str, default: int | None, *, signed: bool = False) -> int | None:
    text = value.strip()
    digits = text.lstrip("-") if signed else text
    return int(text) if digits.isdigit() else default


def _account_id(value: str) -> int:
    if not value.strip().isdigit():
        raise Invalid(f"channel_account_ids: {value[:20]}")
    return int(value)


@router.post("/admin/sla/policies")
def add_policy(
    request: Request,
    ctx: ManageDeskPage,
    name: Annotated[str, Form()] = "",
    position: Annotated[str, Form()] = "0",
    networks: Annotated[list[str] | None, Form()] = None,  # the form's checkboxes (or one comma-separated text)
    intents: Annotated[list[str] | None, Form()] = None,
    channel_account_ids: Annotated[list[str] | None, Form()] = None,
    min_priority: Annotated[str, Form()] = "",
    first_response: Annotated[str, Form()] = "",
    next_response: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "",
    warn_before: Annotated[str, Form()] = "",
    business_hours_id: Annotated[str, Form()] = "",
) -> Response:
    def write() -> None:
        actions.create_policy(
            ctx.session, ctx.runtime.publisher, actor=ctx.user, name=name,
            position=_int_or(position, 0, signed=True) or 0, networks=",".join(networks or []),
            intents=",".join(intents or []),
            channel_account_ids=[_account_id(v) for v in channel_account_ids or [] if v.strip()],
            min_priority=_int_or(min_priority, None),
            first_response_s=minutes_field(first_response, "first response"),
            next_response_s=minutes_field(next_response, "next response"),
            resolution_s=minutes_field(resolution, "resolution"),
            warn_before_s=minutes_field(warn_before, "warn before"),
            business_hours_id=_int_or(business_hours_id, None))
    return _write(request, ctx, write)


@router.post("/admin/sla/policies/{policy_id}/delete")
def delete_policy(request: Request, policy_id: int, ctx: ManageDeskPage) -> Response:
    return _write(request, ctx, lambda: actions.delete_policy(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                              policy_id=policy_id), missing_ok=True)


@router.post("/admin/sla/settings")
def save_settings(
    request: Request,
    ctx: ManageDeskPage,
    webhook_url: Annotated[str, Form()] = "",
    alert_at_risk: Annotated[str, Form()] = "",
) -> Response:
    return _write(request, ctx, lambda: actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                              webhook_url=webhook_url,
                                                              alert_at_risk=bool(alert_at_risk)))


@router.post("/admin/sla/publications/{account_id}")
def save_publication(
    request: Request,
    account_id: int,
    ctx: ManageDeskPage,
    auto_ack: Annotated[str, Form()] = "",
    regenerate: Annotated[str, Form()] = "",
) -> Response:
    return _write(request, ctx, lambda: actions.set_publication(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                                account_id=account_id, auto_ack=bool(auto_ack),
                                                                regenerate=bool(regenerate)))


# --- supervisor ----------------------------------------------------------------------------------


@router.get("/supervisor")
def supervisor_page(request: Request, ctx: SupervisePage) -> Response:
    ws = ctx.user.workspace_id
    s = ctx.session
    risky = list(s.scalars(
        select(Case).where(Case.workspace_id == ws, Case.status.in_(ACTIVE_STATUSES),
                           Case.sla_status.in_(("at_risk", "breached")))
        .order_by(Case.sla_next_due_at.asc().nulls_last(), Case.id).limit(RISK_SHOWN)))  # ix_cases_ws_sla_next_due
    contacts = {c.id: c for c in s.scalars(select(Contact).where(Contact.id.in_({c.contact_id for c in risky})))} \
        if risky else {}
    teams = {t.id: t.name for t in s.scalars(select(Team).where(Team.workspace_id == ws))}
    accounts = list(s.scalars(select(ChannelAccount).where(ChannelAccount.workspace_id == ws,
                                                           ChannelAccount.is_active.is_(True))
                              .order_by(ChannelAccount.name)))
    waits = list(zip(accounts, wait.estimates(s, accounts), strict=True))
    return render(request, ctx, "supervisor.html", risky=risky, contacts=contacts, teams=teams, waits=waits,
                  wait_accuracy=wait.accuracy_report(s, ws))


@router.get("/supervisor/coverage")
def coverage_page(request: Request, ctx: SupervisePage) -> Response:
    channels = planning.channel_coverage(ctx.session, ctx.user.workspace_id, now())
    return render(request, ctx, "supervisor_coverage.html", channels=channels)


@router.get("/supervisor/staffing")
def staffing_page(request: Request, ctx: SupervisePage) -> Response:
    tz = workspace_of(ctx.session, ctx).timezone
    plan = planning.staffing(ctx.session, ctx.user.workspace_id, now(), tz)
    return render(request, ctx, "supervisor_staffing.html", plan=plan,
                  handle_minutes=round(plan.mean_handle.total_seconds() / 60, 1),
                  target_minutes=round(plan.target_wait.total_seconds() / 60, 1))


# --- public --------------------------------------------------------------------------------------

PUBLIC_HEADERS = {"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"}


#: the badge's colour: green only for a short wait, amber up to four hours, red beyond, grey when unknown
BADGE_GREEN_MAX = 60
BADGE_AMBER_MAX = 240
BADGE_COLOURS = {"short": "#0a7d55", "long": "#9a6700", "very_long": "#b42318", "unknown": "#5b6475"}


def wait_level(minutes: int | None) -> str:
    """``short`` (≤ 1 h), ``long`` (≤ 4 h), ``very_long``, or ``unknown``: the badge's and the page's colour."""
    if minutes is None:
        return "unknown"
    return "short" if minutes <= BADGE_GREEN_MAX else "long" if minutes <= BADGE_AMBER_MAX else "very_long"


def _badge(label: str, value: str, level: str = "short") -> str:
    lw, vw = 8 + 7 * len(label), 10 + 7 * len(value)
    w = lw + vw
    label, value = html.escape(label), html.escape(value)
    colour = BADGE_COLOURS.get(level, BADGE_COLOURS["unknown"])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" '
        f'aria-label="{label}: {value}"><title>{label}: {value}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="6" y="14">{label}</text><text x="{lw + 5}" y="14">{value}</text></g></svg>'
    )


def _wants_html(request: Request) -> bool:
    """A browser following the snippet's link (``Accept: text/html``) gets the page; programs get the JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


@router.get("/public/wait/{public_id}")
def public_wait(request: Request, public_id: str) -> Response:
    """The published expected wait: a page a customer can read (a browser), the JSON (``….json``, or any client
    that does not ask for HTML) and the badge (``….svg``). No sign-in; cached 60 s."""
    as_svg = public_id.endswith(".svg")
    as_json = public_id.endswith(".json")
    key = public_id.removesuffix(".svg").removesuffix(".json")
    page = not as_svg and not as_json and _wants_html(request)
    runtime = get_runtime(request)
    asked = request.query_params.get("lang", "")
    lang = ("fr" if asked.startswith("fr") else "en") if asked else language_of(None, request)
    lang = "fr" if lang == "fr" else "en"
    with runtime.db.transaction() as session:
        found = wait.by_public_id(session, key)
        if found is None:
            if page:
                return render(request, None, "public_wait.html", status_code=404, lang=lang, found=False,
                              headers={"Cache-Control": "no-store"})
            return JSONResponse({"error": "not found"}, status_code=404, headers={"Cache-Control": "no-store"})
        _pub, account = found
        est = wait.cached_estimate(session, account)
        name, network = account.name, account.network
        network_label = network_name(account.network, account)  # the platform the account stands for
        brand = wait.brand_name(session, account.workspace_id)
    minutes = est.minutes
    level = wait_level(minutes)
    headers = {**PUBLIC_HEADERS, "Vary": "Accept, Accept-Language"}
    if as_svg:
        label = "Temps de réponse" if lang == "fr" else "Response time"
        value = (f"~{wait.human_wait(minutes, lang)}" if minutes is not None
                 else ("inconnu" if lang == "fr" else "unknown"))
        return Response(_badge(label, value, level), media_type="image/svg+xml", headers=headers)
    if page:
        return render(request, None, "public_wait.html", lang=lang, headers=headers, found=True, brand=brand,
                      account=name, network_label=network_label, minutes=minutes, level=level,
                      why=est.unknown_because, wait_text=None if minutes is None else wait.human_wait(minutes, lang))
    return JSONResponse({
        "account": name,
        "network": network,
        "expected_wait_seconds": None if est.wait is None else int(est.wait.total_seconds()),
        "expected_wait_minutes": minutes,
        "known": minutes is not None,
        "level": level,
        "text": wait.ack_text(lang, minutes),
        "queue_ahead": est.queue_ahead,
        "online_agents": est.online_agents,
        "computed_at": est.computed_at.isoformat(),
    }, headers=headers)
