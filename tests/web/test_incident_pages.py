"""The incident pages: the list, the form (by hand and from a cluster), the incident page's actions (confirm,
statements with their preview, the holding statement, crisis mode, links, resolve), the case's badge and the inbox
filter, French pages, rights (agents read only) and isolation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.models import Case, Cluster, ClusterMember, Message
from compris.runtime import Runtime
from tests.conftest import World
from tests.listening.incident_helpers import Network, case, incident, network, supervisor  # noqa: F401
from tests.web.test_pages import Agent, customer_writes, make_client


def _case_id(world: World, text: str) -> int:
    with world.runtime.db.transaction() as s:
        found = s.scalar(select(Message.case_id).where(Message.workspace_id == world.workspace_id,
                                                       Message.text == text))
        assert found is not None
        return int(found)


@pytest.fixture
def boss_world(settings: Settings, runtime: Runtime, world: World) -> tuple[Agent, Agent, World]:
    client = make_client(settings, runtime)
    boss = supervisor(world)
    return Agent(client, boss.email), Agent(make_client(settings, runtime), world.agent.email), world


def test_open_confirm_state_send_and_resolve_from_the_pages(
        boss_world: tuple[Agent, Agent, World], network: Network) -> None:  # noqa: F811
    boss, _agent, world = boss_world
    customer_writes(boss.client, world, "Mon vol AF1234 est annulé !", author="amelie", kind="dm")
    first = _case_id(world, "Mon vol AF1234 est annulé !")
    with world.runtime.db.transaction() as s:
        number_of_first = s.get(Case, first).number  # type: ignore[union-attr]

    page = boss.get("/incidents")
    assert page.status_code == 200 and 'href="/incidents/new"' in page.text
    assert boss.get("/incidents/new").status_code == 200
    bad = boss.post("/incidents/new", {"name": "", "keywords": "AF1234"})
    assert bad.status_code == 422 and "give the incident a name" in bad.text
    made = boss.post("/incidents/new", {"name": "Cancelled trips <b>", "keywords": "AF1234, cancelled",
                                        "cases": str(number_of_first)})
    assert made.status_code == 303 and made.headers["location"] == "/incidents/1?done=opened"
    page = boss.get("/incidents/1")
    assert page.status_code == 200
    assert "Cancelled trips &lt;b&gt;" in page.text and "<b>" not in page.text.split("<main", 1)[1][:200]
    assert f'id="inc-case-{number_of_first}"' in page.text

    customer_writes(boss.client, world, "Flight AF1234 cancelled, help", author="bob", kind="dm")
    second = _case_id(world, "Flight AF1234 cancelled, help")
    assert second != first and "Incident #1" in boss.get(f"/cases/{case(world, second).number}").text

    assert boss.post("/incidents/1/status", {"action": "confirm"}).status_code == 303
    assert incident(world, 1).status == "confirmed"
    assert boss.post("/incidents/1/status", {"action": "confirm"}).status_code == 422  # once

    preview = boss.post("/incidents/1/statements", {
        "statement_fr": "Bonjour {first_name}, votre vol est annulé ; nous revenons vers vous.",
        "statement_en": "Hello {first_name}, your flight is cancelled; we will come back to you.",
        "action": "preview"})
    assert preview.status_code == 200 and "Bonjour Amelie, votre vol est annulé" in preview.text
    assert "Hello Bob, your flight is cancelled" in preview.text
    assert incident(world, 1).statements == {}  # a preview saves nothing
    saved = boss.post("/incidents/1/statements", {
        "statement_fr": "Bonjour {first_name}, votre vol est annulé ; nous revenons vers vous.",
        "statement_en": "Hello {first_name}, your flight is cancelled; we will come back to you.",
        "closing_fr": "Bonjour {first_name}, les vols reprennent.", "closing_en": "Hi {first_name}, flights resume."})
    assert saved.status_code == 303

    sent = boss.post("/incidents/1/send", {"scope": "all"})
    assert sent.headers["location"] == "/incidents/1?done=sent&n=2&left=0"
    world.run_jobs()
    assert len(network.calls) == 2
    again = boss.post("/incidents/1/send", {"scope": "all"})
    assert again.headers["location"] == "/incidents/1?done=nothing_to_send&left=2"
    page = boss.get("/incidents/1?done=nothing_to_send&left=2")
    assert "already answered with this statement" in page.text and page.text.count('data-state="done"') == 2

    on = boss.post("/incidents/1/crisis", {"on": "1", "priority": "30"})
    assert on.status_code == 303 and incident(world, 1).crisis
    assert "Nobody is online" in boss.get("/incidents/1").text
    assert boss.post("/incidents/1/crisis", {"on": "1", "priority": "abc"}).status_code == 422

    resolved = boss.post("/incidents/1/status", {"action": "resolve", "resolve_cases": "1", "send_closing": "1"})
    assert resolved.status_code == 303
    world.run_jobs()
    assert incident(world, 1).status == "resolved" and not incident(world, 1).crisis
    assert case(world, first).status == "resolved" and case(world, second).status == "resolved"
    assert {m.text for m in network.calls[2:]} == {"Bonjour Amelie, les vols reprennent.",
                                                   "Hi Bob, flights resume."}
    assert "Resolved" in boss.get("/incidents?status=resolved").text


def test_agents_see_but_do_not_manage(boss_world: tuple[Agent, Agent, World]) -> None:
    boss, agent, world = boss_world
    boss.post("/incidents/new", {"name": "Parcels", "keywords": "parcel"})
    customer_writes(boss.client, world, "Where is my parcel?", author="c")
    listing = agent.get("/incidents")
    assert listing.status_code == 200 and "Parcels" in listing.text and 'href="/incidents/new"' not in listing.text
    page = agent.get("/incidents/1")
    assert page.status_code == 200 and "inc-case-" in page.text  # the linked case, read only
    assert 'id="inc-confirm"' not in page.text and 'name="selected"' not in page.text
    summary = agent.get("/incidents/1?part=summary", headers={"HX-Request": "true"})  # the 30-second refresh
    assert summary.status_code == 200 and summary.text.lstrip().startswith("<div class=\"inc-grid\" id=\"inc-summary\"")
    assert "Sandbox network 1" in summary.text and "<html" not in summary.text
    assert agent.get("/incidents/new").status_code == 403
    for path, data in [("/incidents/new", {"name": "x"}), ("/incidents/1/status", {"action": "confirm"}),
                       ("/incidents/1/send", {"scope": "all"}), ("/incidents/1/crisis", {"on": "1"}),
                       ("/incidents/1/cases", {"action": "link", "numbers": "1"})]:
        assert agent.post(path, data).status_code == 403, path
    assert incident(world, 1).status == "suspected"


def test_inbox_badge_and_filter(boss_world: tuple[Agent, Agent, World]) -> None:
    boss, agent, world = boss_world
    boss.post("/incidents/new", {"name": "Parcels", "keywords": "parcel"})
    customer_writes(boss.client, world, "Where is my parcel?", author="c")
    customer_writes(boss.client, world, "Do you sell gift cards?", author="d")
    inbox = agent.get("/inbox")
    assert inbox.text.count('class="badge inc-badge') == 1
    only = agent.get("/inbox?incident=1")
    rows = re.findall(r'id="case-row-(\d+)"', only.text)
    assert len(rows) == 1 and '<option value="1" selected>#1 Parcels</option>' in only.text
    assert len(re.findall(r'id="case-row-(\d+)"', agent.get("/inbox/rows?incident=1").text)) == 1
    assert re.findall(r'id="case-row-(\d+)"', agent.get("/inbox?incident=99").text) == []


def test_new_from_a_cluster_is_prefilled(boss_world: tuple[Agent, Agent, World]) -> None:
    boss, _agent, world = boss_world
    customer_writes(boss.client, world, "Toujours pas reçu ma commande", author="c")
    cid = _case_id(world, "Toujours pas reçu ma commande")
    with world.runtime.db.transaction() as s:
        cluster = Cluster(workspace_id=world.workspace_id, label="Colis non reçus", keywords=["colis", "commande"])
        s.add(cluster)
        s.flush()
        s.add(ClusterMember(workspace_id=world.workspace_id, cluster_id=cluster.id, case_id=cid,
                            message_id=s.scalar(select(Message.id).where(Message.case_id == cid))))
        cluster_id = cluster.id
    form = boss.get(f"/incidents/new?cluster={cluster_id}")
    assert form.status_code == 200 and 'value="Colis non reçus"' in form.text
    assert f'name="case_ids" value="{cid}"' in form.text and f'name="cluster_id" value="{cluster_id}"' in form.text
    assert boss.get("/incidents/new?cluster=999").status_code == 404
    made = boss.post("/incidents/new", {"name": "Colis non reçus", "cluster_id": str(cluster_id),
                                        "cluster_ids": str(cluster_id), "case_ids": str(cid), "keywords": "colis"})
    assert made.status_code == 303
    assert incident(world, 1).source == "cluster"


def test_french_pages(settings: Settings, runtime: Runtime, world: World) -> None:
    from compris.accounts import actions as accounts
    from compris.models import Workspace

    with world.runtime.db.transaction() as s:
        ws = s.get(Workspace, world.workspace_id)
        assert ws is not None
        accounts.create_user(s, workspace=ws, email="chef@acme.test", name="Chef", password="correct horse battery",
                             role="supervisor", language="fr")
    chef = Agent(make_client(settings, runtime), "chef@acme.test")
    chef.post("/incidents/new", {"name": "Vols annulés", "keywords": "annulé"})
    listing = chef.get("/incidents")
    assert "Nouvel incident" in listing.text and "Incidents" in listing.text
    page = chef.get("/incidents/1")
    assert "Mode crise" in page.text and "Message d’attente" in page.text


def test_isolation_and_unknown_numbers(settings: Settings, runtime: Runtime, world: World,
                                       world_factory: object) -> None:
    other: World = world_factory("globex")  # type: ignore[operator]
    theirs = Agent(make_client(settings, runtime), supervisor(other, "Gus").email)
    ours = Agent(make_client(settings, runtime), supervisor(world).email)
    ours.post("/incidents/new", {"name": "Ours only"})
    assert theirs.get("/incidents/1").status_code == 404
    assert "Ours only" not in theirs.get("/incidents?status=all").text
    assert theirs.post("/incidents/1/status", {"action": "confirm"}).status_code == 404
    assert ours.get("/incidents/12345").status_code == 404
    assert ours.post("/incidents/1/cases", {"action": "link", "numbers": "1; DROP"}).status_code == 422
