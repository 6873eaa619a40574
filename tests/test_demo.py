"""The demo workspace: created through the real pipeline, once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.config import Settings
from compris.demo import ensure_demo
from compris.models import (
    ACTIVE_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    ChannelAccount,
    Contact,
    Identity,
    Message,
    RawEvent,
    RawEventStatus,
    User,
    Workspace,
)
from compris.runtime import Runtime
from compris.sandbox_network import SandboxNetwork
from compris.sandbox_network.app import create_network_app, network_path


def _counts(runtime: Runtime) -> dict[str, Any]:
    with runtime.db.transaction() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model))
                for model in (Workspace, User, ChannelAccount, Contact, Identity, Case, Message, CaseEvent, RawEvent)}


def test_the_demo_is_created_through_the_pipeline_and_only_once(settings: Settings, runtime: Runtime) -> None:
    # when the demo is loaded on an empty database
    email, password = ensure_demo(settings)
    # then its login works with the printed password
    assert len(password) >= 10
    with runtime.db.transaction() as s:
        workspace = s.scalars(select(Workspace).where(Workspace.slug == "demo")).one()
        assert workspace.timezone == "Europe/Paris"
        assert s.scalar(select(User.role).where(User.email == email)) == "admin"
        roles = set(s.scalars(select(User.role).where(User.workspace_id == workspace.id)))
        assert roles == {"admin", "supervisor", "agent", "analyst"}  # a few people in each role (issue 19)
        channel_accounts = list(s.scalars(select(ChannelAccount).where(ChannelAccount.workspace_id == workspace.id)))
        assert {a.settings["flavour"] for a in channel_accounts} == {
            "x", "facebook", "instagram", "whatsapp", "vk", "telegram", "bluesky", "mastodon", "google", "tripadvisor"}
        assert all(a.settings["api_base"] == "http://testserver/sandbox-network" for a in channel_accounts)
        # every story went through the webhook pipeline
        raw_states = set(s.scalars(select(RawEvent.status)))
        assert raw_states == {RawEventStatus.PROCESSED}
        assert (s.scalar(select(func.count()).select_from(Message).where(Message.raw_event_id.is_not(None))) or 0) >= 35
        assert (s.scalar(select(func.count()).select_from(Case)) or 0) >= 20

        # 1. one hotel customer, two identities on two networks, merged by the supervisor: one open case
        def contact_of(platform_user_id: str) -> int:
            identity = s.scalars(select(Identity).where(Identity.platform_user_id == platform_user_id)).one()
            return identity.contact_id

        contact_id = contact_of("demo-ig-leonie")
        assert contact_of("demo-fb-100042") == contact_id
        [case] = s.scalars(select(Case).where(Case.contact_id == contact_id, Case.status.in_(ACTIVE_STATUSES)))
        messages = list(s.scalars(select(Message).where(Message.case_id == case.id)))
        assert len(messages) == 3
        assert len({m.author_identity_id for m in messages}) == 2
        assert len({m.channel_account_id for m in messages}) == 2
        supervisor_id = s.scalar(select(User.id).where(User.workspace_id == workspace.id, User.role == "supervisor"))
        merge = s.scalars(select(CaseEvent).where(CaseEvent.kind == "contact_merged",
                                                  CaseEvent.case_id.is_(None))).one()
        assert merge.actor_user_id == supervisor_id

        # 2. the promoted, widely seen luggage complaint
        luggage = s.scalars(select(Message).where(Message.platform_message_id == "demo-luggage-01")).one()
        assert luggage.promoted and luggage.reshares > 1000
        author = s.get(Identity, luggage.author_identity_id)
        assert author is not None and author.followers == 48000 and author.verified

        # 3. a wall of parcel complaints on one post, from many customers
        comments = list(s.scalars(select(Message).where(Message.platform_message_id.like("demo-parcel-%"))))
        assert len(comments) >= 8
        assert len({m.thread_id for m in comments}) == 1
        assert len({m.case_id for m in comments}) == len(comments)

        # 4. a record locator and a screenshot by private message
        rebook = list(s.scalars(select(Message).where(Message.platform_message_id.like("demo-rebook-%"))))
        assert {m.visibility for m in rebook} == {"private"}
        assert len({m.case_id for m in rebook}) == 1
        assert any(a.get("kind") == "image" and a.get("mime_type") for m in rebook for a in m.attachments)
        assert any("K7QZ4P" in m.text for m in rebook)

        # 5. background traffic in the past, and a few cases already resolved by agents
        assert (s.scalar(select(func.count()).select_from(Case).where(Case.status == CaseStatus.RESOLVED)) or 0) >= 2
        oldest = s.scalar(select(func.min(Message.sent_at)))
        newest = s.scalar(select(func.max(Message.sent_at)))
        assert oldest is not None and newest is not None
        assert (newest - oldest).total_seconds() > 3 * 3600

    # and a second run changes nothing
    before = _counts(runtime)
    assert ensure_demo(settings) == (email, password)
    assert _counts(runtime) == before


def test_the_sandbox_network_page_shows_the_demo_stories(settings: Settings) -> None:
    ensure_demo(settings)
    network = SandboxNetwork(network_path(settings.data_dir))
    try:
        brands = {b.external_id: b for b in network.store.brands()}
        assert len(brands) == 11
        assert all(b.webhook_url.startswith("http://testserver/webhooks/") for b in brands.values())
        client = TestClient(create_network_app(network))
        page = client.get("/?brand=aircompris-x")
        assert page.status_code == 200
        assert "Day 3 without my luggage" in page.text
        assert "Promoted" in page.text
        boutique = client.get("/?brand=aircompris-facebook").text
        assert boutique.count('class="msg customer"') >= 9
        reviews = client.get("/?brand=hotelcompris-paris-google").text
        assert "Google reviews" in reviews and 'aria-label="2 out of 5 stars"' in reviews
    finally:
        network.close()


def test_the_demos_reviews_carry_their_stars_into_triage(settings: Settings, runtime: Runtime) -> None:
    ensure_demo(settings)
    with runtime.db.transaction() as s:
        ratings = {m.platform_message_id: m for m in s.scalars(select(Message).where(
            Message.rating.is_not(None), Message.platform_message_id.not_like("demo-hist-%")))}  # (the stories')
        assert {k: m.rating for k, m in ratings.items()} == {"demo-g-01": 2, "demo-g-02": 5, "demo-ta-01": 1,
                                                           "demo-ta-02": 4}
        assert ratings["demo-ta-01"].triage["intent"] == "complaint"
        assert ratings["demo-g-02"].triage["sentiment"] == "positive"


def test_the_demos_tripadvisor_answer_waits_to_be_posted_by_hand(settings: Settings, runtime: Runtime) -> None:
    ensure_demo(settings)
    with runtime.db.transaction() as s:
        replies = {m.reply_to_platform_id: m for m in s.scalars(select(Message).where(
            Message.direction == "outbound", Message.reply_to_platform_id.in_(["demo-ta-01", "demo-g-02"])))}
        assert replies["demo-ta-01"].delivery_state == "manual"
        assert (replies["demo-ta-01"].platform_extra or {}).get("manual_send_url", "").startswith("http")
        assert replies["demo-g-02"].delivery_state == "sent"


def test_the_demos_parcel_wall_is_a_detected_incident(settings: Settings, runtime: Runtime) -> None:
    """Issue 16: ~30 customers comment under the shop's post within the last hour; listening groups them, alerts,
    and the supervisor finds them as one suspected incident with its holding statement drafted."""
    from datetime import timedelta

    from compris.kit.clock import now
    from compris.models import Alert, ClusterMember, Incident, IncidentCase, Post, PostThread

    ensure_demo(settings)
    with runtime.db.transaction() as s:
        wall = list(s.scalars(select(Message).where(Message.platform_message_id.like("demo-wall-%"))))
        assert 25 <= len(wall) <= 30
        assert all(m.sent_at > now() - timedelta(hours=1) for m in wall)
        assert len({m.case_id for m in wall}) == len(wall)  # one customer, one case
        assert {m.language for m in wall} >= {"fr", "en"}
        # the stories' cases keep their numbers: the wall's come after them
        numbers = sorted(s.scalars(select(Case.number).where(Case.id.in_([m.case_id for m in wall]))))
        assert numbers[0] > 36
        # threads and context: every comment is under the shop's post, the brand's own
        post = s.scalars(select(Post).where(Post.platform_post_id == "demo-boutique-post")).one()
        assert post.by_account is True and post.text and "Boutique" in post.text
        under = set(s.scalars(select(PostThread.thread_id).where(PostThread.post_id == post.id)))
        assert {m.thread_id for m in wall} <= under
        # clusters: most of the wall, French and English, in one cluster
        members = list(s.execute(select(ClusterMember.cluster_id, ClusterMember.message_id)
                                 .where(ClusterMember.message_id.in_([m.id for m in wall]))))
        by_cluster: dict[int, set[int]] = {}
        for cluster_id, message_id in members:
            by_cluster.setdefault(cluster_id, set()).add(message_id)
        biggest = max(by_cluster.values(), key=len)
        assert len(biggest) >= 0.8 * len(wall)
        assert {m.language for m in wall if m.id in biggest} >= {"fr", "en"}
        # one incident, suspected, opened from what listening detected, with the wall's cases and a drafted
        # holding statement in both languages (nothing sent yet)
        incident = s.scalars(select(Incident)).one()
        assert incident.status == "suspected" and incident.source == "spike"
        assert set(incident.statements) == {"fr", "en"}
        assert incident.match["cluster_ids"]  # new comments about it join by themselves
        linked = set(s.scalars(select(IncidentCase.case_id).where(IncidentCase.incident_id == incident.id)))
        morning = set(s.scalars(select(Message.case_id).where(Message.platform_message_id.like("demo-parcel-%"))))
        assert {m.case_id for m in wall} | morning <= linked
        # the spike alert it was opened from: the page's account, this hour, against its usual level
        (spike,) = s.scalars(select(Alert).where(Alert.incident_id == incident.id))
        assert spike.kind == "spike" and spike.data["observed"] >= 25 and spike.data["expected"] < 5
        # and one high-reach complaint alert for the wall: the journalist's comment
        journalist = next(m for m in wall if m.platform_message_id == "demo-wall-13")
        wall_cases = [m.case_id for m in wall]
        reach = list(s.scalars(select(Alert).where(Alert.kind == "reach", Alert.case_id.in_(wall_cases))))
        assert [a.case_id for a in reach] == [journalist.case_id]
        outbound = s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "outbound", Message.case_id.in_([m.case_id for m in wall])))
        assert outbound == 0
        # and the supervisor tagged them, so the reports count them by tag
        from compris.analytics import queries as figures
        from compris.analytics.figures import Filters
        from compris.analytics.reports import local_today
        from compris.models import CaseTag, Tag

        tagged = set(s.scalars(select(CaseTag.case_id).join(Tag, Tag.id == CaseTag.tag_id)
                               .where(Tag.name == "Colis perdu")))
        assert {m.case_id for m in wall} <= tagged
        ws = wall[0].workspace_id
        today = local_today(s, ws)
        by_tag = figures.volume(s, ws, Filters(start=today - timedelta(days=1), end=today)).by_tag  # the last hour
        assert [(x.label, x.value) for x in by_tag] == [("Colis perdu", len(tagged))]
def test_the_demo_has_weeks_of_history_behind_a_full_dashboard(settings: Settings, runtime: Runtime) -> None:
    from datetime import timedelta

    from compris.analytics import queries
    from compris.analytics.figures import Filters
    from compris.analytics.reports import Selection, dashboard, local_today
    from compris.kit.clock import now

    ensure_demo(settings)
    with runtime.db.transaction() as s:
        workspace_id = s.scalars(select(Workspace.id).where(Workspace.slug == "demo")).one()
        history = select(Message.case_id).where(Message.platform_message_id.like("demo-hist-%"))
        numbers = list(s.scalars(select(Case.number).where(Case.id.in_(history))))
        stories = list(s.scalars(select(Case.number).where(Case.id.not_in(history))))
        # weeks of history, numbered after the stories' cases (the docs cite #1..#36)
        assert len(numbers) >= 300
        # (after them only the administration part's own case: the minor contact whose data the demo erases)
        assert min(numbers) > 36 and len([n for n in stories if n > min(numbers)]) <= 1
        opened = [o for o in s.scalars(select(Case.first_inbound_at).where(Case.id.in_(history))) if o is not None]
        assert len(opened) == len(numbers) and min(opened) < now() - timedelta(weeks=7)
        assert max(opened) < min(o for o in s.scalars(select(Case.first_inbound_at).where(
            Case.id.not_in(history))) if o is not None)
        # every day of seven weeks at least has cases; how many days exactly depends on the hour of loading (the
        # history stops where the stories start, a week back, counted in the workspace's time zone: 49 days late in
        # the UTC evening, 50 earlier)
        days = {o.date() for o in opened}
        span = (max(days) - min(days)).days + 1
        assert span >= 7 * 7 and len(days) >= span - 1
        # most answered, some late, a few never; resolutions, reopenings, transfers, escalations, SLA breaches
        answered = [c for c in s.scalars(select(Case).where(Case.id.in_(history))) if c.first_response_at]
        assert 0.8 * len(numbers) < len(answered) < len(numbers)
        kinds = {k: n for k, n in s.execute(select(CaseEvent.kind, func.count()).where(CaseEvent.case_id.in_(history))
                                            .group_by(CaseEvent.kind))}
        for kind in ("resolved", "reopened", "transferred", "escalated", "sla_breached", "survey_answered",
                     "reply_retrying"):
            assert kinds.get(kind, 0) >= 1, kind
        # agents' replies through the outbox, credited to the demo's agents
        authors = set(s.scalars(select(Message.author_user_id).where(
            Message.case_id.in_(history), Message.direction == "outbound", Message.author_user_id.is_not(None))))
        assert authors == set(s.scalars(select(User.id).where(User.workspace_id == workspace_id,
                                                               User.role == "agent", User.is_active)))

        # and the dashboard over the last eight weeks is full
        today = local_today(s, workspace_id)
        f = Filters(start=today - timedelta(days=55), end=today)
        volume = queries.volume(s, workspace_id, f)
        assert volume.messages >= 300 and volume.new_cases >= 300
        assert len(volume.by_account) >= 8 and {x.key for x in volume.by_language} >= {"fr", "en"}
        assert len(volume.by_intent) >= 5
        rate = queries.response_rate(s, workspace_id, f)
        assert rate.needing > 0 and 50 < (rate.rate or 0) < 100 and 0 < rate.within_target < rate.responded
        # the history's own weeks (today's stories and the parcel wall are one busy Sunday afternoon)
        heatmap = queries.heatmap(s, workspace_id, Filters(start=today - timedelta(days=55),
                                                           end=today - timedelta(days=1)))
        weekdays = [sum(row) for row in heatmap.cells]
        assert min(weekdays[:5]) > max(weekdays[5:])  # weekday peaks
        by_hour = [sum(row[h] for row in heatmap.cells) for h in range(24)]
        assert sum(by_hour[9:20]) > 3 * sum(by_hour[0:7])  # more in the day
        times = queries.response_times(s, workspace_id, f)
        assert times.first_response.count >= 300 and times.resolution.count >= 300
        sla = queries.sla(s, workspace_id, f)
        assert sla.breaches > 0 and 30 < (sla.attainment("first_response") or 0) < 100
        csat = queries.csat(s, workspace_id, f)
        assert csat.sent > 100 and 0 < csat.satisfied < csat.answered < csat.sent
        agents = queries.agents(s, workspace_id, f)
        assert len(agents.agents) >= 4 and len(agents.teams) >= 2
        online = sorted(r.online_s for r in agents.agents if r.online_s)  # about eight hours a working day
        assert len(online) >= 4 and online[0] > 30 * 7 * 3600 and online[-1] < 56 * 9 * 3600
        escalations = queries.escalations(s, workspace_id, f)
        assert escalations.created >= 1 and escalations.answered >= 1
        board = dashboard(s, workspace_id, Selection(filters=f, preset="custom", values={}))
        assert board.volume.messages == volume.messages


def test_the_demo_ships_its_desk_set_up(settings: Settings, runtime: Runtime) -> None:
    """Issue 18, defect 14: teams, routing rules, office hours and SLA policies come with the demo, so that routing,
    "SLA due first", supervision, coverage and staffing show the features working."""
    from compris.kit.clock import now
    from compris.models import BusinessHours, RoutingRule, SlaPolicy, Team, WaitPublication
    from compris.sla import planning

    ensure_demo(settings)
    with runtime.db.transaction() as s:
        ws = s.scalars(select(Workspace.id).where(Workspace.slug == "demo")).one()
        teams = {t.name: t for t in s.scalars(select(Team).where(Team.workspace_id == ws))}
        assert {"Baggage", "Équipe FR", "English desk"} <= set(teams) and teams["English desk"].is_default
        rules = list(s.scalars(select(RoutingRule).where(RoutingRule.workspace_id == ws)))
        assert {r.team_id for r in rules} >= {teams["Baggage"].id, teams["Équipe FR"].id}
        assert s.scalars(select(BusinessHours).where(BusinessHours.workspace_id == ws)).all()
        policies = list(s.scalars(select(SlaPolicy).where(SlaPolicy.workspace_id == ws).order_by(SlaPolicy.position)))
        assert len(policies) >= 4 and policies[-1].name.startswith("Standard")
        assert any(p.business_hours_id for p in policies) and any(p.min_priority for p in policies)
        assert s.scalars(select(WaitPublication).where(WaitPublication.workspace_id == ws)).all()
        # every case awaiting an answer has an SLA deadline, from several policies; the states are a mix, not all red
        active = list(s.scalars(select(Case).where(Case.workspace_id == ws,
                                                   Case.status.in_((CaseStatus.NEW, CaseStatus.OPEN)))))
        # (a case of the demo's history left open long enough has breached every clock: no next deadline is left,
        # it sorts first as breached; which ones depends on the hour the demo is loaded)
        awaiting = [c for c in active if c.first_response_at is None]
        assert active and all(c.sla_first_response_due is not None for c in awaiting)
        assert all(c.sla_next_due_at is not None for c in awaiting if c.sla_status != "breached")
        assert len({c.sla_policy_id for c in active}) >= 3
        states = [c.sla_status for c in s.scalars(select(Case).where(Case.workspace_id == ws))]
        assert {"ok", "met", "breached"} <= set(states)
        assert sum(1 for c in active if c.sla_status == "breached") < len(active) / 2
        # priorities come from the open needs, with their reasons
        assert all(c.priority_info for c in active)
        assert any("urgent" in " ".join(c.priority_reasons) for c in active)
        # coverage: the airline's 24/7 accounts are covered around the clock; staffing has someone every hour
        coverage = {c.account.name: c for c in planning.channel_coverage(s, ws, now())}
        assert any(c.uncovered_hours == 0 for c in coverage.values())
        assert sum(1 for c in coverage.values() if c.gaps) < len(coverage) / 2
        plan = planning.staffing(s, ws, now(), "Europe/Paris")
        assert all(h.scheduled >= 1 for h in plan.hours)
        # notifications: colleagues mention each other in notes, so Sophie's and Inès's bells have something in them
        from compris.models import Notification, User

        mentioned = {u.email for u in s.scalars(select(User).join(Notification, Notification.user_id == User.id)
                                                .where(Notification.kind == "mention"))}
        assert {"sophie@demo.compris.example", "ines@demo.compris.example"} <= mentioned
