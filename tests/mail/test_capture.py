"""The demo's mail capture server: a real SMTP conversation with the standard library's client, and the send job
delivering a partner's mail to it through the workspace's settings (both databases)."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import select

from compris.config import Settings
from compris.demo import ensure_demo
from compris.mail import actions, capture, queries
from compris.models import MailState, OutgoingMail, Workspace
from compris.runtime import Runtime
from tests.conftest import World


def test_it_speaks_enough_smtp() -> None:
    server = capture.CaptureServer()
    try:
        message = EmailMessage()
        message["From"] = "care@brand.example"
        message["To"] = "desk@hotel.example"
        message["Subject"] = "Réservation"
        message.set_content(".a line that starts with a dot\nBonjour 🙂\n")
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.noop()
            refused = client.send_message(message, to_addrs=["desk@hotel.example", "night@hotel.example"])
            assert refused == {}
            client.rset()
            code, _ = client.docmd("DATA")
            assert code == 503  # no MAIL, no RCPT
            code, _ = client.docmd("VRFY", "x")
            assert code == 502
        (got,) = server.messages
        assert got.mail_from == "care@brand.example"
        assert got.rcpt_to == ("desk@hotel.example", "night@hotel.example")
        parsed = message_from_bytes(got.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage) and parsed["Subject"] == "Réservation"
        body = parsed.get_body()
        assert body is not None
        assert body.get_content().replace("\r\n", "\n") == ".a line that starts with a dot\nBonjour 🙂\n"
    finally:
        server.stop()


def test_the_demo_workspace_mail_goes_to_the_capture(world: World) -> None:
    with world.runtime.db.transaction() as s:
        server = capture.use_for_demo(s, world.runtime.publisher, workspace_id=world.workspace_id,
                                      secret_key=world.runtime.settings.secret_key)
        settings = queries.settings_of(s, world.workspace_id)
        assert settings is not None and settings.port == server.port and settings.host == "127.0.0.1"
        assert settings.reply_address == "care+{token}@acme.test"
        mail = actions.queue_mail(s, world.runtime.publisher, workspace_id=world.workspace_id,
                                  to=["desk@hotel.example"], subject="Case 12", purpose="escalation_brief",
                                  text="Answer here: http://testserver/p/abc\n")
        mail_id = mail.id
    before = len(server.messages)
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        row = s.get(OutgoingMail, mail_id)
        assert row is not None and row.state == MailState.SENT
    new = server.messages[before:]
    assert len(new) == 1 and b"http://testserver/p/abc" in new[0].data
    # a second start keeps the addresses an admin chose and the same (process-wide) server
    with world.runtime.db.transaction() as s:
        assert capture.use_for_demo(s, world.runtime.publisher, workspace_id=world.workspace_id,
                                    secret_key=world.runtime.settings.secret_key) is server


def test_the_demo_points_its_mail_at_the_capture(settings: Settings, runtime: Runtime) -> None:
    ensure_demo(settings)
    ensure_demo(settings)  # a second start (already loaded) points it again
    with runtime.db.transaction() as s:
        workspace_id = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        assert workspace_id is not None
        row = queries.settings_of(s, workspace_id)
        assert row is not None and (row.host, row.port, row.security) == ("127.0.0.1", capture.running().port, "plain")
        assert row.from_address == "care@demo.compris.example"
