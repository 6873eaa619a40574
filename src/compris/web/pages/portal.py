"""The partner portal: the page a signed link opens, with no account (``/p/{token}``).

It shows one escalation and nothing else: the brand's name, the case number and subject, the brief, what the agent
shared (masked as chosen), the earlier exchanges of this escalation, and a reply box with files and the buttons
"Done on our side" / "Need more information". No session and no cookie: the form's CSRF token is derived from the
link (HMAC). Every answer carries ``Referrer-Policy: no-referrer`` (the token never leaks to another site),
``X-Robots-Tag: noindex`` and ``Cache-Control: no-store``; requests are rate-limited per link and per address
(in the database, shared by every web process: 429 with ``Retry-After``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from compris.accounts.actions import RateLimited
from compris.escalation.actions import answers
from compris.escalation.mailing import format_time, partner_language, partner_timezone
from compris.escalation.sharing import CUSTOMER, shared_view
from compris.kit.errors import ComprisError, NotFound, TooLarge
from compris.kit.signing import form_token, form_token_ok
from compris.models import Case, Escalation, Partner, Upload, Workspace
from compris.uploads import store
from compris.web import i18n
from compris.web.deps import client_ip, get_runtime, get_session
from compris.web.pages.render import _new_gettext, domain_action, environment
from compris.web.pages.uploads import file_response

FORM_PURPOSE = "portal"  # the portal form's token (kit.signing.form_token) names the link itself

router = APIRouter(include_in_schema=False)

PORTAL_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                "script-src 'self'; connect-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
}


def _lang(request: Request, default: str) -> str:
    asked = request.query_params.get("lang")
    return i18n.normalise(asked) if asked in i18n.LANGUAGES else i18n.normalise(default)


def _page(request: Request, template: str, lang: str, *, status_code: int = 200,
          headers: dict[str, str] | None = None, **variables: Any) -> HTMLResponse:
    """Render a portal page without touching the session (no cookie is ever set here)."""
    t = i18n.translations(lang)
    gettext = _new_gettext(t.gettext)
    context = {"request": request, "lang": lang, "gettext": gettext, "_": gettext, **variables}
    html = environment().get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code, headers={**PORTAL_HEADERS, **(headers or {})})


def _client(request: Request) -> str:
    return client_ip(request)  # behind COMPRIS_TRUSTED_PROXIES only, X-Forwarded-For


def _refused(request: Request, exc: answers.LinkRefused) -> HTMLResponse:
    lang = _lang(request, i18n.from_accept_language(request.headers.get("accept-language")))
    return _page(request, "portal_error.html", lang, status_code=exc.status_code, reason=exc.reason,
                 brand=exc.brand or "")


def _too_many(request: Request, exc: RateLimited) -> HTMLResponse:
    lang = _lang(request, i18n.from_accept_language(request.headers.get("accept-language")))
    return _page(request, "portal_error.html", lang, status_code=429, reason="rate_limited", brand="",
                 retry_after=exc.retry_after, headers={"Retry-After": str(exc.retry_after)})


def _open(request: Request, session: Session, token: str) -> Escalation | Response:
    """The escalation the link opens, counted against the rate limits, or the page saying why not."""
    settings = get_runtime(request).settings
    try:
        answers.count_request(session, answers.ip_key(_client(request)), limit=answers.IP_LIMIT)
        escalation = answers.escalation_for_link(session, settings.secret_key, token)
        answers.count_request(session, answers.link_key(escalation), limit=answers.LINK_LIMIT,
                              workspace_id=escalation.workspace_id)
    except answers.LinkRefused as exc:
        return _refused(request, exc)
    except RateLimited as exc:
        return _too_many(request, exc)
    return escalation


def _visible_upload_ids(session: Session, escalation: Escalation) -> set[int]:
    """The files the partner may open: those shared with them and those of this escalation's exchanges."""
    return set(shared_view(session, escalation).upload_ids)


def _portal(request: Request, session: Session, escalation: Escalation, token: str, *, lang: str | None = None,
            error: str | None = None, text: str = "", status_code: int = 200) -> HTMLResponse:
    settings = get_runtime(request).settings
    partner = session.get(Partner, escalation.partner_id)
    case = session.get(Case, escalation.case_id)
    workspace = session.get(Workspace, escalation.workspace_id)
    assert partner is not None and case is not None and workspace is not None
    lang = lang or _lang(request, partner_language(partner))
    tz = partner_timezone(session, partner, workspace)
    view = shared_view(session, escalation)
    subject = case.subject or ""
    if not view.personal_data:
        subject = answers.mask_text(subject)
    return _page(
        request, "portal.html", lang, status_code=status_code,
        brand=workspace.name, partner=partner, case=case, subject=subject, escalation=escalation, token=token,
        shared=view.messages, shared_files=view.files, customer_label=CUSTOMER,
        exchanges=[x for x in view.exchanges if x.kind != "brief"],  # the brief is shown above
        when=lambda value: format_time(value, lang, tz) if value else "",
        due=format_time(escalation.due_at, lang, tz) if escalation.due_at else "",
        csrf=form_token(settings.secret_key, FORM_PURPOSE, token), error=error, text=text,
        sent=request.query_params.get("sent") == "1", max_files=answers.MAX_FILES,
        other_lang="en" if lang == "fr" else "fr")


@router.get("/p/{token}")
def portal_page(token: str, request: Request, session: Session = Depends(get_session)) -> Response:
    """The escalation a signed link opens (no login). A GET records nothing: the page's script POSTs
    ``/p/{token}/opened`` once it is shown in a browser (a mail scanner fetching the link opens nothing)."""
    found = _open(request, session, token)
    if not isinstance(found, Escalation):
        return found
    return _portal(request, session, found, token)


@router.post("/p/{token}/opened")
def portal_opened(token: str, request: Request, session: Session = Depends(get_session),
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    """The partner has the page open (``static/portal.js``, with the form's token): the first opening of a link
    version is recorded. 204."""
    found = _open(request, session, token)
    if not isinstance(found, Escalation):
        return found
    if not form_token_ok(get_runtime(request).settings.secret_key, FORM_PURPOSE, token, csrf_token):
        return Response(status_code=403, headers=PORTAL_HEADERS)
    with domain_action(session):
        answers.record_opened(session, get_runtime(request).publisher, found)
    return Response(status_code=204, headers=PORTAL_HEADERS)


@router.post("/p/{token}")
def portal_answer(
    token: str,
    request: Request,
    session: Session = Depends(get_session),
    csrf_token: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "answer",
    lang: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """The partner's answer: text, files, and "answer" / "done" / "need_info"."""
    found = _open(request, session, token)
    if not isinstance(found, Escalation):
        return found
    runtime = get_runtime(request)
    settings = runtime.settings
    page_lang = i18n.normalise(lang) if lang in i18n.LANGUAGES else None
    if not form_token_ok(settings.secret_key, FORM_PURPOSE, token, csrf_token):
        return _portal(request, session, found, token, lang=page_lang, text=text, status_code=403,
                       error=i18n.gettext(page_lang or "en", "The form expired: reload the page and try again."))
    try:
        ids: list[int] = []
        for upload in files or []:
            if upload.filename or upload.size:
                if len(ids) >= answers.MAX_FILES:
                    raise TooLarge.of("at most %(max)s files", max=answers.MAX_FILES)
                with domain_action(session):
                    ids.append(answers.store_partner_file(
                        session, settings.data_dir, found, name=upload.filename,
                        data=upload.file.read(settings.max_upload_bytes + 1),
                        max_bytes=settings.max_upload_bytes).id)
        with domain_action(session):
            answers.record_opened(session, runtime.publisher, found)  # an answer without the script: opened too
        with domain_action(session):
            answers.record_answer(session, runtime.publisher, found, outcome=outcome, text=text, via="portal",
                                  upload_ids=ids)
    except ComprisError as exc:
        message = i18n.error_text(page_lang or "en", exc)
        return _portal(request, session, found, token, lang=page_lang, text=text, error=message,
                       status_code=413 if isinstance(exc, TooLarge) else 422)
    suffix = f"&lang={page_lang}" if page_lang else ""
    return RedirectResponse(f"/p/{token}?sent=1{suffix}", status_code=303, headers=PORTAL_HEADERS)


@router.get("/p/{token}/files/{upload_id}")
def portal_file(token: str, upload_id: int, request: Request, session: Session = Depends(get_session)) -> Response:
    """A file shared with the partner or exchanged on this escalation (nothing else of the workspace)."""
    found = _open(request, session, token)
    if not isinstance(found, Escalation):
        return found
    upload = session.get(Upload, upload_id)
    try:
        if upload is None or upload.workspace_id != found.workspace_id \
                or upload_id not in _visible_upload_ids(session, found):
            raise NotFound("no such file")
        data = store.read(get_runtime(request).settings.data_dir, upload.workspace_id, upload.sha256)
    except (NotFound, OSError):
        return Response("not found", status_code=404, media_type="text/plain", headers=PORTAL_HEADERS)
    response = file_response(upload, data)
    response.headers.update({k: v for k, v in PORTAL_HEADERS.items() if k != "Content-Security-Policy"})
    return response
