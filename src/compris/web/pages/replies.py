"""The reply box's helpers and the reply admin pages.

Case side (any signed-in user of the workspace):
- ``POST /cases/{n}/guard``: the guard's findings for the draft being typed (an HTML fragment, nothing stored);
- ``GET /cases/{n}/templates?q=``: templates matching ``q``, rendered for this case (variables filled);
- ``POST /cases/{n}/move-private``: the move-to-private action;
- ``GET /cases/{n}/suggestions``: similar resolved cases and their replies.

Admin side: ``/admin/templates`` (admins and supervisors), ``/admin/tone`` (admins), ``/admin/guard`` (guard
statistics, admins and supervisors).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from compris.connectors.base import Visibility
from compris.inbox.queries import get_case
from compris.kit.errors import ComprisError, NotFound
from compris.models import Case, ReplyTemplate, Role, TemplatePurpose, User
from compris.replies import actions as reply_actions
from compris.replies import queries as reply_queries
from compris.replies import rendering
from compris.replies import settings as reply_settings
from compris.replies import suggestions as reply_suggestions
from compris.replies.context import situation
from compris.replies.guard import RULES, Finding
from compris.web import i18n
from compris.web.deps import ManageDeskPage, PageContext, ReadCasesPage, WorkCasesPage
from compris.web.pages.render import domain_action, environment, redirect, render, template_context

router = APIRouter(include_in_schema=False)

#: rule names as the UI shows them (msgids of the French catalogue)
RULE_LABELS: dict[str, str] = {
    "office_hours": "Office-hours deflection",
    "send_elsewhere": "Sends the customer elsewhere",
    "review_bargain": "Bargains for a review",
    "asks_personal_data": "Asks for personal data in public",
    "echoes_personal_data": "Repeats personal data in public",
    "no_acknowledgement": "No acknowledgement of a complaint",
    "blame": "Blame or argument",
    "repeated_text": "Same text already sent",
    "wrong_language": "Not the customer's language",
    "too_long": "Too long for the network",
    "window_closed": "Reply window closed",
    "unauthorised_promise": "Promise beyond your permissions",
    "tone_words": "Word to avoid",
    "tone_signoff": "Sign-off missing",
    "tone_address": "Wrong form of address",
    "tone_emoji": "Emoji",
    "review_incentive": "Incentive in a reply to a review",
    "review_change_request": "Asks to change or remove a review",
    "review_personal_data": "Reviewer's personal data",
    "emoji_refused": "Emoji the network refuses",
}
PERMISSION_LABELS = {"refund": "Refund", "compensation": "Compensation", "voucher": "Voucher"}
STATS_PERIODS = (7, 30)


def rule_label(lang: str, rule: str) -> str:
    return i18n.gettext(lang, RULE_LABELS[rule]) if rule in RULE_LABELS else rule


def parse_override(value: str, send_anyway: str = "") -> set[str]:
    """The warnings the agent overrode: rule ids (comma-separated), or every warning ("Send anyway")."""
    rules = {part.strip() for part in value.split(",") if part.strip()}
    if send_anyway:
        rules.add(reply_actions.ALL_WARNINGS)
    return rules


def parse_reply_to(value: str) -> int | None:
    """The customer message a reply answers (the reply box's thread): empty is "the latest"; anything but an id
    names no message (0), so that the reply is refused rather than sent elsewhere."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() else 0


def parse_template_id(value: str | int | None) -> int | None:
    if isinstance(value, int):
        return value
    return int(value) if value and value.strip().isdigit() else None


# --- the reply box's context ---------------------------------------------------------------------------


@dataclass
class ReplyTools:
    """What the reply box shows beside the draft: tone guide, @handle to start with, move to private."""

    tone_guide: str
    mention: str
    can_move_private: bool
    unit: str
    network: str | None
    #: the network's name when its public replies are posted by hand by the agent (Tripadvisor), else None
    manual_public: str | None = None


def reply_tools(session: Any, case: Case, user: User) -> ReplyTools:
    settings = reply_queries.workspace_reply_settings(session, case.workspace_id)
    place = situation(session, case, Visibility.PUBLIC)
    has_public = place.target is not None and place.target.visibility == Visibility.PUBLIC
    return ReplyTools(
        tone_guide=settings.tone_guide,
        mention=place.mention if has_public else "",
        can_move_private=has_public and (place.connector is None or place.account is None
                                         or place.connector.has_private_messages(place.account.settings or {})),
        unit=place.unit,
        network=place.network,
        manual_public=(place.network_name or place.network) if (
            has_public and place.connector is not None and place.account is not None
            and place.connector.replies_by_hand(place.account.settings or {})) else None,
    )


def refusal_message(lang: str, exc: ComprisError) -> str:
    """A translated explanation of why a reply was not sent."""
    if isinstance(exc, reply_actions.GuardRefused):
        if exc.blocked:
            return i18n.gettext(lang, "The reply guard blocks this reply: fix the findings below.")
        return i18n.gettext(lang, "Check the reply guard's warnings below, or send anyway.")
    if isinstance(exc, rendering.MissingVariables):
        return i18n.gettext(lang, "Fill in before sending: %(names)s",
                            names=", ".join("{" + n + "}" for n in exc.names))
    return i18n.error_text(lang, exc)


def record_refusal(ctx: PageContext, case: Case, exc: reply_actions.GuardRefused, *, override: Collection[str],
                   attempt_key: str | None) -> None:
    """Keep the findings that stopped a reply (after the refused action's savepoint was rolled back)."""
    reply_actions.record_guard_events(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case,
                                      findings=exc.findings, override=override, attempt_key=attempt_key or None,
                                      source="ui")


def finding_views(lang: str, findings: Sequence[Finding], override: Collection[str] = ()) -> list[dict[str, Any]]:
    """Findings as the guard panel shows them (the fix as data for ``replies.js``)."""
    out = []
    for f in findings:
        fix = f.fix
        out.append({
            "rule": f.rule,
            "label": rule_label(lang, f.rule),
            "severity": f.severity,
            "message": f.message,
            "span": f.span,
            "fix_kind": fix.kind if fix else None,
            "fix_text": fix.text if fix else None,
            "fix_action": fix.action if fix else None,
            "overridden": f.severity == "warning" and (f.rule in override or reply_actions.ALL_WARNINGS in override),
        })
    return out


def _fragment(request: Request, ctx: PageContext, name: str, status_code: int = 200, **variables: Any) -> Response:
    context = template_context(request, ctx)
    context.update(variables)
    html = environment().get_template(name).render(context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _case_or_404(ctx: PageContext, number: int, *, for_update: bool = False) -> Case:
    return get_case(ctx.session, ctx.user.workspace_id, number, for_update=for_update)


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


@router.post("/cases/{number}/guard")
def guard_fragment(
    number: int,
    request: Request,
    ctx: WorkCasesPage,
    text: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = Visibility.PUBLIC,
    template_id: Annotated[str, Form()] = "",
    override: Annotated[str, Form()] = "",
    reply_to: Annotated[str, Form()] = "",
    guard_refused: Annotated[str, Form()] = "",
) -> Response:
    """The findings panel for the draft being typed (nothing is stored), for the thread picked in the reply box
    (``reply_to``). ``guard_refused``: the last send was stopped by the guard; the panel keeps saying so (with
    "send anyway") only while findings remain, so that its state is always the draft's (issue 18, defect 4)."""
    try:
        case = _case_or_404(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    if visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        visibility = Visibility.PUBLIC
    result = reply_actions.check_draft(ctx.session, case, ctx.user, text=text[:20_000], visibility=visibility,
                                       template_id=parse_template_id(template_id),
                                       reply_to_message_id=parse_reply_to(reply_to))
    lang = i18n.normalise(ctx.user.language)
    return _fragment(request, ctx, "_guard.html", findings=finding_views(lang, result.findings,
                                                                         parse_override(override)),
                     check=result, case=case, oob=False, refused=bool(guard_refused))


@router.get("/cases/{number}/templates")
def template_list(number: int, request: Request, ctx: ReadCasesPage, q: str = "") -> Response:
    """Templates matching ``q``, each rendered for this case in the customer's language."""
    try:
        case = _case_or_404(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    found = reply_queries.search(ctx.session, ctx.user.workspace_id, q[:200])
    rendered = reply_queries.render_many(ctx.session, found, case, ctx.user)
    return _fragment(request, ctx, "_template_list.html", rendered=rendered, q=q, case=case)


@router.get("/cases/{number}/suggestions")
def suggestion_list(number: int, request: Request, ctx: ReadCasesPage) -> Response:
    try:
        case = _case_or_404(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    return _fragment(request, ctx, "_suggestions.html", suggestions=reply_suggestions.suggest(ctx.session, case),
                     case=case)


@router.post("/cases/{number}/move-private")
def move_private(
    number: int,
    request: Request,
    ctx: WorkCasesPage,
    text: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
    override: Annotated[str, Form()] = "",
    send_anyway: Annotated[str, Form()] = "",
    reply_to: Annotated[str, Form()] = "",
) -> Response:
    """Post the short public answer and send ``text`` privately, on this case (``reply_to``: the public message
    moved from, the thread picked in the reply box; else the latest public one)."""
    from compris.web.pages import case as case_pages

    try:
        case = _case_or_404(ctx, number, for_update=True)
    except NotFound:
        return _not_found(request, ctx)
    key = idempotency_key or uuid.uuid4().hex
    overrides = parse_override(override, send_anyway)
    lang = i18n.normalise(ctx.user.language)
    try:
        with domain_action(ctx.session):
            reply_actions.move_to_private(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case,
                                          private_text=text, idempotency_key=key, override=overrides,
                                          reply_to_message_id=parse_reply_to(reply_to))
    except ComprisError as exc:
        findings: list[Finding] = []
        if isinstance(exc, reply_actions.GuardRefused):
            record_refusal(ctx, case, exc, override=overrides, attempt_key=f"{key}:private")
            findings = exc.findings
        composer = case_pages.composer_for(ctx.session, case, text=text, visibility=Visibility.PRIVATE,
                                           error=refusal_message(lang, exc), target_id=parse_reply_to(reply_to))
        composer.idempotency_key = key
        composer.findings = finding_views(lang, findings, overrides)
        composer.override = override
        composer.move_private = True
        return case_pages.answer_with_fragments(request, ctx, number, ["composer", "timeline", "actions"],
                                         composer=composer)
    return case_pages.answer_with_fragments(request, ctx, number, ["composer", "timeline", "actions"])


# --- admin: templates ----------------------------------------------------------------------------------


def _templates_page(request: Request, ctx: PageContext, *, editing: ReplyTemplate | None = None,
                    form: dict[str, str] | None = None, error: str | None = None, status_code: int = 200) -> Response:
    templates = reply_queries.list_templates(ctx.session, ctx.user.workspace_id)
    if form is None:
        form = {"name": "", "shortcut": "", "team": "", "purpose": TemplatePurpose.REPLY, "body_en": "",
                "body_fr": "", "is_active": "1"}
        if editing is not None:
            form = {"name": editing.name, "shortcut": editing.shortcut, "team": editing.team or "",
                    "purpose": editing.purpose, "body_en": str(editing.bodies.get("en", "")),
                    "body_fr": str(editing.bodies.get("fr", "")), "is_active": "1" if editing.is_active else ""}
    return render(request, ctx, "admin_templates.html", status_code=status_code, templates=templates,
                  editing=editing, form=form, error=error, variables=rendering.VARIABLES)


@router.get("/admin/templates")
def templates_page(request: Request, ctx: ManageDeskPage, edit: int | None = None) -> Response:
    editing = None
    if edit is not None:
        try:
            editing = reply_queries.get_template(ctx.session, ctx.user.workspace_id, edit)
        except NotFound:
            return _not_found(request, ctx)
    return _templates_page(request, ctx, editing=editing)


@router.post("/admin/templates")
def save_template(
    request: Request,
    ctx: ManageDeskPage,
    template_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    shortcut: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = TemplatePurpose.REPLY,
    body_en: Annotated[str, Form()] = "",
    body_fr: Annotated[str, Form()] = "",
    is_active: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "shortcut": shortcut, "team": team, "purpose": purpose, "body_en": body_en,
            "body_fr": body_fr, "is_active": is_active}
    editing = None
    try:
        if template_id:
            editing = reply_queries.get_template(ctx.session, ctx.user.workspace_id, int(template_id))
    except (NotFound, ValueError):
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            bodies = {"en": body_en, "fr": body_fr}
            if editing is not None:
                reply_actions.update_template(ctx.session, actor=ctx.user, template=editing, name=name,
                                              bodies=bodies, shortcut=shortcut, team=team, purpose=purpose,
                                              is_active=bool(is_active), publisher=ctx.runtime.publisher)
            else:
                reply_actions.create_template(ctx.session, actor=ctx.user, name=name, bodies=bodies,
                                              shortcut=shortcut, team=team, purpose=purpose,
                                              publisher=ctx.runtime.publisher)
    except ComprisError as exc:
        return _templates_page(request, ctx, editing=editing, form=form, error=exc.message, status_code=422)
    return redirect("/admin/templates")


@router.post("/admin/templates/{template_id}/delete")
def delete_template(template_id: int, request: Request, ctx: ManageDeskPage) -> Response:
    try:
        template = reply_queries.get_template(ctx.session, ctx.user.workspace_id, template_id)
    except NotFound:
        return _not_found(request, ctx)
    reply_actions.delete_template(ctx.session, actor=ctx.user, template=template, publisher=ctx.runtime.publisher)
    return redirect("/admin/templates")


# --- admin: tone of voice and guard settings -------------------------------------------------------------


def _tone_page(request: Request, ctx: PageContext, *, form: dict[str, Any] | None = None, error: str | None = None,
               status_code: int = 200) -> Response:
    current = reply_queries.workspace_reply_settings(ctx.session, ctx.user.workspace_id)
    if form is None:
        g = current.guard
        form = {
            "tone_guide": current.tone_guide,
            "words": "\n".join(w + (f" => {g.word_replacements[w]}" if w in g.word_replacements else "")
                               for w in g.words_to_avoid),
            "signoff_required": g.signoff_required,
            "signoffs": "\n".join(g.signoffs),
            "signoff_pattern": g.signoff_pattern or "",
            "address_form": g.address_form or "",
            "emoji_allowed": g.emoji_allowed,
            "severity": {r.id: current.severity_choice(r.id) for r in RULES},
            "permissions": {role.value: sorted(current.permissions_for(role.value)) for role in Role},
        }
    lang = i18n.normalise(ctx.user.language)
    return render(request, ctx, "admin_tone.html", status_code=status_code, form=form, error=error,
                  rules=[(r.id, rule_label(lang, r.id), r.default_severity) for r in RULES],
                  roles=[r.value for r in Role], permissions=reply_settings.PERMISSIONS,
                  permission_labels=PERMISSION_LABELS, choices=reply_settings.SEVERITY_CHOICES)


@router.get("/admin/tone")
def tone_page(request: Request, ctx: ManageDeskPage) -> Response:
    return _tone_page(request, ctx)


@router.post("/admin/tone")
async def save_tone(request: Request, ctx: ManageDeskPage) -> Response:
    data = await request.form()

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    severities = {r.id: text(f"severity_{r.id}") or "default" for r in RULES}
    permissions = {role.value: [p for p in reply_settings.PERMISSIONS if text(f"perm_{role.value}_{p}")]
                   for role in Role}
    form: dict[str, Any] = {"tone_guide": text("tone_guide"), "words": text("words"),
            "signoff_required": bool(text("signoff_required")), "signoffs": text("signoffs"),
            "signoff_pattern": text("signoff_pattern"), "address_form": text("address_form"),
            "emoji_allowed": bool(text("emoji_allowed")), "severity": severities, "permissions": permissions}
    try:
        with domain_action(ctx.session):
            guard_data = reply_settings.guard_data_from_form(
                words=form["words"], signoff_required=form["signoff_required"], signoffs=form["signoffs"],
                signoff_pattern=form["signoff_pattern"], address_form=form["address_form"],
                emoji_allowed=form["emoji_allowed"], severities=severities)
            reply_actions.save_reply_settings(ctx.session, actor=ctx.user, tone_guide=form["tone_guide"],
                                              guard_data=guard_data, permissions=permissions,
                                              publisher=ctx.runtime.publisher)
    except ComprisError as exc:
        return _tone_page(request, ctx, form=form, error=exc.message, status_code=422)
    return redirect("/admin/tone?saved=1")


# --- supervisor: guard statistics ----------------------------------------------------------------------


@router.get("/admin/guard")
def guard_page(request: Request, ctx: ManageDeskPage, days: int = 7) -> Response:
    days = days if days in STATS_PERIODS else 7
    lang = i18n.normalise(ctx.user.language)
    stats = reply_queries.guard_stats(ctx.session, ctx.user.workspace_id, days)
    return render(request, ctx, "admin_guard.html", stats=stats, days=days, periods=STATS_PERIODS,
                  rule_label=lambda r: rule_label(lang, r))

