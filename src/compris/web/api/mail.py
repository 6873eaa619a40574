"""Outgoing mail: the workspace's SMTP settings (admin), a test mail, the log of mails sent.

The password is write-only: it is stored encrypted and shown redacted. Every change is audited (field names only).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from compris.kit.errors import NotFound
from compris.mail import actions, queries
from compris.mail.schemas import MailList, MailOut, MailSettingsIn, MailSettingsOut, TestMailIn
from compris.models import MailSettings, OutgoingMail
from compris.web.api.common import SettingsApi, errors

router = APIRouter(prefix="/mail", tags=["mail"])

MailId = Annotated[int, Path(description="See `GET /mail/outgoing`.", examples=[12])]


def settings_out(row: MailSettings | None) -> MailSettingsOut:
    if row is None:
        return MailSettingsOut(configured=False, host="", port=587, security="starttls", username="",
                               password_set=False, password="", from_address="", from_name="", reply_address="")
    password_set = bool(row.secrets)
    return MailSettingsOut(configured=bool(row.host and row.from_address), host=row.host, port=row.port,
                           security=row.security if row.security in actions.SECURITIES else "starttls",  # type: ignore[arg-type]
                           username=row.username, password_set=password_set,
                           password=actions.REDACTED if password_set else "", from_address=row.from_address,
                           from_name=row.from_name, reply_address=row.reply_address, updated_at=row.updated_at)


def mail_out(row: OutgoingMail, *, body: bool = True) -> MailOut:
    return MailOut(id=row.id, created_at=row.created_at, state=row.state, to=[str(a) for a in row.to],  # type: ignore[arg-type]
                   subject=row.subject, purpose=row.purpose, attempts=row.attempts, error=row.error,
                   sent_at=row.sent_at, message_id=row.message_id, text=row.text if body else None)


@router.get("/settings", response_model=MailSettingsOut, summary="Read the outgoing mail settings",
            responses=errors(403))
def get_settings(ctx: SettingsApi) -> MailSettingsOut:
    """The SMTP server partners' e-mails go through; the password is never returned (``password_set``)."""
    return settings_out(queries.settings_of(ctx.session, ctx.user.workspace_id))


@router.put("/settings", response_model=MailSettingsOut, summary="Set the outgoing mail settings",
            responses=errors(403, 422))
def put_settings(body: MailSettingsIn, ctx: SettingsApi) -> MailSettingsOut:
    """All the settings at once; the stored password is kept unless ``password`` or ``clear_password`` is given."""
    row = actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                secret_key=ctx.runtime.settings.secret_key, **body.model_dump())
    return settings_out(row)


@router.post("/test", status_code=202, response_model=MailOut, summary="Send a test mail",
             responses=errors(403, 422))
def test_mail(body: TestMailIn, ctx: SettingsApi) -> MailOut:
    """Queue a test mail (to your own address by default); follow it with `GET /mail/outgoing/{id}`: `sent`, or
    `failed` with the server's answer in `error`."""
    return mail_out(actions.send_test_mail(ctx.session, ctx.runtime.publisher, actor=ctx.user, to=body.to))


@router.get("/outgoing", response_model=MailList, summary="The log of outgoing mails",
            responses=errors(403, 422))
def list_mails(ctx: SettingsApi,
               state: Annotated[Literal["queued", "sending", "sent", "failed"] | None, Query()] = None,
               purpose: Annotated[str | None, Query(max_length=32)] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               body: Annotated[bool, Query(description="Include each mail's text.")] = False) -> MailList:
    """The latest mails first: partners' e-mails, reminders, test mails, with their state and error."""
    rows = queries.mails(ctx.session, ctx.user.workspace_id, state=state, purpose=purpose, limit=limit)
    return MailList(items=[mail_out(r, body=body) for r in rows])


@router.get("/outgoing/{mail_id}", response_model=MailOut, summary="One outgoing mail",
            responses=errors(403, 404, 422, not_found="No such mail in your workspace."))
def get_mail(mail_id: MailId, ctx: SettingsApi) -> MailOut:
    """One mail with its body, its state and, when it failed, the mail server's answer."""
    row = queries.mail_of(ctx.session, ctx.user.workspace_id, mail_id)
    if row is None:
        raise NotFound("no such mail")
    return mail_out(row)
