"""Connecting a bot from the admin page: the fields Telegram needs, in French too, and a generated webhook secret
that Telegram's ``setWebhook`` accepts (1-256 characters of ``A-Z a-z 0-9 _ -``)."""

from __future__ import annotations

import html
import re

from compris.channels.accounts import context
from compris.channels.actions import connect
from compris.config import Settings
from compris.models import User
from compris.runtime import Runtime
from tests.conftest import SECRET, World
from tests.web.test_pages import Agent, make_client

from .test_telegram import BOT_ID, TOKEN


def test_the_connect_page_names_each_field(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        user = session.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/channels/connect/telegram")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for words in ("Identifiant du bot", "Jeton du bot", "Jeton secret du webhook", "Nom d'utilisateur du bot",
                  "Laissez vide : Compris en crée un."):
        assert words in text


def test_a_connected_bot_gets_a_secret_telegram_accepts(runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        account = connect(session, SECRET, workspace_id=world.workspace_id, network="telegram", name="Bot",
                          external_id=BOT_ID, form={"secret_bot_token": TOKEN, "setting_bot_username": "AirComprisBot"},
                          actor_user_id=world.admin.id)
        ctx = context(account, SECRET)
    assert ctx.secrets["bot_token"] == TOKEN and ctx.settings["bot_username"] == "AirComprisBot"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", ctx.secrets["webhook_secret"])
