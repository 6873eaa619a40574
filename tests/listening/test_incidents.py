"""Incidents: opening, automatic linking while open, the holding statement sent once per case, resolution with the
closing message, crisis mode (priority and SLA policy, and back), rights, isolation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris import events
from compris.config import Settings
from compris.kit.errors import Conflict, Forbidden, Invalid, NotFound
from compris.listening import incident_handling as handling
from compris.listening import incident_queries as queries
from compris.listening import incidents
from compris.models import (
    BulkItem,
    Case,
    CaseEvent,
    Cluster,
    ClusterMember,
    Escalation,
    IncidentCase,
    Message,
    Partner,
    SlaPolicy,
)
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World
from tests.escalation.core_helpers import emitted

from .incident_helpers import Network, as_user, case, incident, network, say, supervisor  # noqa: F401

CANCELLED = {"keywords": ["AF1234", "annulé", "cancelled"]}


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime, workers=0), follow_redirects=False) as c:
        yield c


def _open(world: World, boss: object, **kw: object) -> int:
    return as_user(world, boss, lambda s, a: incidents.open_incident(  # type: ignore[arg-type]
        s, world.runtime.publisher, actor=a, **kw).number)  # type: ignore[arg-type]


def _linked(world: World, number: int) -> set[int]:
    with world.runtime.db.transaction() as s:
        inc = incidents.get_incident(s, world.workspace_id, number)
        return set(incidents.linked_ids(s, inc))


def test_open_by_hand_then_matching_messages_link_automatically_only_while_open(
        client: TestClient, world: World) -> None:
    boss = supervisor(world)
    before = say(client, world, "My flight AF1234 was cancelled, what now?", author="early")
    with emitted(events.IncidentOpened, events.IncidentCaseLinked) as seen:
        number = _open(world, boss, name="Cancelled trips", match=CANCELLED, case_ids=[before])
    assert [type(e).__name__ for e in seen] == ["IncidentOpened", "IncidentCaseLinked"]
    assert incident(world, number).status == "suspected"

    matching = say(client, world, "Vol AF1234 ANNULE, aucune information !", author="fr-1")  # accents and case
    other = say(client, world, "Thank you for the lovely crew", author="happy")
    partial = say(client, world, "Is flight AF12345 on time?", author="q")  # a longer word is not the keyword
    assert _linked(world, number) == {before, matching}
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == matching,
                                                      CaseEvent.kind == "incident_linked")))
        assert len(rows) == 1 and rows[0].data["linked_by"] == "auto" and rows[0].actor_user_id is None

    # another message of a linked case does not link twice
    say(client, world, "Still nothing about AF1234", author="fr-1")
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(IncidentCase).where(IncidentCase.case_id == matching)) == 1

    as_user(world, boss, lambda s, a: incidents.resolve(s, world.runtime.publisher, actor=a,
                                                         incident=incidents.get_incident(s, a.workspace_id, number)))
    late = say(client, world, "AF1234 cancelled again??", author="late")
    assert late not in _linked(world, number)  # resolved: no more automatic links
    assert other not in _linked(world, number) and partial not in _linked(world, number)


def test_narrowing_rules_account_and_intent(client: TestClient, world: World) -> None:
    boss = supervisor(world)
    number = _open(world, boss, name="Complaints on sandbox",
                   match={"keywords": ["parcel"], "intents": ["complaint"],
                          "channel_account_ids": [world.account.id]})
    complaint = say(client, world, "My parcel never arrived, this is unacceptable, terrible service!", author="a")
    praise = say(client, world, "Parcel arrived early, thank you so much, great job!", author="b")
    assert complaint in _linked(world, number) and praise not in _linked(world, number)


def test_open_from_a_cluster_links_its_cases_and_follows_new_members(client: TestClient, world: World) -> None:
    boss = supervisor(world)
    a = say(client, world, "Where is my parcel??", author="c1")
    b = say(client, world, "Toujours pas reçu ma commande", author="c2")
    with world.runtime.db.transaction() as s:
        cluster = Cluster(workspace_id=world.workspace_id, label="Undelivered parcels", keywords=["colis", "parcel"],
                          size=2)
        s.add(cluster)
        s.flush()
        for case_id in (a, b):
            mid = s.scalar(select(Message.id).where(Message.case_id == case_id))
            s.add(ClusterMember(workspace_id=world.workspace_id, cluster_id=cluster.id, message_id=mid,
                                case_id=case_id, similarity=0.9))
        cluster_id = cluster.id
    with world.runtime.db.transaction() as s:
        draft = incidents.draft_from_cluster(s, world.workspace_id, cluster_id)
    assert draft.name == "Undelivered parcels" and set(draft.case_ids) == {a, b}
    assert draft.match["cluster_ids"] == [cluster_id] and draft.source == "cluster"
    number = _open(world, boss, name=draft.name, match={"cluster_ids": [cluster_id]}, case_ids=draft.case_ids,
                   cluster_id=cluster_id)
    assert incident(world, number).source == "cluster"
    incident_id = incident(world, number).id
    with world.runtime.db.transaction() as s:
        assert s.get(Cluster, cluster_id).incident_id == incident_id  # type: ignore[union-attr]
    assert _linked(world, number) == {a, b}
    with pytest.raises(Conflict):  # a cluster is one incident
        _open(world, boss, name="Again", cluster_id=cluster_id)

    # the clustering job places a new message later: the next pass links its case
    c = say(client, world, "Mon paquet n'est toujours pas là", author="c3")
    assert c not in _linked(world, number)
    with world.runtime.db.transaction() as s:
        mid = s.scalar(select(Message.id).where(Message.case_id == c))
        s.add(ClusterMember(workspace_id=world.workspace_id, cluster_id=cluster_id, message_id=mid, case_id=c,
                            similarity=0.8))
    with world.runtime.db.transaction() as s:
        assert incidents.follow_clusters(s, world.runtime.publisher) == 1
    with world.runtime.db.transaction() as s:
        assert incidents.follow_clusters(s, world.runtime.publisher) == 0  # once
        row = s.scalar(select(IncidentCase).where(IncidentCase.case_id == c))
        assert row is not None and row.linked_by == "cluster"


def test_cross_network_wave_is_one_incident(settings: Settings, runtime: Runtime, world: World,
                                            client: TestClient) -> None:
    """Cancelled trips on X, Facebook, e-mail and the sandbox network: one incident across the networks."""
    import json
    from datetime import UTC, datetime
    from email.utils import format_datetime

    from compris.connectors import fixture, fixture_bytes
    from compris.inbox.polling import POLL_ACCOUNT
    from compris.worker.queue import enqueue
    from tests.connectors.email.imap_server import Server
    from tests.connectors.email.test_email import MAILBOX
    from tests.connectors.meta.helpers import sign as meta_sign
    from tests.connectors.roundtrip import RoundTrip
    from tests.connectors.x.test_x import BRAND, sig
    from tests.connectors.x.test_x import SECRETS as X_SECRETS

    boss = supervisor(world)
    number = _open(world, boss, name="Cancelled trips", match=CANCELLED, confirmed=True)

    x = RoundTrip(settings, runtime, world, network="x", external_id=BRAND, secrets=X_SECRETS,
                  account_settings={"handle": "AirCompris", "api_base": "http://127.0.0.1:9"})
    recorded = fixture("x", "mention_fr.json")  # "mon vol AF1234 est annulé", sent now
    recorded["data"]["payload"]["created_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    body = json.dumps(recorded).encode()
    x.deliver(body, {"x-twitter-webhooks-signature-oauth2": sig(X_SECRETS["oauth2_client_secret"], body),
                     "x-twitter-webhooks-signature": sig(X_SECRETS["consumer_secret"], body)})

    fb = RoundTrip(settings, runtime, world, network="facebook", external_id="104000000000001",
                   secrets={"app_secret": "meta-app-secret", "verify_token": "v", "page_access_token": "t"},
                   account_settings={"api_base": "http://127.0.0.1:9"})
    data = fixture("facebook", "feed_batch.json")
    data["entry"] = data["entry"][:1]
    change = data["entry"][0]["changes"][0]
    data["entry"][0]["changes"] = [change]
    change["value"]["message"] = "Our trip was cancelled at the last minute, flight AF1234, no refund yet"
    change["value"]["created_time"] = data["entry"][0]["time"] = int(datetime.now(UTC).timestamp())
    fb_body = json.dumps(data).encode()
    fb.deliver(fb_body, {"x-hub-signature-256": meta_sign(fb_body)})

    with Server() as imap:
        mail = RoundTrip(settings, runtime, world, network="email", external_id=MAILBOX,
                         secrets={"imap_password": "imap-pass", "smtp_password": "smtp-pass"},
                         account_settings={"from_address": MAILBOX, "imap_host": "127.0.0.1",
                                           "imap_port": str(imap.port), "imap_security": "plain",
                                           "smtp_host": "127.0.0.1", "smtp_port": "9", "smtp_security": "plain",
                                           "timeout": "3"})
        eml = fixture_bytes("email", "plain_fr.eml").replace(  # "Mon vol AF1234 du 12 mars a été annulé", now
            b"Date: Sat, 14 Mar 2026 10:15:00 +0100", b"Date: " + format_datetime(datetime.now(UTC)).encode())
        imap.mailbox.add(eml)
        with runtime.db.transaction() as s:
            enqueue(s, runtime.publisher, workspace_id=world.workspace_id, kind=POLL_ACCOUNT,
                    payload={"account_id": mail.account_id}, dedupe_key=None)
        world.run_jobs()

    sandbox = say(client, world, "Cancelled again, AF1234. Stuck at the airport", author="sb")
    unrelated = say(client, world, "Do you fly to Lisbon in May?", author="lisbon")

    linked = _linked(world, number)
    ids = {x.inbound("1890000000000000101").case_id, fb.inbound("555000000000001_900000000000001").case_id,
           mail.inbound("CAF=elodie.001@mail.example.fr").case_id, sandbox}
    assert linked == ids and unrelated not in linked
    with runtime.db.transaction() as s:
        inc = incidents.get_incident(s, world.workspace_id, number)
        seen = queries.breakdown(s, world.workspace_id, inc)
        chart = queries.volume(s, world.workspace_id, inc)
    assert set(seen.networks) == {"x", "facebook", "email", "sandbox"} and seen.total == 4
    assert set(seen.languages) <= {"fr", "en"} and sum(seen.languages.values()) == 4
    assert chart.total == 4 and chart.peak >= 1 and len(chart.bars) >= 1


def test_holding_statement_once_per_case_personalised_and_guarded(
        client: TestClient, world: World, network: Network) -> None:  # noqa: F811
    boss = supervisor(world)
    fr = say(client, world, "Mon vol AF1234 est annulé, je fais quoi ?", author="amelie", kind="dm")
    en = say(client, world, "My flight AF1234 got cancelled, any news?", author="bob", kind="dm")
    public = say(client, world, "AF1234 cancelled, this is a joke", author="carl")
    number = _open(world, boss, name="Cancelled trips", match=CANCELLED, case_ids=[fr, en, public])
    assert case(world, fr).language == "fr" and case(world, en).language == "en"

    def edit(statements: dict[str, str]) -> None:
        as_user(world, boss, lambda s, a: incidents.update_incident(
            s, world.runtime.publisher, actor=a, incident=incidents.get_incident(s, a.workspace_id, number),
            statements=statements))

    def send(ids: list[int] | None = None) -> handling.StatementOutcome:
        return as_user(world, boss, lambda s, a: handling.send_statement(
            s, world.runtime.publisher, actor=a, incident=incidents.get_incident(s, a.workspace_id, number),
            case_ids=ids))

    with pytest.raises(Invalid):  # no statement yet
        send()
    edit({"fr": "Bonjour {first_name}, nous sommes désolés : votre vol est annulé. Nous revenons vers vous.",
          "en": "Hello {first_name}, we are sorry: your flight is cancelled. We will come back to you."})
    first = send()
    assert first.run is not None and first.queued == 3 and first.left_out == {}
    world.run_jobs()
    texts = {m.text for m in network.calls}
    assert "Bonjour Amelie, nous sommes désolés : votre vol est annulé. Nous revenons vers vous." in texts
    assert "Hello Bob, we are sorry: your flight is cancelled. We will come back to you." in texts
    assert len(network.calls) == 3

    again = send()  # the same statement again: nobody gets it twice
    assert again.run is None and set(again.left_out.values()) == {handling.ALREADY_SENT}
    world.run_jobs()
    assert len(network.calls) == 3

    # a statement the guard blocks on a public reply (asks for personal data in public): skipped with the reason
    edit({"en": "Sorry {first_name}! Please share your booking reference and your phone number in a reply below."})
    bad = send([public, en])
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        items = {i.case_id: i for i in s.scalars(select(BulkItem).where(BulkItem.run_id == bad.run.id))}  # type: ignore[union-attr]
        inc = incidents.get_incident(s, world.workspace_id, number)
        states = handling.statement_states(s, inc, [fr, en, public])
    assert items[public].state == "skipped" and "guard" in (items[public].error or "")
    assert items[en].state == "done"  # a private conversation: no finding that blocks
    assert states[public].state == "skipped" and states[fr].state == "done"
    assert len(network.calls) == 4


def test_resolve_with_the_closing_message_per_language(
        client: TestClient, world: World, network: Network) -> None:  # noqa: F811
    boss = supervisor(world)
    fr = say(client, world, "Mon vol AF1234 est annulé", author="amelie", kind="dm")
    en = say(client, world, "Flight AF1234 cancelled??", author="bob", kind="dm")
    number = _open(world, boss, name="Cancelled trips", match=CANCELLED, case_ids=[fr, en], confirmed=True,
                   closing={"fr": "Bonjour {first_name}, les vols reprennent.",
                            "en": "Hi {first_name}, flights resume."})
    with world.runtime.db.transaction() as s:
        inc = incidents.get_incident(s, world.workspace_id, number)
        with pytest.raises(Invalid):
            handling.resolve_with_cases(s, world.runtime.publisher, actor=s.merge(boss), incident=inc,
                                        send_closing=True)  # a closing message goes with resolving the cases
    outcome = as_user(world, boss, lambda s, a: handling.resolve_with_cases(
        s, world.runtime.publisher, actor=a, incident=incidents.get_incident(s, a.workspace_id, number),
        resolve_cases=True, send_closing=True))
    assert outcome.run is not None
    world.run_jobs()
    assert incident(world, number).status == "resolved"
    assert case(world, fr).status == "resolved" and case(world, en).status == "resolved"
    assert {m.text for m in network.calls} == {"Bonjour Amelie, les vols reprennent.", "Hi Bob, flights resume."}
    with pytest.raises(Conflict):  # once resolved, no holding statement
        as_user(world, boss, lambda s, a: handling.send_statement(
            s, world.runtime.publisher, actor=a, incident=incidents.get_incident(s, a.workspace_id, number)))
    as_user(world, boss, lambda s, a: incidents.reopen(
        s, world.runtime.publisher, actor=a, incident=incidents.get_incident(s, a.workspace_id, number)))
    assert incident(world, number).status == "confirmed"


def test_crisis_mode_raises_priority_switches_the_policy_and_reverts(client: TestClient, world: World) -> None:
    boss = supervisor(world)
    with world.runtime.db.transaction() as s:
        normal = SlaPolicy(workspace_id=world.workspace_id, name="Normal", position=0, first_response_s=3600)
        crisis = SlaPolicy(workspace_id=world.workspace_id, name="Crisis", position=1, first_response_s=600)
        s.add_all([normal, crisis])
        s.flush()
        normal_id, crisis_id = normal.id, crisis.id
    a = say(client, world, "AF1234 cancelled, help", author="a")
    start = case(world, a)
    assert start.sla_policy_id == normal_id
    number = _open(world, boss, name="Cancelled trips", match=CANCELLED, case_ids=[a], confirmed=True)

    def crisis_mode(on: bool, **kw: object) -> int:
        return as_user(world, boss, lambda s, u: incidents.set_crisis(
            s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number), on=on,
            **kw))  # type: ignore[arg-type]

    with emitted(events.CaseCrisisChanged) as seen:
        assert crisis_mode(True, priority=40, sla_policy_id=crisis_id) == 1
    assert len(seen) == 1
    raised = case(world, a)
    assert raised.priority == start.priority + 40
    assert raised.sla_policy_override_id == crisis_id and raised.sla_policy_id == crisis_id  # the SLA recomputed
    assert raised.sla_first_response_due is not None and start.sla_first_response_due is not None
    assert raised.sla_first_response_due < start.sla_first_response_due

    # a new matching case while crisis mode is on gets it at once; its next message keeps the raise
    b = say(client, world, "AF1234 annulé encore", author="b")
    assert case(world, b).sla_policy_id == crisis_id
    base_b = incidents.base_priority(case(world, b))
    assert case(world, b).priority == base_b + 40
    say(client, world, "Still waiting about AF1234!!", author="b")
    assert case(world, b).priority == incidents.base_priority(case(world, b)) + 40

    crisis_mode(False)
    back = case(world, a)
    assert back.priority == start.priority and back.sla_policy_override_id is None
    assert back.sla_policy_id == normal_id
    with world.runtime.db.transaction() as s:
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == a).order_by(CaseEvent.id))]
    assert "incident_crisis_on" in kinds and "incident_crisis_off" in kinds

    with world.runtime.db.transaction() as s:  # coverage: nobody online, open cases → the warning
        cov = queries.coverage(s, world.workspace_id, incidents.get_incident(s, world.workspace_id, number))
    assert cov.online == 0 and cov.open_cases == 2 and cov.level == "none"


def test_unlinking_a_crisis_case_restores_it(client: TestClient, world: World) -> None:
    boss = supervisor(world)
    a = say(client, world, "AF1234 cancelled", author="a")
    number = _open(world, boss, name="Cancelled", match=CANCELLED, case_ids=[a])
    as_user(world, boss, lambda s, u: incidents.set_crisis(
        s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number), on=True,
        priority=25))
    assert case(world, a).priority == incidents.base_priority(case(world, a)) + 25
    as_user(world, boss, lambda s, u: incidents.unlink_cases(
        s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number),
        case_ids=[a]))
    assert case(world, a).priority == incidents.base_priority(case(world, a))
    assert a not in _linked(world, number)


def test_escalating_the_incident_makes_one_escalation_per_active_case(client: TestClient, world: World) -> None:
    from compris.escalation import actions as escalation

    boss = supervisor(world)
    a = say(client, world, "AF1234 cancelled", author="a")
    b = say(client, world, "AF1234 annulé", author="b")
    number = _open(world, boss, name="Cancelled", match=CANCELLED, case_ids=[a, b])
    partner_id = as_user(world, world.admin, lambda s, u: escalation.create_partner(
        s, world.runtime.publisher, actor=u, name="Airport ops", emails=["ops@airport.example"]).id)
    outcome = as_user(world, boss, lambda s, u: incidents.escalate_cases(
        s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number),
        partner_id=partner_id, brief="Terminal 2 closed: which flights are rebooked?"))
    assert len(outcome.escalated) == 2 and outcome.skipped == {}
    again = as_user(world, boss, lambda s, u: incidents.escalate_cases(
        s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number),
        partner_id=partner_id, brief="Any news?"))
    assert again.escalated == [] and set(again.skipped.values()) == {"already_escalated"}
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(Escalation).where(Escalation.partner_id == partner_id)))
        assert len(rows) == 2 and all("#1 Cancelled" in r.brief for r in rows)
        assert s.get(Partner, partner_id) is not None


def test_rights_agents_cannot_manage_incidents(client: TestClient, world: World) -> None:
    boss = supervisor(world)
    a = say(client, world, "AF1234 cancelled", author="a")
    with pytest.raises(Forbidden):
        _open(world, world.agent, name="Mine")
    number = _open(world, boss, name="Cancelled", match=CANCELLED)
    for fn in (lambda s, u, i: incidents.confirm(s, world.runtime.publisher, actor=u, incident=i),
               lambda s, u, i: incidents.link_cases(s, world.runtime.publisher, actor=u, incident=i, case_ids=[a]),
               lambda s, u, i: incidents.set_crisis(s, world.runtime.publisher, actor=u, incident=i, on=True),
               lambda s, u, i: handling.send_statement(s, world.runtime.publisher, actor=u, incident=i)):
        with pytest.raises(Forbidden):
            as_user(world, world.agent,
                    lambda s, u, fn=fn: fn(s, u, incidents.get_incident(s, u.workspace_id, number)))
    _open(world, world.admin, name="Admins may")


def test_bad_input_is_refused_clearly(client: TestClient, world: World) -> None:
    boss = supervisor(world)
    with pytest.raises(Invalid):
        _open(world, boss, name="   ")
    with pytest.raises(Invalid):
        _open(world, boss, name="x", match={"keywords": ["k" * 61]})
    with pytest.raises(Invalid):
        _open(world, boss, name="x", match={"intents": ["anger"]})
    with pytest.raises(Invalid):
        _open(world, boss, name="x", match={"colour": ["red"]})
    with pytest.raises(NotFound):
        _open(world, boss, name="x", match={"cluster_ids": [999]})
    with pytest.raises(NotFound):
        _open(world, boss, name="x", case_ids=[999])
    with pytest.raises(Invalid):
        _open(world, boss, name="x", statements={"de": "Hallo"})
    # a variable rendering would not fill would reach the customers as written
    with pytest.raises(Invalid, match="customer_first_name"):
        _open(world, boss, name="x", statements={"fr": "Bonjour {{customer_first_name}}, désolés."})
    with pytest.raises(Invalid, match="prenom"):
        _open(world, boss, name="x", closing={"fr": "Merci {prenom}"})
    number = _open(world, boss, name="x")
    with pytest.raises(Invalid):
        as_user(world, boss, lambda s, u: incidents.set_crisis(
            s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number),
            on=True, priority=500))
    with pytest.raises(Conflict):
        as_user(world, boss, lambda s, u: incidents.reopen(
            s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number)))
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_workspaces_are_isolated(client: TestClient, world: World, world_factory: object) -> None:
    other: World = world_factory("globex")  # type: ignore[operator]
    boss, their_boss = supervisor(world), supervisor(other, "Gus")
    number = _open(world, boss, name="Cancelled", match=CANCELLED)
    ours = say(client, world, "AF1234 cancelled", author="a")
    theirs = say(client, other, "AF1234 cancelled too", author="z")
    assert _linked(world, number) == {ours}  # their messages never join our incident
    with pytest.raises(NotFound):  # their case is not found from here
        _open(world, boss, name="Theirs", case_ids=[theirs])
    with pytest.raises(NotFound):
        as_user(world, their_boss, lambda s, u: incidents.get_incident(s, u.workspace_id, number))
    their_number = _open(other, their_boss, name="Theirs", match=CANCELLED)
    assert their_number == 1  # numbered per workspace
    later = say(client, other, "AF1234 still cancelled", author="y")
    assert later not in _linked(world, number)
    with world.runtime.db.transaction() as s:
        assert [r.incident.name for r in queries.list_incidents(s, world.workspace_id, "all")] == ["Cancelled"]
        theirs_linked = incidents.linked_ids(s, incidents.get_incident(s, other.workspace_id, their_number))
    assert theirs_linked == [later]


def test_open_from_a_spike_alert_takes_its_scope_terms_and_cases(client: TestClient, world: World) -> None:
    from datetime import timedelta

    from compris.kit.clock import now
    from compris.models import Alert

    boss = supervisor(world)
    old = say(client, world, "Mon colis n'est jamais arrivé", author="before")
    with world.runtime.db.transaction() as s:  # (before the spike's window)
        s.execute(Message.__table__.update().where(Message.case_id == old).values(  # type: ignore[attr-defined]
            sent_at=now() - timedelta(hours=5)))
    wave = [say(client, world, text, author=f"w{i}") for i, text in enumerate(
        ["Toujours pas reçu mon colis !", "Where is my parcel?? colis 4471", "Colis perdu, aucune réponse"])]
    calm = say(client, world, "Can I change my seat?", author="calm")
    with world.runtime.db.transaction() as s:
        alert = Alert(workspace_id=world.workspace_id, kind="spike", key="spike:test", window_start=now() - timedelta(
            hours=1), title="Volume spike on the keyword colis: 3 messages in 60 min (usually 0.2)",
            data={"scope": "keyword:colis", "kind": "keyword", "value": "colis", "observed": 3,
                  "keywords": [{"term": "parcel", "observed": 1}], "samples": [{"message_id": 0, "case_id": wave[0],
                                                                                "case_number": 2}]})
        s.add(alert)
        s.flush()
        alert_id = alert.id
    with world.runtime.db.transaction() as s:
        draft = incidents.draft_from_alert(s, world.workspace_id, alert_id)
    assert draft.source == "spike" and draft.name.startswith("Volume spike on the keyword colis")
    assert draft.match["keywords"] == ["colis", "parcel"]
    assert set(draft.case_ids) == set(wave) and calm not in draft.case_ids and old not in draft.case_ids
    number = _open(world, boss, name=draft.name, match=draft.match, case_ids=draft.case_ids, alert_id=alert_id)
    assert _linked(world, number) == set(wave)
    with world.runtime.db.transaction() as s:
        assert s.get(Alert, alert_id).incident_id is not None  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        _open(world, boss, name="again", alert_id=alert_id)


def test_a_triage_correction_keeps_the_crisis_raise(client: TestClient, world: World) -> None:
    from compris.triage.actions import correct_triage

    boss = supervisor(world)
    a = say(client, world, "AF1234 cancelled, I am furious", author="a")
    number = _open(world, boss, name="Cancelled", match=CANCELLED, case_ids=[a])
    as_user(world, boss, lambda s, u: incidents.set_crisis(
        s, world.runtime.publisher, actor=u, incident=incidents.get_incident(s, u.workspace_id, number), on=True,
        priority=35))
    with world.runtime.db.transaction() as s:
        message = s.scalar(select(Message).where(Message.case_id == a))
        agent = s.get(type(boss), world.agent.id)
        assert message is not None and agent is not None
        correct_triage(s, world.runtime.publisher, actor=agent, message=message, field="intent", label="question")
    after = case(world, a)
    assert after.triage.get("intent") == "question"
    assert after.priority == incidents.base_priority(after) + 35
