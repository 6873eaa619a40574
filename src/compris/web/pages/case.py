"""``/cases/{number}``: the timeline, the customer, the reply and note boxes, and every action on a case.

Each action is a POST (CSRF-checked by ``page_user``). With HTMX it answers the re-rendered fragments
(the one the form targets, the others out of band); without JavaScript it redirects back to the case
(or re-renders the page with the error inline).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from compris.accounts.queries import workspace_users
from compris.channels.accounts import connector_for
from compris.connectors.base import Visibility
from compris.inbox import actions
from compris.inbox.queries import (
    TIMELINE_MAX,
    TIMELINE_PAGE,
    CaseView,
    case_view,
    get_case,
    get_message,
    get_user,
    merge_targets,
)
from compris.kit import media
from compris.kit.clock import now
from compris.kit.errors import ComprisError, Invalid, NotFound, TooLarge
from compris.models import Case, CaseStatus, ChannelAccount, Direction, Message, Team, Upload, User
from compris.replies import actions as reply_actions
from compris.routing import assignment as routing
from compris.triage import actions as triage_actions
from compris.triage.labels import TRIAGE_LABELS
from compris.uploads import actions as upload_actions
from compris.uploads.queries import uploads_in_order
from compris.web import conversation_format, i18n
from compris.web.deps import PageContext, ReadCasesPage, WorkCasesPage
from compris.web.pages import business as business_pages
from compris.web.pages import clusters as cluster_pages
from compris.web.pages import customer_panel, desk, replies
from compris.web.pages import escalation as escalation_pages
from compris.web.pages import incidents as incident_pages
from compris.web.pages import surveys as survey_pages
from compris.web.pages.render import (
    domain_action,
    environment,
    is_htmx,
    redirect,
    render,
    template_context,
    workspace_of,
)

router = APIRouter(include_in_schema=False)

FRAGMENTS = {"timeline": "_timeline.html", "actions": "_actions.html", "composer": "_composer.html",
             "customer": "_customer.html", "sla": "_sla.html", "escalations": "_escalations.html",
             "business_actions": "_business_actions.html", "survey": "_survey.html"}


@dataclass
class ReplyTarget:
    """One thread the reply box can answer (issue 18): its latest customer message, and what a reply there is."""

    message_id: int
    thread_id: int
    visibility: str  # the thread's: a reply on it is that (or private, a move to the customer's DMs)
    network: str
    network_name: str
    account_name: str
    account: ChannelAccount
    customer: str
    #: what the customer wrote there: "comment", "post", "review", "message", "email"
    kind: str
    visibilities: list[str] = field(default_factory=list)
    limits: dict[str, int | None] = field(default_factory=dict)
    unit: str = "characters"
    attach: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the @handle a public reply starts with on this network (X, Mastodon, Bluesky), else ""
    mention: str = ""
    can_move_private: bool = False
    #: the network's name when its public replies are posted by hand (Tripadvisor), else ""
    manual_public: str = ""
    #: a public reply is refused there: the customer did not mention or quote the account (X's rule)
    unsummoned: bool = False
    last_at: Any = None


@dataclass
class Composer:
    """What the reply box offers for this case."""

    visibilities: list[str]
    default: str
    limits: dict[str, int | None]
    unit: str
    network: str | None
    text: str = ""
    visibility: str | None = None
    note: str = ""
    error: str | None = None
    note_error: str | None = None
    idempotency_key: str = ""
    # the reply guard (compris.web.pages.replies): findings that stopped the last send, warnings overridden,
    # the template the draft came from, and whether the last attempt was a move to private
    findings: list[dict[str, Any]] = field(default_factory=list)
    override: str = ""
    template_id: str = ""
    move_private: bool = False
    # attachments: per visibility, what the network accepts ({accept, max_count, max_bytes, reason}); the files
    # already uploaded for this draft (kept when a send is refused); the workspace-wide size limit
    attach: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: list[Upload] = field(default_factory=list)
    max_upload_bytes: int = 0
    #: the threads a reply can go to (the latest customer message first) and the one chosen (a message id)
    targets: list[ReplyTarget] = field(default_factory=list)
    target_id: int | None = None
    #: the last send was stopped by the guard's warnings (the panel offers "send anyway" while they remain)
    guard_refused: bool = False

    @property
    def target(self) -> ReplyTarget | None:
        return next((t for t in self.targets if t.message_id == self.target_id), None)


def attach_options(connector: Any, visibility: str) -> dict[str, Any]:
    """What the reply box's file input offers for one kind of reply on this network (or why it cannot)."""
    rules = connector.limits.attachment_rules(visibility)
    if rules is None:
        return {"accept": "", "max_count": 0, "max_bytes": 0, "without_text": False,
                "reason": connector.limits.no_attachments_reason(visibility)}
    extensions = sorted({"." + media.extension(m) for m in rules.mime_types})
    limits = [n for n in [rules.max_bytes, *rules.max_bytes_by_kind.values()] if n]
    return {"accept": ",".join([*sorted(rules.mime_types), *extensions]), "max_count": rules.max_count,
            "max_bytes": max(limits) if limits else 0, "without_text": rules.without_text, "reason": ""}


def _kind(connector: Any, message: Message, visibility: str, network: str) -> str:
    if visibility != Visibility.PUBLIC:
        return str(getattr(connector, "private_kind", "message"))
    if getattr(connector, "reviews", False):
        return "review"
    return "comment" if message.reply_to_platform_id or message.reply_to_message_id or (
        message.platform_extra or {}).get("post_id") else "post"


def reply_targets(session: Any, case: Case) -> list[ReplyTarget]:
    """The case's threads with a customer message, the latest first: where the reply box can answer."""
    from compris.models import Identity, PostThread, Thread

    inbound = (Message.case_id == case.id, Message.direction == Direction.INBOUND)
    found: list[Message] = []  # each thread's latest customer message: one look-up per thread (a case may hold
    for thread_id in session.scalars(  # thousands of messages, and only a few threads)
            select(Message.thread_id).where(*inbound, Message.thread_id.is_not(None)).distinct()):
        message = session.scalars(select(Message).where(*inbound, Message.thread_id == thread_id)
                                  .order_by(Message.sent_at.desc(), Message.id.desc()).limit(1)).first()
        if message is not None:
            found.append(message)
    found.sort(key=lambda m: (m.sent_at, m.id), reverse=True)
    latest: dict[int, Message] = {int(m.thread_id or 0): m for m in found}
    commented = set(session.scalars(select(PostThread.thread_id).where(PostThread.thread_id.in_(list(latest)))))
    targets = []
    for thread_id, m in latest.items():
        thread = session.get(Thread, thread_id)
        account = session.get(ChannelAccount, m.channel_account_id) if m.channel_account_id else None
        if thread is None or account is None:
            continue
        connector = connector_for(account)
        visibility = str(thread.visibility)
        visibilities = [Visibility.PUBLIC.value] if visibility == Visibility.PUBLIC else []
        if connector.has_private_messages(account.settings or {}):
            visibilities.append(Visibility.PRIVATE.value)
        if not visibilities:
            continue
        author = session.get(Identity, m.author_identity_id) if m.author_identity_id else None
        account_limits = connector.limits_for(account.settings or {})  # a Mastodon instance's own limit
        kind = "comment" if thread_id in commented and visibility == Visibility.PUBLIC else _kind(
            connector, m, visibility, account.network)
        targets.append(ReplyTarget(
            message_id=m.id, thread_id=thread_id, visibility=visibility, network=account.network,
            network_name=connector.name_for(account.settings or {}), account_name=account.name,
            account=account, customer=(author.name or author.handle or author.platform_user_id) if author else "",
            kind=kind, visibilities=visibilities,
            limits={Visibility.PUBLIC.value: account_limits.public_max_length,
                    Visibility.PRIVATE.value: account_limits.private_max_length},
            unit=connector.limits.length_unit, attach={v: attach_options(connector, v) for v in visibilities},
            mention=(connector.reply_mention(Visibility.PUBLIC, author.handle if author else None)
                     if visibility == Visibility.PUBLIC else ""),
            can_move_private=visibility == Visibility.PUBLIC and Visibility.PRIVATE.value in visibilities,
            manual_public=connector.name_for(account.settings or {})
            if visibility == Visibility.PUBLIC and connector.replies_by_hand(account.settings or {}) else "",
            unsummoned=(m.platform_extra or {}).get("summoned") is False, last_at=m.sent_at))
    return targets


def composer_for(session: Any, case: Case, *, text: str = "", visibility: str | None = None, note: str = "",
                 error: str | None = None, note_error: str | None = None,
                 target_id: int | None = None) -> Composer:
    """The reply box: its threads (``target_id``: the message chosen, else the latest customer message's thread),
    and for the chosen one the visibilities, limits and attachments."""
    targets = reply_targets(session, case)
    target = next((t for t in targets if t.message_id == target_id), targets[0] if targets else None)
    if target is None:
        return Composer([], Visibility.PRIVATE, {}, "characters", None, text=text, note=note, error=error,
                        note_error=note_error, idempotency_key=uuid.uuid4().hex)
    default = target.visibility if target.visibility in target.visibilities else target.visibilities[0]
    return Composer(list(target.visibilities), default, dict(target.limits), target.unit, target.network_name,
                    text=text, visibility=visibility if visibility in target.visibilities else default, note=note,
                    error=error, note_error=note_error, idempotency_key=uuid.uuid4().hex, attach=target.attach,
                    targets=targets, target_id=target.message_id)


def shown_messages(request: Request | None) -> int:
    """How many of the case's latest messages the page shows: ``?shown=`` (after "Show earlier messages"),
    between one page and the most a page shows; one page by default or when the value is not a number."""
    raw = request.query_params.get("shown", "") if request is not None else ""
    value = int(raw) if raw.isdigit() and len(raw) < 7 else TIMELINE_PAGE
    return max(TIMELINE_PAGE, min(TIMELINE_MAX, value))


def _view(ctx: PageContext, number: int, request: Request | None = None) -> CaseView:
    """The case's view; ``?since=`` (a live refresh of a conversation the agent opened further back) keeps every
    message from that one on."""
    raw = request.query_params.get("since", "") if request is not None else ""
    since = int(raw) if raw.isdigit() and len(raw) < 11 and int(raw) < 2**31 else None  # an id the column holds
    return case_view(ctx.session, ctx.user.workspace_id, number, shown=shown_messages(request), since=since)


def _vars(ctx: PageContext, view: CaseView, composer: Composer | None = None,
          action_error: str | None = None) -> dict[str, Any]:
    composer = composer or composer_for(ctx.session, view.case)
    composer.max_upload_bytes = ceiling = ctx.runtime.settings.max_upload_bytes
    for target in composer.targets:  # the network's limit or Compris's own, whichever is lower
        for options in target.attach.values():
            if options["max_count"]:
                options["max_bytes"] = min(options["max_bytes"] or ceiling, ceiling)
    lang, tz, at = i18n.normalise(ctx.user.language), workspace_of(ctx.session, ctx).timezone, now()
    return {
        "view": view,
        "page_size": TIMELINE_PAGE,
        "case": view.case,
        "composer": composer,
        "sla_due": lambda clock, due: conversation_format.sla_due(clock, due, lang, tz, at),
        "agents": workspace_users(ctx.session, ctx.user.workspace_id),
        "action_error": action_error,
        "statuses": [s.value for s in CaseStatus],
        "workspace": workspace_of(ctx.session, ctx),
        "triage_labels": TRIAGE_LABELS,
        "reply_tools": replies.reply_tools(ctx.session, view.case, ctx.user),
        "teams": list(ctx.session.scalars(
            select(Team).where(Team.workspace_id == ctx.user.workspace_id).order_by(Team.name, Team.id))),
        "merge_targets": merge_targets(ctx.session, view.case),
        **escalation_pages.panel(ctx, view),
        **business_pages.panel(ctx, view),
        **survey_pages.panel(ctx, view),
        **incident_pages.panel(ctx, view),
        **cluster_pages.panel(ctx, view),
        **customer_panel.panel(ctx, view),
    }


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


def _fragments(request: Request, ctx: PageContext, names: list[str], variables: dict[str, Any],
               status_code: int = 200) -> Response:
    """The first fragment as the swap target, the others out of band."""
    context = template_context(request, ctx)
    context.update(variables)
    parts = []
    for i, name in enumerate(names):
        context["oob"] = i > 0
        parts.append(environment().get_template(FRAGMENTS[name]).render(context))
    return HTMLResponse("\n".join(parts), status_code=status_code, headers={"Cache-Control": "no-store"})


def answer_with_fragments(request: Request, ctx: PageContext, number: int, names: list[str], *,
                          composer: Composer | None = None, action_error: str | None = None,
                          status_code: int = 422) -> Response:
    failed = bool(action_error or (composer and (composer.error or composer.note_error)))
    if not is_htmx(request):
        if not failed:
            return redirect(f"/cases/{number}")
        view = _view(ctx, number, request)
        return case_page_response(request, ctx, _vars(ctx, view, composer, action_error), status_code=status_code)
    view = _view(ctx, number, request)
    return _fragments(request, ctx, names, _vars(ctx, view, composer, action_error),
                      status_code=status_code if failed else 200)


def case_page_response(request: Request, ctx: PageContext, variables: dict[str, Any],
                       status_code: int = 200) -> Response:
    """The case in the desk: the whole page (the list with the agent's last filters beside it), or the case pane
    alone when the desk's list asks for it (``desk.wants_pane``)."""
    number = variables["case"].number
    if desk.wants_pane(request):
        return render(request, ctx, "_desk_case_pane.html", status_code=status_code,
                      headers={"HX-Push-Url": f"/cases/{number}", "Vary": "HX-Request, HX-Target"},
                      list_query=desk.remembered_query(request), **variables)
    page_vars = {**desk.list_context(request, ctx), "open_number": number, **variables}
    return render(request, ctx, "case.html", status_code=status_code, headers={"Vary": "HX-Request, HX-Target"},
                  **page_vars)


@router.get("/cases/{number}")
def case_page(number: int, request: Request, ctx: ReadCasesPage) -> Response:
    try:
        view = _view(ctx, number, request)
    except NotFound:
        return _not_found(request, ctx)
    return case_page_response(request, ctx, _vars(ctx, view))  # no write on GET: the page's script POSTs /read


@router.get("/cases/{number}/fragments")
def case_fragments(number: int, request: Request, ctx: ReadCasesPage,
                   parts: str = "timeline,actions") -> Response:
    """Live refresh: the named fragments (timeline, actions, customer, sla — the SLA line under the title), never
    the composer being typed in."""
    try:
        view = _view(ctx, number, request)
    except NotFound:
        return _not_found(request, ctx)
    names = [p for p in parts.split(",") if p in FRAGMENTS and p != "composer"] or ["timeline"]
    return _fragments(request, ctx, names, _vars(ctx, view))


@router.get("/cases/{number}/timeline")
def case_timeline(number: int, request: Request, ctx: ReadCasesPage) -> Response:
    """The conversation alone with ``?shown=`` of its latest messages ("Show earlier messages", issue 22): the
    agent's own request, not a live refresh (which the desk may drop while the agent acts)."""
    try:
        view = _view(ctx, number, request)
    except NotFound:
        return _not_found(request, ctx)
    return _fragments(request, ctx, ["timeline"], _vars(ctx, view))


@router.post("/cases/{number}/read")
def case_read(number: int, request: Request, ctx: WorkCasesPage) -> Response:
    """The agent has the case open (sent by the page's script on opening and after each live refresh, CSRF
    header): it is no longer unread for this agent (only: read marks are per agent, issue 18 defect 9; ``CaseRead``
    and a live update of the inbox when it was unread for them). 204."""
    try:
        case = _case(ctx, number)
    except NotFound:
        return Response(status_code=404)
    actions.mark_read(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def _case(ctx: PageContext, number: int) -> Case:
    return get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)


def _upload_ids(values: list[str]) -> list[int]:
    """The files kept from a refused attempt (hidden fields): an id that is not one is refused, never dropped."""
    ids = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        if not (value.isascii() and value.isdigit()):
            raise NotFound("no such file")
        ids.append(int(value))
    return ids


def _message(ctx: PageContext, error: ComprisError) -> str:
    return i18n.error_text(ctx.user.language, error)


@router.post("/cases/{number}/reply")
def reply(
    number: int,
    request: Request,
    ctx: WorkCasesPage,
    text: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = Visibility.PUBLIC,
    idempotency_key: Annotated[str, Form()] = "",
    template_id: Annotated[str, Form()] = "",
    override: Annotated[str, Form()] = "",
    send_anyway: Annotated[str, Form()] = "",
    attachment_ids: Annotated[list[str] | None, Form()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
    reply_to: Annotated[str, Form()] = "",
) -> Response:
    """Send a reply. Files chosen in the reply box come with it (multipart); each is stored first, so that a
    reply refused for any reason keeps them (as ``attachment_ids``) along with the draft. ``reply_to``: the
    customer message answered (the thread picked in the reply box; empty: the latest of that visibility)."""
    try:
        case = _case(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    reply_to_id = replies.parse_reply_to(reply_to)
    overrides = replies.parse_override(override, send_anyway)
    key = idempotency_key or uuid.uuid4().hex
    lang = i18n.normalise(ctx.user.language)
    kept: list[Upload] = []
    try:
        kept = uploads_in_order(ctx.session, ctx.user.workspace_id, _upload_ids(attachment_ids or []))
        for upload in files or []:
            if upload.filename or upload.size:  # an empty file input still sends one nameless, empty part
                with domain_action(ctx.session):
                    kept.append(upload_actions.store_upload(
                        ctx.session, ctx.runtime.settings.data_dir, actor=ctx.user, name=upload.filename,
                        data=upload.file.read(ctx.runtime.settings.max_upload_bytes + 1),
                        max_bytes=ctx.runtime.settings.max_upload_bytes))
        with domain_action(ctx.session):  # the reply guard runs again here; blocks cannot be overridden
            reply_actions.send_agent_reply(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, text=text,
                                     visibility=visibility, idempotency_key=key,
                                     template_id=replies.parse_template_id(template_id), override=overrides,
                                     attachments=kept, reply_to_message_id=reply_to_id)
    except ComprisError as exc:
        findings = []
        if isinstance(exc, reply_actions.GuardRefused):
            replies.record_refusal(ctx, case, exc, override=overrides, attempt_key=key)
            findings = replies.finding_views(lang, exc.findings, overrides)
        composer = composer_for(ctx.session, case, text=text, visibility=visibility,
                                error=replies.refusal_message(lang, exc), target_id=reply_to_id)
        composer.idempotency_key = key
        composer.findings, composer.override, composer.template_id = findings, override, template_id
        composer.guard_refused = isinstance(exc, reply_actions.GuardRefused)
        composer.attachments = list(dict.fromkeys(kept))
        return answer_with_fragments(request, ctx, number, ["composer", "timeline", "actions"], composer=composer,
                       status_code=413 if isinstance(exc, TooLarge) else 422)
    # sent: a fresh reply box (empty draft, no guard state) still on the thread just answered
    return answer_with_fragments(request, ctx, number, ["composer", "timeline", "actions"],
                                 composer=composer_for(ctx.session, case, target_id=reply_to_id))


@router.post("/cases/{number}/note")
def note(number: int, request: Request, ctx: WorkCasesPage,
         text: Annotated[str, Form()] = "") -> Response:
    try:
        case = _case(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            actions.add_note(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, text=text)
    except ComprisError as exc:
        composer = composer_for(ctx.session, case, note=text, note_error=_message(ctx, exc))
        return answer_with_fragments(request, ctx, number, ["composer", "timeline", "actions"], composer=composer)
    return answer_with_fragments(request, ctx, number, ["composer", "timeline", "actions"])


def _case_action(request: Request, ctx: PageContext, number: int, do: Callable[[Case], None]) -> Response:
    """One action on one case: 404 for a case of another workspace; the action runs in a savepoint; its error is
    shown next to the actions; the answer is the actions and timeline fragments (or a redirect without HTMX)."""
    try:
        case = _case(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    return run_case_action(request, ctx, number, lambda: do(case))


def run_case_action(request: Request, ctx: PageContext, number: int, do: Callable[[], object]) -> Response:
    """Run an action found on case ``number`` in a savepoint; its refusal is shown next to the actions; the answer is
    the actions and timeline fragments (or a redirect without HTMX)."""
    try:
        with domain_action(ctx.session):
            do()
    except ComprisError as exc:
        return answer_with_fragments(request, ctx, number, ["actions", "timeline"], action_error=_message(ctx, exc))
    return answer_with_fragments(request, ctx, number, ["actions", "timeline"])


@router.post("/cases/{number}/assign")
def assign(number: int, request: Request, ctx: WorkCasesPage,
           assignee: Annotated[str, Form()] = "me") -> Response:
    def do(case: Case) -> None:
        if assignee == "me":
            target: User | None = ctx.user
        elif assignee in ("", "none"):
            target = None
        elif assignee.isdigit():
            target = get_user(ctx.session, ctx.user.workspace_id, int(assignee))
        else:
            raise Invalid("no such agent")
        actions.assign(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, assignee=target)

    return _case_action(request, ctx, number, do)


@router.post("/cases/{number}/transfer")
def transfer(number: int, request: Request, ctx: WorkCasesPage,
             team: Annotated[str, Form()] = "") -> Response:
    """Move the case to another team (agents and supervisors alike); ``none`` leaves it without a team."""

    def do(case: Case) -> None:
        target = None
        if team not in ("", "none"):
            target = ctx.session.get(Team, int(team)) if team.isdigit() else None
            if target is None or target.workspace_id != ctx.user.workspace_id:
                raise Invalid("no such team")
        routing.transfer(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, team=target)

    return _case_action(request, ctx, number, do)


@router.post("/cases/{number}/merge")
def merge(number: int, request: Request, ctx: WorkCasesPage,
          into: Annotated[str, Form()] = "") -> Response:
    """Fold this case into another case of the same customer (``into``: its number): its messages move there, it
    is closed, and the agent lands on the case merged into."""
    try:
        case = _case(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            if not (into.isascii() and into.isdigit()):
                raise Invalid("pick the case to merge into")
            target = get_case(ctx.session, ctx.user.workspace_id, int(into), for_update=True)
            actions.merge_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user, source=case, target=target)
    except ComprisError as exc:
        return answer_with_fragments(request, ctx, number, ["actions", "timeline"], action_error=_message(ctx, exc))
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": f"/cases/{target.number}"})
    return redirect(f"/cases/{target.number}")


@router.post("/cases/{number}/unmerge")
def unmerge(number: int, request: Request, ctx: WorkCasesPage,
            source: Annotated[str, Form()] = "") -> Response:
    """Take a case merged into this one back out (``source``: its number): the messages it brought go back to it
    and it is open again; the agent stays on this case."""
    try:
        case = _case(ctx, number)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            if not (source.isascii() and source.isdigit() and len(source) < 10):
                raise Invalid("pick the case to take back out")
            taken = get_case(ctx.session, ctx.user.workspace_id, int(source), for_update=True)
            actions.unmerge_case(ctx.session, ctx.runtime.publisher, actor=ctx.user, target=case, source=taken)
    except ComprisError as exc:
        return answer_with_fragments(request, ctx, number, ["actions", "timeline"], action_error=_message(ctx, exc))
    return answer_with_fragments(request, ctx, number, ["timeline", "actions", "customer"], status_code=200)


def snooze_until(choice: str, custom: str, tz: str, at: datetime) -> datetime:
    """``1h``, ``tomorrow`` (9:00 in the workspace's time zone), or ``custom`` (a local date-time there)."""
    zone = i18n.zone(tz)
    if choice == "1h":
        return at + timedelta(hours=1)
    if choice == "tomorrow":
        local = at.astimezone(zone)
        return datetime.combine(local.date() + timedelta(days=1), time(9, 0), tzinfo=zone)
    if choice == "custom":
        try:
            value = datetime.fromisoformat(custom.strip())
        except ValueError:
            raise Invalid("pick a date and time to snooze until") from None
        return value.replace(tzinfo=zone) if value.tzinfo is None else value
    raise Invalid("pick how long to snooze")


@router.post("/cases/{number}/status")
def status(number: int, request: Request, ctx: WorkCasesPage,
           status: Annotated[str, Form()] = "",
           snooze: Annotated[str, Form()] = "",
           until: Annotated[str, Form()] = "") -> Response:
    def do(case: Case) -> None:
        when = None
        if status == CaseStatus.SNOOZED:
            when = snooze_until(snooze, until, workspace_of(ctx.session, ctx).timezone, now())
        actions.set_status(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, status=status,
                           snooze_until=when)

    return _case_action(request, ctx, number, do)


@router.post("/cases/{number}/messages/{message_id}/retry")
def retry(number: int, message_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    try:
        case = _case(ctx, number)
        message = get_message(ctx.session, ctx.user.workspace_id, message_id)
        if message.case_id != case.id:
            raise NotFound("no such message")
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            actions.retry_send(ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message)
    except ComprisError as exc:
        return answer_with_fragments(request, ctx, number, ["actions", "timeline"], action_error=_message(ctx, exc))
    return answer_with_fragments(request, ctx, number, ["actions", "timeline"])


@router.post("/cases/{number}/messages/{message_id}/triage")
def correct_triage(number: int, message_id: int, request: Request, ctx: WorkCasesPage,
                   field: Annotated[str, Form()] = "", label: Annotated[str, Form()] = "",
                   correction: Annotated[str, Form()] = "") -> Response:
    """An agent corrects one triage label of a customer message (kept for retraining). The form sends one
    ``correction`` (``field:label``, from a list of the combinations that exist); ``field`` and ``label`` apart are
    still accepted. A refusal answers in the message's own triage panel (422), a correction with the timeline."""
    try:
        case = _case(ctx, number)
        message = get_message(ctx.session, ctx.user.workspace_id, message_id)
        if message.case_id != case.id:
            raise NotFound("no such message")
    except NotFound:
        return _not_found(request, ctx)
    if correction:
        field, _, label = correction.partition(":")
    try:
        with domain_action(ctx.session):
            triage_actions.correct_triage(ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message,
                                          field=field.strip(), label=label.strip())
    except ComprisError as exc:
        if not is_htmx(request):
            return answer_with_fragments(request, ctx, number, ["timeline", "actions"],
                                         action_error=_message(ctx, exc))
        context = template_context(request, ctx)
        context.update(m=message, case=case, triage_labels=TRIAGE_LABELS, triage_error=_message(ctx, exc))
        html = environment().get_template("_triage.html").render(context)
        return HTMLResponse(html, status_code=422, headers={"Cache-Control": "no-store"})
    response = answer_with_fragments(request, ctx, number, ["timeline", "actions"])
    if is_htmx(request):  # the form targets its own panel; a correction re-renders the whole timeline
        response.headers["HX-Retarget"] = "#timeline"
        response.headers["HX-Reswap"] = "outerHTML"
    return response
