"""Survey answers by e-mail: one-click links in the text, and an HTML part with the same links (escaped)."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest

from compris.connectors.base import Choice, SendError, Visibility
from compris.connectors.email import EmailConnector
from compris.connectors.email.smtp import choices_html

from ..choices import RATINGS
from .test_email import Recorder, account, reply, smtp  # noqa: F401 - smtp is a fixture

CONNECTOR = EmailConnector()


def test_a_survey_mail_has_links_in_text_and_html(smtp: tuple[Recorder, int], http: httpx.Client) -> None:  # noqa: F811
    recorder, port = smtp
    survey = dataclasses.replace(reply(), text="Bonjour,\n\nComment avez-vous trouvé notre aide ?", choices=RATINGS)
    CONNECTOR.send(account(smtp_port=port), survey, http)
    (envelope,) = recorder.envelopes
    assert isinstance(envelope.content, bytes)
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "- ⭐⭐⭐⭐⭐: https://compris.example/s/tok?r=5" in text.get_content()
    content = html.get_content()
    assert '<a href="https://compris.example/s/tok?r=1"' in content and "<p>Comment avez-vous" in content


def test_the_html_part_escapes_text_labels_and_links() -> None:
    html = choices_html("<b>Bonjour</b> & merci", (Choice('<script>"x"</script>', "p", 'https://e.example/?a=1&b="2"'),
                                                   Choice("no link", "q", "javascript:alert(1)")))
    assert "<b>" not in html and "&lt;b&gt;Bonjour&lt;/b&gt; &amp; merci" in html
    assert "<script>" not in html and "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in html
    assert 'href="https://e.example/?a=1&amp;b=&quot;2&quot;"' in html
    assert "javascript:" not in html and "<li>no link</li>" in html


def test_without_links_there_is_no_html_part(smtp: tuple[Recorder, int], http: httpx.Client) -> None:  # noqa: F811
    recorder, port = smtp
    plain = tuple(Choice(c.label, c.payload) for c in RATINGS)
    CONNECTOR.send(account(smtp_port=port), dataclasses.replace(reply(), choices=plain), http)
    (envelope,) = recorder.envelopes
    assert isinstance(envelope.content, bytes)
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(mail, EmailMessage) and not mail.is_multipart()
    assert mail.get_content().rstrip().endswith("- ⭐")


def test_a_public_survey_is_refused(http: httpx.Client) -> None:
    with pytest.raises(SendError):
        CONNECTOR.send(account(), dataclasses.replace(reply(), visibility=Visibility.PUBLIC, choices=RATINGS), http)
