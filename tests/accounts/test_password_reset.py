"""Password reset by e-mail: "Forgot your password?" → the same answer whoever the e-mail is → the e-mail over real
SMTP → the new password (every session ends) → the link is void; tampered and expired links refused; rate
limited. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from compris.accounts import recovery
from compris.config import Settings
from compris.kit import signing
from compris.kit.clock import now
from compris.models import OutgoingMail, User
from compris.runtime import Runtime
from tests.accounts.test_invitations import configure_mail
from tests.conftest import World
from tests.mail.smtp_server import smtp_server
from tests.web.test_pages import Agent, csrf_of, login, make_client

RESET_LINK = re.compile(r"http://testserver/password/reset/[A-Za-z0-9_.-]+")


@pytest.fixture(autouse=True)
def testserver_base_url(settings: Settings) -> None:
    settings.base_url = "http://testserver"


def ask(client: object, email: str) -> object:
    token = csrf_of(client, "/password/forgot")  # type: ignore[arg-type]
    return client.post("/password/forgot", data={"csrf_token": token, "email": email})  # type: ignore[attr-defined]


def test_forgot_mail_reset_sessions_end(settings: Settings, runtime: Runtime, world: World) -> None:
    signed_in = Agent(make_client(settings, runtime), world.agent.email)
    guest = make_client(settings, runtime)
    login_page = guest.get("/login")
    assert 'href="/password/forgot"' in login_page.text and "Forgot your password?" in login_page.text
    with smtp_server() as (recorder, port):
        configure_mail(world, port)
        known = ask(guest, world.agent.email.upper())
        unknown = ask(guest, "nobody@acme.test")
        world.run_jobs()
    assert known.status_code == unknown.status_code == 200  # type: ignore[attr-defined]
    assert known.text == unknown.text  # type: ignore[attr-defined]  # the very same page
    assert "If an account uses that e-mail" in known.text  # type: ignore[attr-defined]
    (message,) = recorder.messages()  # only the real user got one
    assert message["To"] == world.agent.email
    body = message.get_body()
    assert body is not None
    link = RESET_LINK.search(body.get_content())
    assert link is not None
    path = link.group(0).replace("http://testserver", "")
    form = guest.get(path)
    assert form.status_code == 200 and world.agent.email in form.text
    token = csrf_of(guest, path)
    short = guest.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    done = guest.post(path, data={"csrf_token": token, "password": "a fresh new password",
                                  "confirm": "a fresh new password"})
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    assert "Your password was changed" in guest.get("/login?reset=1").text
    assert signed_in.get("/inbox").status_code == 303  # every session ended
    assert login(guest, world.agent.email, "a fresh new password").status_code == 303
    used = make_client(settings, runtime).get(path)
    assert used.status_code == 410 and "already used" in used.text  # used twice: refused
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None and user.password_changed_at is not None


def test_tampered_and_expired_links(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None
        good = recovery.reset_link(user, base_url="http://testserver", secret_key=settings.secret_key)
        old = recovery.reset_link(user, base_url="http://testserver", secret_key=settings.secret_key,
                                  lifetime=timedelta(seconds=-1))
        other = signing.link_token(settings.secret_key, "invite", {"u": user.id, "f": recovery.fingerprint(user)},
                                   now() + timedelta(hours=1))
    client = make_client(settings, runtime)
    body, _, sig = good.rpartition("/")[2].partition(".")
    tampered = client.get(f"/password/reset/{body}.{sig[:-3]}abc")
    assert tampered.status_code == 400 and "altered" in tampered.text
    expired = client.get(old.replace("http://testserver", ""))
    assert expired.status_code == 410 and "expired" in expired.text
    assert client.get(f"/password/reset/{other}").status_code == 400  # another purpose's token
    token = csrf_of(client, "/login")
    posted = client.post(f"/password/reset/{body}.{sig[:-3]}abc",
                         data={"csrf_token": token, "password": "x" * 12, "confirm": "x" * 12})
    assert posted.status_code == 400
    with runtime.db.transaction() as s:
        assert recovery.user_for_reset(s, good.rpartition("/")[2], settings.secret_key).id == world.agent.id


def test_a_password_changed_otherwise_voids_the_link(world: World, settings: Settings) -> None:
    from compris.accounts.actions import set_password

    with world.runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None
        token = recovery.reset_link(user, base_url="x", secret_key=settings.secret_key).rpartition("/")[2]
        set_password(s, user=user, password="another long password")
    with pytest.raises(recovery.ResetRefused) as info, world.runtime.db.transaction() as s:
        recovery.user_for_reset(s, token, settings.secret_key)
    assert info.value.reason == "used"


def test_rate_limited_the_same_way_for_everyone(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    answers = [ask(client, "nobody@acme.test").status_code for _ in range(recovery.PER_EMAIL + 1)]  # type: ignore[attr-defined]
    assert answers[:-1] == [200] * recovery.PER_EMAIL and answers[-1] == 429
    answers = [ask(client, world.agent.email).status_code for _ in range(recovery.PER_EMAIL + 1)]  # type: ignore[attr-defined]
    assert answers[-1] == 429
    with runtime.db.transaction() as s:  # without outgoing mail, nothing is queued (and nothing said)
        assert s.scalars(select(OutgoingMail)).all() == []


def test_french(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    page = client.get("/password/forgot", headers={"Accept-Language": "fr"})
    assert page.status_code == 200 and "Mot de passe oublié ?" in page.text
