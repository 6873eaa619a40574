"""``/contacts/{id}``: a customer's identities and cases; merge them into another contact, split an identity off.

Plain forms (CSRF-checked by ``page_user``) answered with a redirect (post/redirect/get), or the page again with
the error when the action is refused (nothing written: each action runs in a savepoint).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.accounts.permissions import Permission, allows
from compris.inbox import actions
from compris.inbox import queries as contact_queries
from compris.inbox.actions import customers as customer_actions
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.models import Contact
from compris.web import i18n
from compris.web.deps import PageContext, ReadCasesPage, WorkCasesPage
from compris.web.pages import case as case_pages
from compris.web.pages.customer_panel import customer_panel
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


def _page(request: Request, ctx: PageContext, contact_id: int, *, q: str = "", error: str | None = None,
          split: int | None = None, status_code: int = 200) -> Response:
    view = contact_queries.contact_view(ctx.session, ctx.user.workspace_id, contact_id)
    matches = contact_queries.search_contacts(ctx.session, ctx.user.workspace_id, q[:200], exclude_id=contact_id)
    variables: dict[str, Any] = {"view": view, "q": q, "matches": matches, "error": error, "split": None,
                                 "may_manage_privacy": allows(ctx.user, Permission.MANAGE_PRIVACY),
                                 "customer": customer_panel(ctx, view.contact.id, view.identities,
                                                            view.contact.language,
                                                            with_suggestions=view.merged_into is None)}
    if split is not None:
        with suppress(NotFound):
            variables["split"] = contact_queries.get_contact(ctx.session, ctx.user.workspace_id, split)
    return render(request, ctx, "contact.html", status_code=status_code, **variables)


@router.get("/contacts/{contact_id}")
def contact_page(contact_id: int, request: Request, ctx: ReadCasesPage, q: str = "",
                 split: int | None = None) -> Response:
    """The contact; with ``q``, the other contacts matching it (by name, handle or network id) to merge into."""
    try:
        return _page(request, ctx, contact_id, q=q, split=split)
    except NotFound:
        return _not_found(request, ctx)


def _refused(request: Request, ctx: PageContext, contact_id: int, error: ComprisError, q: str = "") -> Response:
    return _page(request, ctx, contact_id, q=q, error=i18n.error_text(ctx.user.language, error),
                 status_code=409 if error.status_code == 409 else 422)


@router.post("/contacts/{contact_id}/merge")
def merge(contact_id: int, request: Request, ctx: WorkCasesPage,
          into: Annotated[str, Form()] = "", q: Annotated[str, Form()] = "") -> Response:
    """Merge this contact into ``into``: its identities and cases move there; the agent lands on that contact."""
    session, workspace_id = ctx.session, ctx.user.workspace_id
    try:
        source = contact_queries.get_contact(session, workspace_id, contact_id, for_update=True)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(session):
            if not (into.isascii() and into.isdigit()):
                raise Invalid("pick the contact to merge into")
            try:
                target = contact_queries.get_contact(session, workspace_id, int(into), for_update=True)
            except NotFound:
                raise Invalid("no such contact") from None
            if target.id == source.id:
                raise Invalid("a contact cannot be merged into itself")
            actions.merge_contacts(session, ctx.runtime.publisher, actor=ctx.user, source=source, target=target)
    except ComprisError as exc:
        return _refused(request, ctx, contact_id, exc, q)
    return redirect(f"/contacts/{target.id}")


@router.post("/contacts/{contact_id}/identities/{identity_id}/unmerge")
def unmerge(contact_id: int, identity_id: int, request: Request, ctx: WorkCasesPage,
            case: Annotated[str, Form()] = "") -> Response:
    """Split one identity off into a contact of its own; back to this contact, which links to the new one."""
    session = ctx.session
    try:
        contact = contact_queries.get_contact(session, ctx.user.workspace_id, contact_id, for_update=True)
        identity = contact_queries.get_identity(session, contact, identity_id)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(session):
            new = actions.unmerge_identity(session, ctx.runtime.publisher, actor=ctx.user, identity=identity)
    except ComprisError as exc:
        number = _case_number(ctx, contact, case)
        if number is not None:
            return case_pages.answer_with_fragments(request, ctx, number, ["customer"], action_error=_message(ctx, exc))
        return _refused(request, ctx, contact_id, exc)
    number = _case_number(ctx, contact, case)
    if number is not None:
        return redirect(f"/cases/{number}")
    return redirect(f"/contacts/{contact_id}?split={new.id}")


# --- the customer panel (issue 18): notes about the customer, probably the same customer -------------------------
#
# Each form carries the number of the case it was sent from (``case``): with HTMX the answer is the case's customer
# panel again (and the timeline when cases were merged), without it a redirect to the case; without a case, to
# the contact's page.


def _message(ctx: PageContext, error: ComprisError) -> str:
    return i18n.error_text(ctx.user.language, error)


def _case_number(ctx: PageContext, contact: Contact, case: str) -> int | None:
    """The number of the case the form came from, when it is a case of this contact (else None)."""
    if not (case.isascii() and case.isdigit()) or len(case) > 12:
        return None
    try:
        found = contact_queries.get_case(ctx.session, ctx.user.workspace_id, int(case))
    except NotFound:
        return None
    return found.number if found.contact_id == contact.id else None


def _answer(request: Request, ctx: PageContext, contact: Contact, case: str, *, error: ComprisError | None = None,
            fragments: tuple[str, ...] = ("customer",)) -> Response:
    number = _case_number(ctx, contact, case)
    if number is None:
        if error is not None:
            return _refused(request, ctx, contact.id, error)
        return redirect(f"/contacts/{contact.id}")
    if error is not None:
        return case_pages.answer_with_fragments(request, ctx, number, ["customer"], action_error=_message(ctx, error),
                                                status_code=409 if error.status_code == 409 else 422)
    return case_pages.answer_with_fragments(request, ctx, number, list(fragments))


def _contact_or_404(request: Request, ctx: PageContext, contact_id: int) -> Contact | Response:
    try:
        return contact_queries.get_contact(ctx.session, ctx.user.workspace_id, contact_id, for_update=True)
    except NotFound:
        return _not_found(request, ctx)


@router.post("/contacts/{contact_id}/notes")
def add_note(contact_id: int, request: Request, ctx: WorkCasesPage, text: Annotated[str, Form(max_length=20000)] = "",
             case: Annotated[str, Form()] = "") -> Response:
    """A note about the customer (internal), shown on every case of theirs."""
    contact = _contact_or_404(request, ctx, contact_id)
    if isinstance(contact, Response):
        return contact
    try:
        with domain_action(ctx.session):
            customer_actions.add_customer_note(ctx.session, ctx.runtime.publisher, actor=ctx.user, contact=contact,
                                               text=text)
    except ComprisError as exc:
        return _answer(request, ctx, contact, case, error=exc)
    return _answer(request, ctx, contact, case)


@router.post("/contacts/{contact_id}/notes/{note_id}")
def edit_note(contact_id: int, note_id: int, request: Request, ctx: WorkCasesPage,
              text: Annotated[str, Form(max_length=20000)] = "", case: Annotated[str, Form()] = "") -> Response:
    contact = _contact_or_404(request, ctx, contact_id)
    if isinstance(contact, Response):
        return contact
    try:
        note = contact_queries.get_customer_note(ctx.session, contact, note_id)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            customer_actions.edit_customer_note(ctx.session, ctx.runtime.publisher, actor=ctx.user, note=note,
                                                text=text)
    except ComprisError as exc:
        return _answer(request, ctx, contact, case, error=exc)
    return _answer(request, ctx, contact, case)


@router.post("/contacts/{contact_id}/notes/{note_id}/delete")
def delete_note(contact_id: int, note_id: int, request: Request, ctx: WorkCasesPage,
                case: Annotated[str, Form()] = "") -> Response:
    contact = _contact_or_404(request, ctx, contact_id)
    if isinstance(contact, Response):
        return contact
    try:
        note = contact_queries.get_customer_note(ctx.session, contact, note_id)
    except NotFound:
        return _not_found(request, ctx)
    customer_actions.delete_customer_note(ctx.session, ctx.runtime.publisher, actor=ctx.user, note=note)
    return _answer(request, ctx, contact, case)


@router.post("/contacts/{contact_id}/same/{other_id}/merge")
def merge_same(contact_id: int, other_id: int, request: Request, ctx: WorkCasesPage,
               case: Annotated[str, Form()] = "", with_cases: Annotated[str, Form()] = "") -> Response:
    """Take a "probably the same customer" suggestion from a case of ``contact_id``: ``other_id`` is merged into
    it (and, with ``with_cases``, its open cases into that case)."""
    contact = _contact_or_404(request, ctx, contact_id)
    if isinstance(contact, Response):
        return contact
    try:
        other = contact_queries.get_contact(ctx.session, ctx.user.workspace_id, other_id, for_update=True)
    except NotFound:
        return _not_found(request, ctx)
    number = _case_number(ctx, contact, case)
    if number is None:
        # from the contact's page (no case): the contacts only
        try:
            with domain_action(ctx.session):
                if other.id == contact.id:
                    raise Invalid("a contact cannot be merged into itself")
                actions.merge_contacts(ctx.session, ctx.runtime.publisher, actor=ctx.user, source=other,
                                       target=contact)
        except ComprisError as exc:
            return _refused(request, ctx, contact_id, exc)
        return redirect(f"/contacts/{contact.id}")
    target = contact_queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    try:
        with domain_action(ctx.session):
            customer_actions.merge_same_customer(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=target,
                                                 other=other, with_open_cases=with_cases == "1")
    except ComprisError as exc:
        return _answer(request, ctx, contact, case, error=exc)
    return _answer(request, ctx, contact, case, fragments=("customer", "timeline", "actions"))


@router.post("/contacts/{contact_id}/same/{other_id}/dismiss")
def dismiss_same(contact_id: int, other_id: int, request: Request, ctx: WorkCasesPage,
                 case: Annotated[str, Form()] = "") -> Response:
    """"Not the same person": this pair is not suggested again."""
    contact = _contact_or_404(request, ctx, contact_id)
    if isinstance(contact, Response):
        return contact
    try:
        other = contact_queries.get_contact(ctx.session, ctx.user.workspace_id, other_id)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            customer_actions.dismiss_same_customer(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                   contact=contact, other=other)
    except ComprisError as exc:
        return _answer(request, ctx, contact, case, error=exc)
    return _answer(request, ctx, contact, case)
