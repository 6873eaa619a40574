"""The clusters' pages (list for supervisors, one cluster, the line on the case page) and the JSON API, in English
and French; one workspace; customer text escaped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.kit.clock import now
from compris.listening import clusters
from compris.models import Case, Cluster, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.listening.cluster_helpers import FR_PARCELS, customer_writes
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent, make_client


def _wave(world: World) -> tuple[int, int]:
    t = now() - timedelta(minutes=30)
    texts = [FR_PARCELS[0] + " <b>x</b>", FR_PARCELS[0] + " !!", "toujours pas reçu ma commande svp",
             "Je n'ai toujours pas reçu ma commande"]
    for i, text in enumerate(texts):
        customer_writes(world, text, author=f"c{i}", at=t + timedelta(minutes=i))
    customer_writes(world, "Do you have this jacket in size M?", author="lonely", at=t)
    clusters.run_clustering(world.runtime.db, world.runtime.publisher, embeddings=False)
    with world.runtime.db.transaction() as s:
        cluster = s.scalars(select(Cluster).order_by(Cluster.size.desc())).first()
        assert cluster is not None and cluster.size >= 3
        numbers = sorted(s.scalars(select(Case.number)))
        return cluster.id, numbers[0]


def test_case_page_list_and_cluster_page(settings: Settings, runtime: Runtime, world: World) -> None:
    cluster_id, first_case = _wave(world)
    admin = Agent(make_client(settings, runtime), world.admin.email)
    case_page = admin.get(f"/cases/{first_case}")
    assert case_page.status_code == 200
    assert "Part of a group of" in case_page.text and f'href="/listening/clusters/{cluster_id}"' in case_page.text
    listing = admin.get("/listening/clusters")
    assert listing.status_code == 200 and f'id="cluster-{cluster_id}"' in listing.text
    page = admin.get(f"/listening/clusters/{cluster_id}")
    assert page.status_code == 200
    assert f'href="/incidents/new?cluster={cluster_id}"' in page.text
    assert "&lt;b&gt;x&lt;/b&gt;" in page.text and "<b>x</b>" not in page.text  # customer text escaped
    assert f'href="/cases/{first_case}"' in page.text
    assert admin.get("/listening/clusters/999999").status_code == 404


def test_agents_see_the_cluster_but_not_the_list_nor_the_button(settings: Settings, runtime: Runtime,
                                                                world: World) -> None:
    cluster_id, _ = _wave(world)
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/listening/clusters").status_code == 403
    page = agent.get(f"/listening/clusters/{cluster_id}")
    assert page.status_code == 200 and "/incidents/new" not in page.text


def test_french_pages(settings: Settings, runtime: Runtime, world: World) -> None:
    cluster_id, first_case = _wave(world)
    with runtime.db.transaction() as s:
        user = s.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    admin = Agent(make_client(settings, runtime), world.admin.email)
    assert "Fait partie d’un groupe de" in admin.get(f"/cases/{first_case}").text
    assert "Messages similaires" in admin.get("/listening/clusters").text
    assert "Confirmer comme incident" in admin.get(f"/listening/clusters/{cluster_id}").text


def test_api(settings: Settings, runtime: Runtime, world: World, world_factory: Callable[[str], World]) -> None:
    from compris.web.app import create_app

    cluster_id, first_case = _wave(world)
    client = TestClient(create_app(settings, runtime, workers=0))
    headers = auth(token(world, world.agent))
    listing = client.get("/api/v1/clusters?open=true", headers=headers)
    assert listing.status_code == 200, listing.text
    found = {c["id"]: c for c in listing.json()["clusters"]}
    assert cluster_id in found and found[cluster_id]["open"] and found[cluster_id]["languages"]["fr"] >= 3
    one = client.get(f"/api/v1/clusters/{cluster_id}", headers=headers)
    assert one.status_code == 200
    body = one.json()
    assert body["size"] == len(body["members"]) and first_case in {m["case_number"] for m in body["members"]}
    assert all(0 < m["similarity"] <= 1 for m in body["members"])
    other = world_factory("other")
    stranger = auth(token(other, other.admin))
    assert client.get(f"/api/v1/clusters/{cluster_id}", headers=stranger).status_code == 404
    assert client.get("/api/v1/clusters", headers=stranger).json() == {"clusters": []}
    assert client.get("/api/v1/clusters?limit=0", headers=headers).status_code == 422
    assert client.get("/api/v1/clusters/abc", headers=headers).status_code == 422
