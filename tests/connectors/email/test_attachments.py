"""E-mail: files as real MIME attachments (the bytes), through a real local SMTP server."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest

from compris.connectors.base import SendError

from ..attachments import PDF, PNG, document, image
from . import test_email
from .test_email import CONNECTOR, Recorder, account, reply

smtp = test_email.smtp  # the local SMTP server fixture


def test_files_are_attached_to_the_mail(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    recorder, port = smtp
    message = dataclasses.replace(reply(), attachments=(image(data=True), document(data=True)))
    CONNECTOR.send(account(smtp_port=port), message, http)
    (envelope,) = recorder.envelopes
    assert isinstance(envelope.content, bytes)
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body()
    assert body is not None and "remboursement" in body.get_content()
    files = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in mail.iter_attachments()]
    assert files == [("photo1.png", "image/png", PNG), ("ticket.pdf", "application/pdf", PDF)]


def test_a_file_without_its_bytes_is_refused(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    recorder, port = smtp
    with pytest.raises(SendError, match="bytes"):
        CONNECTOR.send(account(smtp_port=port), dataclasses.replace(reply(), attachments=(image(),)), http)
    assert recorder.envelopes == []
    rules = CONNECTOR.limits.attachment_rules("private")
    assert rules is not None and not rules.public_url and CONNECTOR.limits.attachment_rules("public") is None
