"""The outgoing mail admin page: settings form (password never shown), the test mail and its result, the log with
escaped bodies and clickable links; admins only; French."""

from __future__ import annotations

from compris.config import Settings
from compris.mail import actions
from compris.models import User
from compris.runtime import Runtime
from compris.web.pages.mail_admin import text_parts
from tests.conftest import World
from tests.mail.smtp_server import smtp_server
from tests.web.test_pages import Agent, make_client


def test_settings_test_mail_and_log(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/mail")
    assert page.status_code == 200 and "Outgoing mail" in page.text and "No mail sent yet." in page.text
    bad = admin.post("/admin/mail", {"host": "smtp.brand.example", "port": "x", "from_address": "care@brand.example"})
    assert bad.status_code == 422 and "port" in bad.text
    with smtp_server() as (recorder, port):
        saved = admin.post("/admin/mail", {"host": "127.0.0.1", "port": str(port), "security": "plain",
                                           "password": "hunter2-secret", "from_address": "care@brand.example",
                                           "from_name": "Brand <Care>", "reply_address": "care@brand.example"})
        assert saved.status_code == 303
        page = admin.get("/admin/mail?saved=1")
        assert "Settings saved." in page.text and "hunter2" not in page.text and actions.REDACTED in page.text
        assert "Brand &lt;Care&gt;" in page.text
        sent = admin.post("/admin/mail/test", {"to": "me@brand.example"})
        assert sent.status_code == 303
        result = admin.get(sent.headers["location"])
        assert "Test mail to me@brand.example" in result.text and 'hx-trigger="every 3s"' in result.text
        world.run_jobs()
    assert len(recorder.envelopes) == 1
    log = admin.get("/admin/mail/log", headers={"HX-Request": "true"})
    assert log.status_code == 200 and "Sent" in log.text and "every 3s" not in log.text  # nothing pending: no poll


def test_bodies_are_escaped_and_links_clickable(settings: Settings, runtime: Runtime, world: World) -> None:
    with world.runtime.db.transaction() as s:
        actions.queue_mail(s, world.runtime.publisher, workspace_id=world.workspace_id, to=["desk@hotel.example"],
                           subject="<b>Subject</b>", purpose="escalation_brief",
                           text="<script>alert(1)</script>\nAnswer here: http://testserver/p/abc.def.\n")
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/mail")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;Subject&lt;/b&gt;" in page.text
    assert '<a href="http://testserver/p/abc.def" rel="noopener noreferrer" target="_blank">' in page.text
    assert text_parts('x "http://a.example/?q=<b>" y') == [("text", 'x "'), ("url", "http://a.example/?q="),
                                                           ("text", '<b>" y')]


def test_admins_only_and_french(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/admin/mail").status_code == 403
    assert agent.post("/admin/mail/test", {}).status_code == 403
    with runtime.db.transaction() as s:
        user = s.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/mail")
    assert "E-mails sortants" in page.text and "Envoyer un e-mail de test" in page.text
