"""Cases: list, read, reply, note, assign, change status."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from compris.inbox import actions, queries
from compris.inbox.actions import reads
from compris.inbox.schemas import (
    AssignIn,
    CaseCounts,
    CaseDetail,
    CaseList,
    CaseSummary,
    MessageOut,
    NoteIn,
    Page,
    StatusFilter,
    StatusIn,
)
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import User
from compris.replies import actions as reply_actions
from compris.replies.schemas import IDEMPOTENCY_KEY_PATTERN, FindingOut, ReplyIn, ReplyOut
from compris.uploads.queries import uploads_in_order
from compris.web.api import load, serialize
from compris.web.api.common import ErrorOut, ReadCasesApi, WorkCasesApi, errors

router = APIRouter(tags=["cases"])

CaseNumber = Annotated[int, Path(description="The case number, as shown in the inbox.", examples=[1042])]


def field_error(loc: tuple[str, ...], message: str, value: Any = None) -> NoReturn:
    """A 422 naming one field, in the same shape as malformed input."""
    raise RequestValidationError([{"type": "value_error", "loc": loc, "msg": message, "input": value}])


@router.get("/cases", response_model=CaseList, summary="List cases", responses=errors(422))
def list_cases(
    ctx: ReadCasesApi,
    view: Annotated[Literal["all", "mine", "unassigned"],
                    Query(description="`all`, `mine` (assigned to you) or `unassigned`.")] = "all",
    status: Annotated[StatusFilter, Query(description="`active` (every status but resolved and closed), `all`, "
                                          "or one status.")] = "active",
    channel_account_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only cases whose latest "
                                                    "customer message came in on this channel account (see "
                                                    "`GET /channels`).")] = None,
    sort: Annotated[Literal["newest", "oldest", "priority", "due", "needs_answer"],
                    Query(description="`newest` activity first, `oldest` customer message first (who has "
                               "waited longest), `priority` (highest first), `due` (the earliest running SLA "
                               "deadline first, cases without one last), or `needs_answer` (the inbox's default: "
                               "breached SLA first, then the earliest SLA deadline, the highest priority, the "
                               "longest wait).")] = "newest",
    q: Annotated[str, Query(max_length=200, description="Search: `#123` is case 123; `123` case 123 or the word; "
                            "`@name` a handle (by its start); otherwise words, all of them in one message or in "
                            "the contact's name, without regard to case and accents (`recu` finds `reçu`), other "
                            "forms of a word included (`annulation` finds `annulé`, `cancelled` finds `cancel`), "
                            "`\"quoted words\"` in that order; and identities' handles, names and network ids "
                            "(e-mail addresses, phone numbers) by their start. A word in more than 1,000 messages "
                            "finds the cases of the 1,000 newest; with `q`, the counts stop at 501 (read "
                            "\"more than 500\").")] = "",
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Cases to skip.")] = 0,
    tag: Annotated[str, Query(max_length=200, description="Only cases with this tag (its name, without regard "
                              "to case and accents; see `GET /tags`).")] = "",
    post_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only the cases with a comment under this "
                                         "post (see `GET /posts`).")] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only the cases assigned to this "
                                             "user (see `GET /users`).")] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only the cases of this team.")] = None,
    network: Annotated[str, Query(max_length=32, pattern=r"^[a-z0-9_]*$", description="Only the cases whose "
                                  "latest customer message came in on this network (`x`, `facebook`...).")] = "",
    priority: Annotated[Literal["", "urgent", "high", "normal", "low"], Query(
        description="A priority band: `urgent` (60 and over), `high` (40-59), `normal` (20-39), `low` (under "
        "20).")] = "",
    language: Annotated[str, Query(max_length=3, pattern=r"^([a-z]{2,3})?$", description="The case's language "
                                   "(`en`, `fr`...).")] = "",
    intent: Annotated[Literal["", "complaint", "question", "request", "praise", "spam", "other"], Query(
        description="The latest customer message's intent.")] = "",
    sla: Annotated[Literal["", "breached", "at_risk", "on_track", "none"], Query(
        description="The SLA state: `breached`, `at_risk`, `on_track` (running, paused or met), `none` (no "
        "SLA).")] = "",
    unread: Annotated[bool, Query(description="Only the cases unread by you (the token's user).")] = False,
    incident: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only the cases of this incident "
                                          "(its number).")] = None,
    high_reach: Annotated[bool, Query(description="Only the cases with a high-reach complaint alert.")] = False,
) -> CaseList:
    """The workspace's cases, one page at a time, with the number of cases in each view. `unread` on each case
    is for you (the token's user): a customer message arrived since you last opened it (or you never did)."""
    user = ctx.user
    try:
        f = queries.InboxFilter(view=view, status=status, channel_account_id=channel_account_id, sort=sort, q=q,
                                limit=limit, offset=offset, tag=tag, post_id=post_id, assignee_id=assignee_id,
                                team_id=team_id, network=network, priority=priority, language=language,
                                intent=intent, sla=sla, unread=unread, incident=incident, high_reach=high_reach)
    except Invalid as exc:
        field_error(("query",), exc.message)
    rows = queries.list_cases(ctx.session, user.workspace_id, user.id, f)
    counts = queries.counts(ctx.session, user.workspace_id, user.id, f, cap=None)
    total = counts[view]
    return CaseList(
        items=[serialize.case_row(r) for r in rows],
        counts=CaseCounts(**counts),
        page=Page(limit=limit, offset=offset, total=total,
                  next_offset=offset + limit if offset + len(rows) < total and rows else None),
    )


@router.post("/cases/{number}/read", status_code=204, summary="Mark a case read for you",
             responses=errors(404, 422))
def mark_case_read(number: CaseNumber, ctx: WorkCasesApi) -> Response:
    """The case is read for you (the token's user) until a customer writes again; other agents keep theirs."""
    case = queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    actions.mark_read(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case)
    return Response(status_code=204)


@router.post("/cases/{number}/unread", status_code=204, summary="Mark a case unread for you",
             responses=errors(404, 422))
def mark_case_unread(number: CaseNumber, ctx: WorkCasesApi) -> Response:
    """The case shows as unread to you (the token's user) until you open it; other agents keep theirs."""
    case = queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    reads.mark_unread(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case)
    return Response(status_code=204)


@router.get("/cases/{number}", response_model=CaseDetail, summary="Read a case", responses=errors(404, 422))
def get_case(number: CaseNumber, ctx: ReadCasesApi) -> CaseDetail:
    """The case, its contact with every identity, its assignee, and its timeline (messages and events, oldest
    first). Each reply shows its delivery state and, when sending failed, the network's reason."""
    view = queries.case_view(ctx.session, ctx.user.workspace_id, number)
    return serialize.case_detail(view)


@router.post(
    "/cases/{number}/replies",
    status_code=201,
    response_model=ReplyOut,
    summary="Reply to the customer",
    responses={200: {"model": ReplyOut, "description": "A replay: the reply this idempotency key already "
                     "created."}, 201: {"description": "The reply, queued for sending."}, **errors(404, 409),
               422: {"model": ErrorOut, "description": "Invalid input (`details` names each field), a "
                     "template variable left unfilled, attachments the network does not accept here, or the "
                     "reply guard refused the reply (`findings`): a block, or warnings with "
                     "`override_warnings: false`."}},
)
def create_reply(
    number: CaseNumber,
    body: ReplyIn,
    ctx: WorkCasesApi,
    response: Response,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Any unique string (1-64 printable ASCII characters, e.g. a UUID). Retrying a request with "
        "the same key returns the first reply instead of sending a second one.",
    )] = None,
) -> MessageOut:
    """Queue a public or private reply; it is sent in the background, exactly once. Poll the case or
    `GET /messages/{id}` to follow its delivery."""
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        field_error(("body", "idempotency_key"), "differs from the Idempotency-Key header", body.idempotency_key)
    client_key = idempotency_key or body.idempotency_key
    session, user = ctx.session, ctx.user
    case = queries.get_case(session, user.workspace_id, number, for_update=True)
    try:
        attachments = uploads_in_order(session, user.workspace_id, body.attachment_ids)
    except NotFound as exc:
        field_error(("body", "attachment_ids"), exc.message, body.attachment_ids)
    key = f"api:{user.id}:{client_key}" if client_key else None
    if key is not None:
        existing = load.reply_for_key(session, user.workspace_id, key)
        if existing is not None:
            same = (existing.case_id == case.id and existing.visibility == body.visibility
                    and existing.text == body.text.replace("\r\n", "\n").strip()
                    and actions.attachment_ids(existing) == [u.id for u in attachments]
                    and body.reply_to_message_id in (None, existing.reply_to_message_id))
            if not same:
                raise Conflict("this idempotency key was already used for a different reply")
            response.status_code = 200
            return load.message(session, existing, case.number)
    override = {reply_actions.ALL_WARNINGS} if body.override_warnings else set()
    try:
        sent = reply_actions.send_agent_reply(session, ctx.runtime.publisher, actor=user, case=case, text=body.text,
                                        visibility=body.visibility, reply_to_message_id=body.reply_to_message_id,
                                        idempotency_key=key, template_id=body.template_id, override=override,
                                        source="api", attachments=attachments)
    except reply_actions.GuardRefused as exc:  # nothing was written; the findings are kept for supervisors
        reply_actions.record_guard_events(session, ctx.runtime.publisher, actor=user, case=case,
                                          findings=exc.findings, override=override, attempt_key=key, source="api")
        refused = ErrorOut(error=exc.message,
                           findings=[FindingOut(**f.to_dict(with_fix=False)) for f in exc.findings])
        return JSONResponse(refused.model_dump(), status_code=422)  # type: ignore[return-value]
    out = load.message(session, sent.message, case.number)
    return ReplyOut(**out.model_dump(), guard_warnings=[FindingOut(**f.to_dict(with_fix=False))
                                                          for f in sent.findings])


@router.post("/cases/{number}/notes", status_code=201, response_model=MessageOut, summary="Add an internal note",
             responses=errors(404, 422))
def create_note(number: CaseNumber, body: NoteIn, ctx: WorkCasesApi) -> MessageOut:
    """A note for the team on the case timeline; never sent to the customer."""
    case = queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    message = actions.add_note(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, text=body.text)
    return load.message(ctx.session, message, case.number)


@router.post("/cases/{number}/assign", response_model=CaseSummary, summary="Assign or unassign",
             responses=errors(404, 422))
def assign(number: CaseNumber, body: AssignIn, ctx: WorkCasesApi) -> CaseSummary:
    """Assign the case to a user of the workspace (`"me"` for yourself) or unassign it (`null`)."""
    session, user = ctx.session, ctx.user
    case = queries.get_case(session, user.workspace_id, number, for_update=True)
    assignee: User | None
    if body.assignee_id == "me":
        assignee = user
    elif body.assignee_id is None:
        assignee = None
    else:
        try:
            assignee = queries.get_user(session, user.workspace_id, body.assignee_id)
        except NotFound:
            field_error(("body", "assignee_id"), "no such user in this workspace", body.assignee_id)
        if not assignee.is_active:
            field_error(("body", "assignee_id"), "this user is deactivated", body.assignee_id)
    actions.assign(session, ctx.runtime.publisher, actor=user, case=case, assignee=assignee)
    return load.case_summary(session, case)


@router.post("/cases/{number}/status", response_model=CaseSummary, summary="Change the status",
             responses=errors(404, 422))
def set_status(number: CaseNumber, body: StatusIn, ctx: WorkCasesApi) -> CaseSummary:
    """Resolve (`resolved`), reopen (`open`), snooze until a time (`snoozed` + `snooze_until`), wait on the
    customer or a partner, or close."""
    if body.status == "snoozed" and body.snooze_until is None:
        field_error(("body", "snooze_until"), "required when the status is snoozed")
    if body.status != "snoozed" and body.snooze_until is not None:
        field_error(("body", "snooze_until"), "only allowed when the status is snoozed", str(body.snooze_until))
    session, user = ctx.session, ctx.user
    case = queries.get_case(session, user.workspace_id, number, for_update=True)
    try:
        actions.set_status(session, ctx.runtime.publisher, actor=user, case=case, status=body.status,
                           snooze_until=body.snooze_until)
    except Invalid as exc:
        if body.status == "snoozed":
            field_error(("body", "snooze_until"), exc.message, str(body.snooze_until))
        raise
    return load.case_summary(session, case)
