"""The connect form shows each connector's field labels and help in the admin's language."""

from __future__ import annotations

import html

from babel.messages.pofile import read_po

from compris.config import Settings
from compris.connectors import registry
from compris.models import User
from compris.runtime import Runtime
from compris.web import i18n
from compris.web.pages.render import _translate
from tests.conftest import World
from tests.web.test_pages import Agent, make_client

PO = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"


def _speak(runtime: Runtime, user_id: int, language: str) -> None:
    with runtime.db.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.language = language


def test_french_admin_sees_french_field_labels_and_help(settings: Settings, runtime: Runtime, world: World) -> None:
    _speak(runtime, world.admin.id, "fr")
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/channels/connect/x")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Secret client OAuth 2.0" in text and "OAuth 2.0 client secret" not in text
    assert "Identifiant utilisateur du compte X de la marque" in text  # the external id label
    assert "Laissez vide pour https://api.x.com." in text  # a help text
    assert "Jeton d&#39;accès utilisateur OAuth 2.0" in page.text  # plain text, escaped by Jinja


def test_english_admin_sees_english_field_labels(settings: Settings, runtime: Runtime, world: World) -> None:
    _speak(runtime, world.admin.id, "en")
    admin = Agent(make_client(settings, runtime), world.admin.email)
    text = html.unescape(admin.get("/admin/channels/connect/x").text)
    assert "OAuth 2.0 client secret" in text and "Secret client OAuth 2.0" not in text
    assert "Leave empty for https://api.x.com." in text


def test_tr_does_no_percent_formatting() -> None:
    french = i18n.translations("fr")
    assert _translate(french, "100% of %(name)s, 5 %s") == "100% of %(name)s, 5 %s"
    assert _translate(french, "OAuth 2.0 client secret") == "Secret client OAuth 2.0"
    assert _translate(french, "") == ""


def test_every_connector_field_label_and_help_has_a_french_translation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    missing = []
    for network, connector in registry.connectors().items():
        for text in [*connector.field_labels.values(), *connector.field_help.values()]:
            message = catalog.get(text)
            if message is None or not message.string:
                missing.append(f"{network}: {text}")
    assert not missing, missing
    assert catalog.get("Account id on the network") is not None  # the default external id label
