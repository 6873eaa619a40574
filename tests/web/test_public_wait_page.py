"""The published expected wait a customer can read (issue 18, defect 13): a page in their language with the
brand's name and the account, "about 25 minutes" or "we don't know yet"; the JSON for programs; a badge whose
colour follows the wait (never green at three hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from compris.config import Settings
from compris.models import Case, ChannelAccount
from compris.runtime import Runtime
from compris.sla import wait
from compris.web.pages.sla import BADGE_COLOURS, wait_level
from tests.conftest import World
from tests.routing.helpers import agent, inbound, team
from tests.web.test_pages import make_client

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _publish(runtime: Runtime, world: World, *, history: int) -> str:
    wait.clear_cache()
    now = datetime.now(UTC)
    with runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "Alice", capacity=0, teams=(care,))
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
        public_id = wait.set_publication(s, account).public_id
    for i in range(history):
        cid = inbound(runtime, world.account.id, f"old {i}", author=f"old-{i}")
        with runtime.db.transaction() as s:
            c = s.get(Case, cid)
            assert c is not None
            c.first_inbound_at = now - timedelta(hours=2, minutes=25)
            c.first_response_at = now - timedelta(hours=2)
            c.status = "resolved"
    return public_id


def test_a_browser_gets_a_page_in_the_customers_language(settings: Settings, runtime: Runtime,
                                                         world: World) -> None:
    public_id = _publish(runtime, world, history=wait.MIN_HISTORY)
    client = make_client(settings, runtime)
    page = client.get(f"/public/wait/{public_id}", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert world.workspace.name in page.text and world.account.name in page.text
    assert "Expected response time" in page.text and "About 25 minutes" in page.text
    assert "{" not in page.text.split("<body", 1)[1].split("</main>")[0]  # no raw JSON
    fr = client.get(f"/public/wait/{public_id}", headers={**HTML, "Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Délai de réponse estimé" in fr.text and "Environ 25 minutes" in fr.text and 'lang="fr"' in fr.text
    # programs keep the JSON, at the same address and at ….json
    for r in (client.get(f"/public/wait/{public_id}"), client.get(f"/public/wait/{public_id}.json", headers=HTML)):
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["expected_wait_minutes"] == 25 and r.json()["level"] == "short"


def test_with_too_little_history_the_page_says_we_dont_know_yet(settings: Settings, runtime: Runtime,
                                                                world: World) -> None:
    public_id = _publish(runtime, world, history=wait.MIN_HISTORY - 1)
    client = make_client(settings, runtime)
    page = client.get(f"/public/wait/{public_id}", headers={**HTML, "Accept-Language": "en"})
    assert "We don&#39;t know yet" in page.text or "We don't know yet" in page.text
    assert "About" not in page.text
    data = client.get(f"/public/wait/{public_id}.json").json()
    assert data["expected_wait_minutes"] is None and data["known"] is False and data["level"] == "unknown"
    svg = client.get(f"/public/wait/{public_id}.svg")
    assert "unknown" in svg.text and BADGE_COLOURS["unknown"] in svg.text and BADGE_COLOURS["short"] not in svg.text
    fr = client.get(f"/public/wait/{public_id}", headers={**HTML, "Accept-Language": "fr"})
    assert "Nous ne le savons pas encore" in fr.text


def test_the_badge_is_green_only_for_a_short_wait() -> None:
    assert [wait_level(m) for m in (None, 5, 60, 61, 180, 240, 241, 600)] == [
        "unknown", "short", "short", "long", "long", "long", "very_long", "very_long"]


def test_an_unknown_link_is_a_readable_404(settings: Settings, runtime: Runtime) -> None:
    client = make_client(settings, runtime)
    page = client.get("/public/wait/w_nothing_here", headers=HTML)
    assert page.status_code == 404 and "Page not found" in page.text
    assert client.get("/public/wait/w_nothing_here").json() == {"error": "not found"}
