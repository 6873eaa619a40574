"""The public survey page a signed link opens, with no login (``/s/{token}``).

Small and fast: one server-rendered page, one stylesheet and a 1 kB script from ``/static`` (nothing inline, so
the app's CSP holds), mobile first. It names the brand (the workspace), asks the question in the customer's
language (``survey.language``), offers the survey's scale (five stars or five faces) as a real form that works
without JavaScript, the optional comment, then thanks.

* ``GET`` never records anything, so a link scanner that fetches every link of an e-mail changes nothing. A
  one-click link (token with ``r``, in e-mails) shows the page with that rating chosen, and a tiny script
  (``/static/survey.js``) sends the form once the page is really shown in a browser: one click for the customer;
  without JavaScript, one more tap on "Send". The trade-off: a scanner that runs a full browser and executes
  scripts could send the rating of the link it opened; the answer is still counted once (``record_answer``
  keeps the first), and scanners that only fetch (the usual case) record nothing.
* ``POST`` records the rating (``via="email"`` for a one-click link, ``"link"`` otherwise) and the comment, once
  each; a survey already answered shows its answer and still takes a comment if it has none. Post/redirect/get:
  reloading the thanks page sends nothing again.
* Expired link: 410; tampered, unknown, another workspace's or a survey that was never sent: 404.
* No session, so no session CSRF token: the form carries an HMAC of the survey the link names (a third-party
  site cannot make one without the link). POSTs are rate-limited per survey (``RATE_LIMIT`` per
  ``RATE_WINDOW``, counted in the database so that every process shares the count).
  ``Referrer-Policy: no-referrer`` (the token never leaks to a linked site), ``X-Robots-Tag: noindex``,
  ``Cache-Control: no-store``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from compris.accounts import actions as limits
from compris.kit.clock import now
from compris.kit.errors import ComprisError
from compris.kit.signing import LinkError, form_token, form_token_ok
from compris.models import Survey, SurveyState
from compris.surveys import actions, links, parsing
from compris.surveys import results as queries
from compris.web import i18n
from compris.web.deps import get_runtime
from compris.web.pages.render import domain_action, environment

router = APIRouter(include_in_schema=False)

HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
RATE_LIMIT = 12
RATE_WINDOW = timedelta(minutes=10)
COMMENT_MAX = 4000
FACES = ("😞", "🙁", "😐", "🙂", "😄")
#: what each point means, for screen readers and the faces' titles (translated in the template)
POINT_LABELS = ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied",
                "Very satisfied")


def _form_token(secret_key: str, survey: Survey) -> str:
    """The survey form's anti-forgery token: an HMAC of the survey the link names (no session needed)."""
    return form_token(secret_key, "survey", f"{survey.workspace_id}:{survey.id}")


def _page(request: Request, template: str, lang: str, *, status_code: int = 200, **variables: Any) -> HTMLResponse:
    t = i18n.translations(lang)

    def gettext(message: str, /, **kw: Any) -> str:
        text = t.gettext(message)
        return text % kw if kw else text

    context = {"request": request, "lang": lang, "_": gettext, "gettext": gettext, "ngettext": t.ngettext,
               "faces": FACES, "point_labels": POINT_LABELS, **variables}
    html = environment().get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def _error(request: Request, status: int) -> HTMLResponse:
    lang = i18n.from_accept_language(request.headers.get("accept-language"))
    return _page(request, "survey_page_error.html", lang, status_code=status, code=status)


def _open(request: Request, token: str) -> tuple[links.SurveyRef | None, HTMLResponse | None]:
    settings = get_runtime(request).settings
    try:
        return links.read(settings.secret_key, token, now()), None
    except LinkError as exc:
        return None, _error(request, 410 if exc.expired else 404)


def _question_language(survey: Survey) -> str:
    """The customer's language for the settings' question (any language they wrote; the page's own words are in
    French or English)."""
    return (survey.language or "en").strip().lower().replace("_", "-").split("-", 1)[0] or "en"


def _valid_rating(value: int | None, survey: Survey) -> int | None:
    return value if value is not None and 1 <= value <= parsing.points(survey.scale) else None


def _show(request: Request, token: str, ref: links.SurveyRef, survey: Survey, texts: queries.PageTexts, *,
          status_code: int = 200, error: str | None = None, comment: str = "",
          chosen: int | None = None) -> HTMLResponse:
    secret = get_runtime(request).settings.secret_key
    lang = i18n.normalise(survey.language)
    preset = chosen if chosen is not None else _valid_rating(ref.rating, survey)
    return _page(
        request, "survey_page.html", lang, status_code=status_code, token=token, survey=survey, texts=texts,
        points=parsing.points(survey.scale), chosen=preset,
        auto=survey.rating is None and ref.rating is not None and preset is not None and error is None,
        csrf=_form_token(secret, survey), error=error, comment=comment,
        wants_comment=texts.ask_comment and survey.comment is None,
    )


def _load(request: Request, token: str, session: Any) -> tuple[links.SurveyRef, Survey] | HTMLResponse:
    ref, failed = _open(request, token)
    if failed is not None:
        return failed
    assert ref is not None
    survey = queries.survey_of(session, ref.workspace_id, ref.survey_id)
    if survey is None or survey.state not in (SurveyState.SENT, SurveyState.ANSWERED):
        return _error(request, 404)
    return ref, survey


@router.get("/s/{token}")
def survey_page(request: Request, token: str) -> Response:
    """Show the survey (or its recorded answer); never records anything (link scanners fetch with GET)."""
    with get_runtime(request).db.transaction() as session:
        loaded = _load(request, token, session)
        if isinstance(loaded, HTMLResponse):
            return loaded
        ref, survey = loaded
        texts = queries.page_texts(session, survey, _question_language(survey))
        return _show(request, token, ref, survey, texts)


@router.post("/s/{token}")
def survey_answer(
    request: Request,
    token: str,
    csrf_token: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=COMMENT_MAX * 2)] = "",
) -> Response:
    """Record the rating and the comment (each once), then show the page again (post/redirect/get)."""
    runtime = get_runtime(request)
    with runtime.db.transaction() as session:
        loaded = _load(request, token, session)
        if isinstance(loaded, HTMLResponse):
            return loaded
        ref, survey = loaded
        if not form_token_ok(runtime.settings.secret_key, "survey", f"{survey.workspace_id}:{survey.id}", csrf_token):
            return _error(request, 403)
        try:
            limits.count_request(session, f"survey:{survey.id}", limit=RATE_LIMIT, window=RATE_WINDOW,
                                 workspace_id=survey.workspace_id)
        except limits.RateLimited as exc:
            lang = i18n.normalise(survey.language)
            answer = _page(request, "survey_page_error.html", lang, status_code=429, code=429)
            answer.headers["Retry-After"] = str(exc.retry_after)
            return answer
        texts = queries.page_texts(session, survey, _question_language(survey))
        value = _valid_rating(int(rating) if rating.strip().isdigit() else None, survey)
        text = comment.strip()[:COMMENT_MAX]
        if survey.rating is None and value is None:
            return _show(request, token, ref, survey, texts, status_code=422, error="rating", comment=comment)
        try:
            with domain_action(session):
                if survey.rating is None and value is not None and not actions.record_answer(
                        session, runtime.publisher, survey, rating=value,
                        via="email" if ref.rating is not None else "link"):
                    session.refresh(survey)  # answered at the same moment elsewhere: that answer stands
                if text and survey.comment is None:
                    actions.record_comment(session, runtime.publisher, survey, text=text)
        except ComprisError:
            session.refresh(survey)
            return _show(request, token, ref, survey, texts, status_code=422, error="failed", comment=comment,
                         chosen=value)
    return RedirectResponse(f"{links.PREFIX}{token}", status_code=303, headers=HEADERS)
