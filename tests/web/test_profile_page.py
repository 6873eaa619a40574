"""One's own profile: name, signature (the ``{agent_signature}`` of templates), language, password (current one
required; other sessions end, this one stays); the top bar links to it with the initials; French; 422 next to the
field."""

from __future__ import annotations

from compris.config import Settings
from compris.models import User
from compris.replies import queries as reply_queries
from compris.replies import rendering
from compris.replies.actions import create_template
from compris.runtime import Runtime
from compris.web.pages.people import initials
from tests.conftest import World
from tests.replies.helpers import case_of, customer_writes
from tests.web.test_pages import PASSWORD, Agent, login, make_client


def test_profile_and_signature_in_a_template(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    page = agent.get("/settings/profile")
    assert page.status_code == 200 and 'href="/settings/profile"' in page.text and ">AA</span>" in page.text
    saved = agent.post("/settings/profile", {"name": "Camille  Martin", "language": "en",
                                             "signature": "Camille\r\nCare team <Acme>  \r\n"})
    assert saved.status_code == 303
    page = agent.get("/settings/profile?saved=profile")
    assert "Profile saved." in page.text and ">CM</span>" in page.text and "Care team &lt;Acme&gt;" in page.text
    customer_writes(world, "Hello, my bag did not arrive", author="marie")
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None and user.name == "Camille Martin" and user.signature == "Camille\nCare team <Acme>"
        template = create_template(s, actor=user, name="Signed", bodies={"en": "Hi {first_name}.\n{agent_signature}"})
        rendered = reply_queries.render_for_case(s, template, case_of(s, world), user)
        assert rendered.text == "Hi Marie.\nCamille\nCare team <Acme>" and rendered.missing == []
    assert "agent_signature" in rendering.VARIABLES
    admin = Agent(make_client(settings, runtime), world.admin.email)
    assert "{agent_signature}" in admin.get("/admin/templates").text  # documented in the templates' help


def test_bad_input_422_next_to_the_field(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    bad = agent.post("/settings/profile", {"name": "  ", "signature": "kept text", "language": "en"})
    assert bad.status_code == 422 and 'id="profile-name-error"' in bad.text and "kept text" in bad.text
    long = agent.post("/settings/profile", {"name": "X", "signature": "s" * 501, "language": "en"})
    assert long.status_code == 422 and 'id="profile-signature-error"' in long.text


def test_change_own_password(settings: Settings, runtime: Runtime, world: World) -> None:
    elsewhere = Agent(make_client(settings, runtime), world.agent.email)
    here = Agent(make_client(settings, runtime), world.agent.email)
    wrong = here.post("/settings/profile/password", {"current": "not it at all", "password": "a new long one!",
                                                     "confirm": "a new long one!"})
    assert wrong.status_code == 422 and 'id="current-error"' in wrong.text
    differ = here.post("/settings/profile/password", {"current": PASSWORD, "password": "a new long one!",
                                                      "confirm": "another one!!"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    done = here.post("/settings/profile/password", {"current": PASSWORD, "password": "a new long one!",
                                                    "confirm": "a new long one!"})
    assert done.status_code == 303
    page = here.get("/settings/profile?saved=password")
    assert page.status_code == 200 and "Password changed." in page.text  # this browser stays signed in
    assert elsewhere.get("/inbox").status_code == 303  # the other session ended
    assert login(make_client(settings, runtime), world.agent.email, "a new long one!").status_code == 303


def test_french_and_language_switch(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.post("/settings/profile", {"name": "Agent Acme", "language": "fr", "signature": ""}).status_code == 303
    page = agent.get("/settings/profile")
    assert "Votre profil" in page.text and "Changer votre mot de passe" in page.text


def test_initials() -> None:
    assert initials("Camille Martin") == "CM"
    assert initials("camille") == "C"
    assert initials("Jean-Luc de la Tour") == "JT"
    assert initials("  ") == "?"
    assert initials("Alice Demo (admin)") == "AD"


def test_the_top_bar_initials_skip_punctuation(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None
        user.name = "Alice Demo (admin)"
    page = Agent(make_client(settings, runtime), world.agent.email).get("/inbox")
    assert '<span class="avatar" aria-hidden="true">AD</span>' in page.text
