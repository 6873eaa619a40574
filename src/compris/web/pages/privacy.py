"""Personal data (issue 19), erasure: erase a contact's personal data (``/contacts/{id}/erase``, a typed
confirmation and a reason), the erasure records (``/admin/privacy``), and two public routes: Meta's Data Deletion
Request Callback (``POST /privacy/meta/deletion/{channel_account_id}``) and the status page its answer links to
(``/privacy/deletion/{code}``, no personal data on it). The export helper adds its own routes in
``privacy_export.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from compris.connectors.meta import deletion as meta_deletion
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.models import Contact
from compris.privacy import erasure_queries
from compris.privacy.actions.erasure import erase_contact, meta_deletion_request
from compris.web import i18n
from compris.web.deps import PageContext, PrivacyPage, get_runtime, mark_origin
from compris.web.pages.render import domain_action, environment, redirect, render

router = APIRouter(include_in_schema=False)

#: the words that confirm an erasure (the English one, and the French one the French page asks for)
CONFIRM_WORDS = frozenset({"ERASE", "EFFACER"})
REASON_MAX = 500
PUBLIC_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store"}


def _contact(ctx: PageContext, contact_id: int) -> Contact:
    scope = erasure_queries.scope_of(ctx.session, ctx.user.workspace_id, contact_id)
    return scope.contact


def _form(request: Request, ctx: PageContext, contact_id: int, *, reason: str = "", errors: dict[str, str] | None
          = None, status_code: int = 200) -> Response:
    scope = erasure_queries.scope_of(ctx.session, ctx.user.workspace_id, contact_id)
    return render(request, ctx, "privacy_erase.html", status_code=status_code, contact=scope.contact,
                  identities=scope.identities, cases=len(scope.case_ids), messages=len(scope.message_ids),
                  reason=reason, errors=errors or {})


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


@router.get("/contacts/{contact_id}/erase")
def erase_form(contact_id: int, request: Request, ctx: PrivacyPage) -> Response:
    """What erasing this contact removes and keeps, and the form (a typed confirmation and a reason)."""
    try:
        return _form(request, ctx, contact_id)
    except NotFound:
        return _not_found(request, ctx)


@router.post("/contacts/{contact_id}/erase")
def erase(contact_id: int, request: Request, ctx: PrivacyPage, confirm: Annotated[str, Form()] = "",
          reason: Annotated[str, Form()] = "") -> Response:
    try:
        _contact(ctx, contact_id)
    except NotFound:
        return _not_found(request, ctx)
    errors: dict[str, str] = {}
    if confirm.strip().upper() not in CONFIRM_WORDS:
        errors["confirm"] = "Type the word shown to confirm."
    if len(reason) > REASON_MAX:
        errors["reason"] = "At most 500 characters."
    if errors:
        return _form(request, ctx, contact_id, reason=reason, errors=errors, status_code=422)
    try:
        with domain_action(ctx.session):
            erasure = erase_contact(ctx.session, ctx.runtime.publisher, workspace_id=ctx.user.workspace_id,
                                    contact_id=contact_id, source="admin", requested_by=ctx.user, reason=reason,
                                    data_dir=ctx.runtime.settings.data_dir)
    except ComprisError as exc:
        return _form(request, ctx, contact_id, reason=reason, status_code=422,
                     errors={"form": i18n.error_text(ctx.user.language, exc)})
    return redirect(f"/admin/privacy?done={erasure.confirmation_code}")


@router.get("/admin/privacy")
def privacy_page(request: Request, ctx: PrivacyPage, done: str = "") -> Response:
    """The erasure records: when, how (an admin, the API, a platform's callback), who asked, what was erased."""
    rows = erasure_queries.erasures(ctx.session, ctx.user.workspace_id)
    base = ctx.runtime.settings.base_url.rstrip("/")
    return render(request, ctx, "admin_privacy.html", rows=rows,
                  requesters=erasure_queries.requesters(ctx.session, rows),
                  done=done if any(r.confirmation_code == done for r in rows) else "",
                  meta_url=f"{base}/privacy/meta/deletion/")


# --- public: Meta's callback and the status page ------------------------------------------------------------------


def _bad_request(reason: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "bad_request", "message": reason}}, status_code=400,
                        headers=PUBLIC_HEADERS)


@router.post("/privacy/meta/deletion/{channel_account_id}")
async def meta_deletion_callback(channel_account_id: int, request: Request) -> Response:
    """Meta's Data Deletion Request Callback (public: Meta signs the request with the app secret). Answers
    ``{"url": ..., "confirmation_code": ...}``; a malformed, forged or expired request is a 400."""
    try:
        form = await request.form()
    except Exception:  # not a form at all (a multipart parser error, a bad encoding): a client error
        return _bad_request("expected a form with signed_request")
    signed = form.get("signed_request")
    if not isinstance(signed, str) or not signed:
        return _bad_request("missing signed_request")
    runtime = get_runtime(request)
    try:
        with runtime.db.transaction() as session:
            mark_origin(request, session, "platform", f"meta-deletion:{channel_account_id}")
            records = meta_deletion_request(session, runtime.publisher, channel_account_id=channel_account_id,
                                            signed_request=signed, secret_key=runtime.settings.secret_key,
                                            data_dir=runtime.settings.data_dir)
            code = records[0].confirmation_code
    except NotFound:
        return JSONResponse({"error": {"code": "not_found", "message": "no such account"}}, status_code=404,
                            headers=PUBLIC_HEADERS)
    except Invalid:
        return _bad_request("invalid signed_request")
    url = f"{runtime.settings.base_url.rstrip('/')}/privacy/deletion/{code}"
    return JSONResponse(meta_deletion.answer(url, code), headers=PUBLIC_HEADERS)


@router.get("/privacy/deletion/{code}")
def deletion_status(code: str, request: Request) -> Response:
    """The status of a deletion request, for the person who made it: done, or nothing found (no personal data)."""
    lang = i18n.from_accept_language(request.headers.get("accept-language"))
    try:
        with get_runtime(request).db.transaction() as session:
            rows = erasure_queries.by_code(session, code)
            status = "done" if any(r.status == "done" for r in rows) else rows[0].status
            done_at = max((r.done_at for r in rows if r.done_at is not None), default=None)
    except NotFound:
        return _public(request, lang, status_code=404, status="unknown", code=code[:64], done_at=None)
    return _public(request, lang, status=status, code=code, done_at=done_at)


def _public(request: Request, lang: str, *, status_code: int = 200, **variables: Any) -> HTMLResponse:
    t = i18n.translations(lang)

    def gettext(message: str, /, **kw: Any) -> str:
        text = t.gettext(message)
        return text % kw if kw else text

    html = environment().get_template("privacy_status.html").render(
        {"request": request, "lang": lang, "_": gettext, "gettext": gettext, "ngettext": t.ngettext, **variables})
    return HTMLResponse(html, status_code=status_code, headers=PUBLIC_HEADERS)
