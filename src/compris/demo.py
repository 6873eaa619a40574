"""The demo workspace: users, sandbox channel accounts and stories, delivered through the real pipeline.

:func:`ensure_demo` is idempotent. Every story message is built as a sandbox-network delivery (recorded in the
network's own store so that its page shows it), signed with the account's webhook secret and handed to
:func:`compris.inbox.ingest.receive` exactly as a webhook would be; the jobs then normalise it into cases.
The people, handles, bookings and orders of ``demo_data/stories.json`` are invented.
"""

from __future__ import annotations

import json
import logging
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from compris import timeline
from compris.accounts import actions as accounts
from compris.channels.accounts import context
from compris.channels.actions import create_account
from compris.config import Settings
from compris.connectors.base import WebhookRequest
from compris.connectors.sandbox import sign
from compris.inbox import actions
from compris.inbox.ingest import receive
from compris.inbox.queries import InboxFilter, list_cases
from compris.kit.clock import now
from compris.kit.errors import ComprisError, NotFound
from compris.kit.textfold import folded_or_none
from compris.models import (
    ACTIVE_STATUSES,
    Alert,
    AlertKind,
    Case,
    CaseEvent,
    CaseStatus,
    ChannelAccount,
    ClusterMember,
    Contact,
    Direction,
    Identity,
    Message,
    Post,
    ReplyTemplate,
    SlaBreach,
    Survey,
    SurveyState,
    User,
    Workspace,
)
from compris.runtime import Runtime
from compris.sandbox_network.app import PREFIX, network_path
from compris.sandbox_network.network import SandboxNetwork
from compris.sandbox_network.store import Brand, NetworkError, Persona
from compris.worker.queue import run_pending

log = logging.getLogger(__name__)

DEMO_SLUG = "demo"
LOADED_EVENT = timeline.EventKind.DEMO_LOADED.value


@cache
def stories() -> dict[str, Any]:
    text = (resources.files("compris") / "demo_data" / "stories.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def demo_login() -> tuple[str, str]:
    data = stories()
    user = next(u for u in data["users"] if u["key"] == data["login"])
    return str(user["email"]), str(data["password"])


def ensure_demo(settings: Settings) -> tuple[str, str]:
    """Create the demo workspace and its stories unless they exist; return the login to print."""
    from compris.worker.queue import load_tasks

    load_tasks()  # registers the job handlers

    login = demo_login()
    runtime = Runtime.create(settings)
    try:
        with runtime.db.transaction() as session:
            workspace = session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
            loaded_id = workspace.id if workspace is not None and _loaded(session, workspace.id) else None
        if loaded_id is not None:
            _capture_mail(runtime, loaded_id)  # on each start: the capture server's port changes
            start_business_standin(runtime)  # the airline's stand-in lives as long as this process
            return login
        _load(runtime)
    finally:
        runtime.stop()
    return login


def _loaded(session: Session, workspace_id: int) -> bool:
    return session.scalar(
        select(CaseEvent.id).where(CaseEvent.workspace_id == workspace_id, CaseEvent.kind == LOADED_EVENT).limit(1)
    ) is not None


@dataclass
class _Demo:
    runtime: Runtime
    network: SandboxNetwork
    workspace_id: int
    users: dict[str, int]
    accounts: dict[str, ChannelAccount]
    secrets: dict[str, str]  # account key -> webhook secret
    api_base: str


def _load(runtime: Runtime) -> None:
    data = stories()
    settings = runtime.settings
    api_base = f"{settings.base_url.rstrip('/')}{PREFIX}"
    with runtime.db.transaction() as session:
        workspace = _workspace(session, data)
        users = _users(session, workspace, data)
        channel_accounts = _accounts(session, settings.secret_key, workspace, data, api_base, users["admin"])
        webhook_secrets = {
            key: context(account, settings.secret_key).secrets["webhook_secret"]
            for key, account in channel_accounts.items()
        }
        brands = [
            Brand(external_id=account.external_id, name=account.name,
                  webhook_url=f"{settings.base_url.rstrip('/')}/webhooks/{account.id}",
                  webhook_secret=webhook_secrets[key],
                  api_token=context(account, settings.secret_key).secrets["api_token"],
                  flavour=str(account.settings.get("flavour", "")))
            for key, account in channel_accounts.items()
        ]
        workspace_id = workspace.id
    _capture_mail(runtime, workspace_id)
    network = SandboxNetwork(network_path(settings.data_dir), public_url=api_base)
    # the server is not listening yet: what the loader sends to the sandbox network (the surveys, the agents'
    # replies of the stories) goes to it in-process, so that it is sent at once rather than retried later
    served_http = runtime.http
    runtime.http = _in_process_sandbox(served_http, network, settings.base_url)
    try:
        for brand in brands:
            network.register_brand(brand)
        demo = _Demo(runtime, network, workspace_id, users, channel_accounts, webhook_secrets, api_base)
        for step in data["steps"]:
            _step(demo, data, step)
        run_pending(runtime.services)
        with runtime.db.transaction() as session:
            from compris.replies.actions import ensure_default_templates

            admin = session.get(User, users["admin"])
            assert admin is not None
            ensure_default_templates(session, admin)  # FR/EN reply templates (issue 6)
        _escalation_demo(demo)
        _business_demo(demo)
        _survey_demo(demo)
        _reviews_demo(demo)
        _same_customer_demo(demo)
        run_pending(runtime.services)
        _listening_demo(demo)
        run_pending(runtime.services)
        _history_demo(demo)
        run_pending(runtime.services)
        _desk_demo(demo)
        _mentions_demo(demo)
        run_pending(runtime.services)
        _admin_demo(demo)
        run_pending(runtime.services)
        with runtime.db.transaction() as session:
            timeline.demo_loaded(session, workspace_id=workspace_id, steps=len(data["steps"]))
    finally:
        runtime.http.close()
        runtime.http = served_http
        network.close()


def _admin_demo(demo: _Demo) -> None:
    """The administration part (issue 19, ``compris.demo_admin``): people in each role and a pending invitation,
    tokens, the retention policy, an export and an erasure of personal data, then the audit log sealed (last, so
    that its chain shows verified)."""
    from compris.demo_admin import audit, export, people, privacy, retention, tokens

    users = dict(demo.users)
    for part in (people, tokens, retention, export, privacy, audit):
        part.load(demo.runtime, demo.workspace_id, users)


class _InProcess(httpx.BaseTransport):
    """An httpx transport that hands requests to an ASGI app in this process (Starlette's test transport)."""

    def __init__(self, app: Any) -> None:
        from starlette.testclient import TestClient

        self.client = TestClient(app, raise_server_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii")
        if path.startswith(PREFIX):  # the network's app is mounted there in the server
            path = path[len(PREFIX):] or "/"
        answer = self.client.request(request.method, path, headers=dict(request.headers), content=request.read())
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def close(self) -> None:
        self.client.close()


def _in_process_sandbox(http: httpx.Client, network: SandboxNetwork, base_url: str) -> httpx.Client:
    """A client like ``http`` whose requests to this Compris (the embedded sandbox network's API) are answered
    in-process by the network's app."""
    from compris.sandbox_network.app import create_network_app

    origin = "/".join(base_url.rstrip("/").split("/", 3)[:3])

    def outside(hook: Any) -> Any:  # what the app answers in-process never reaches the network: not judged
        def judge(thing: Any) -> None:
            request = thing if isinstance(thing, httpx.Request) else thing.request
            if not str(request.url).startswith(origin + "/"):
                hook(thing)
        return judge

    hooks = {name: [outside(h) for h in found] for name, found in http.event_hooks.items()}
    return httpx.Client(timeout=http.timeout, follow_redirects=False, event_hooks=hooks,
                        mounts={origin: _InProcess(create_network_app(network))})


def _workspace(session: Session, data: dict[str, Any]) -> Workspace:
    spec = data["workspace"]
    workspace = session.scalar(select(Workspace).where(Workspace.slug == spec["slug"]))
    if workspace is None:
        workspace = accounts.create_workspace(session, slug=spec["slug"], name=spec["name"],
                                              timezone=spec["timezone"], default_language=spec["language"])
    return workspace


def _users(session: Session, workspace: Workspace, data: dict[str, Any]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for spec in data["users"]:
        user = session.scalar(select(User).where(User.email == spec["email"]))
        if user is None:
            user = accounts.create_user(session, workspace=workspace, email=spec["email"], name=spec["name"],
                                        password=data["password"], role=spec["role"], language=spec["language"])
        ids[spec["key"]] = user.id
    return ids


def _accounts(session: Session, secret_key: str, workspace: Workspace, data: dict[str, Any], api_base: str,
              admin_id: int) -> dict[str, ChannelAccount]:
    found: dict[str, ChannelAccount] = {}
    for spec in data["accounts"]:
        account = session.scalar(select(ChannelAccount).where(
            ChannelAccount.workspace_id == workspace.id, ChannelAccount.network == "sandbox",
            ChannelAccount.external_id == spec["external_id"]))
        if account is None:
            account = create_account(
                session, secret_key, workspace_id=workspace.id, network="sandbox", name=spec["name"],
                external_id=spec["external_id"], settings={"api_base": api_base, "flavour": spec["flavour"]},
                secrets={"webhook_secret": secrets.token_urlsafe(32), "api_token": secrets.token_urlsafe(32)},
                actor_user_id=admin_id,
            )
        found[spec["key"]] = account
    return found


def _persona(data: dict[str, Any], key: str) -> Persona:
    raw = data["personas"][key]
    return Persona(id=str(raw["id"]), handle=raw.get("handle"), name=raw.get("name"),
                   followers=int(raw.get("followers", 0)), verified=bool(raw.get("verified", False)))


def _step(demo: _Demo, data: dict[str, Any], step: dict[str, Any]) -> None:
    kind = step["do"]
    if kind == "message":
        _deliver(demo, data, step)
    elif kind == "brand_post":
        account = demo.accounts[step["account"]]
        if demo.network.store.message(step["id"]) is None:
            demo.network.brand_post(account.external_id, step["text"], title=step.get("title"),
                                    message_id=step["id"], created_at=now() - timedelta(minutes=step["minutes_ago"]))
    elif kind == "merge":
        run_pending(demo.runtime.services)
        _merge(demo, data, step)
    elif kind == "resolve":
        run_pending(demo.runtime.services)
        _resolve(demo, step)
    else:
        raise ValueError(f"unknown demo step {kind!r}")


def _deliver(demo: _Demo, data: dict[str, Any], step: dict[str, Any]) -> None:
    """Record the message on the sandbox network, then deliver its signed payload to Compris."""
    account = demo.accounts[step["account"]]
    attachments = [{k: (str(v).replace("{network}", demo.api_base) if k == "url" else v) for k, v in a.items()}
                   for a in step.get("attachments", [])]
    try:
        posted = demo.network.customer_message(
            account.external_id, _persona(data, step["persona"]), step["kind"], step["text"],
            thread_id=step.get("thread"), promoted=bool(step.get("promoted", False)),
            reshares=int(step.get("reshares", 0)), attachments=attachments, thread_title=step.get("thread_title"),
            created_at=now() - timedelta(minutes=step["minutes_ago"]), message_id=step["id"], deliver=False,
            rating=step.get("rating"),
        )
        body = posted.body
    except NetworkError as exc:
        if exc.status != 409:
            raise
        stored = demo.network.store.delivery_for_message(step["id"])  # recorded by an interrupted earlier run
        assert stored is not None
        body = stored.body
    request = WebhookRequest(
        method="POST",
        headers={"content-type": "application/json", "x-sandbox-signature": sign(demo.secrets[step["account"]], body)},
        query={},
        body=body,
    )
    runtime = demo.runtime
    receive(runtime.db, runtime.publisher, runtime.settings.secret_key, account.id, request)
    run_pending(runtime.services)


def _contact_of(session: Session, workspace_id: int, platform_user_id: str) -> Contact:
    identity = session.scalar(select(Identity).where(
        Identity.workspace_id == workspace_id, Identity.network == "sandbox",
        Identity.platform_user_id == platform_user_id))
    if identity is None:
        raise LookupError(f"demo: no identity {platform_user_id!r} yet")
    contact = session.get(Contact, identity.contact_id)
    assert contact is not None
    while contact.merged_into_id is not None:
        merged = session.get(Contact, contact.merged_into_id)
        assert merged is not None
        contact = merged
    return contact


def _merge(demo: _Demo, data: dict[str, Any], step: dict[str, Any]) -> None:
    """A supervisor merges the two identities of one customer, so that their messages land on one case."""
    runtime = demo.runtime
    with runtime.db.transaction() as session:
        source = _contact_of(session, demo.workspace_id, data["personas"][step["source"]]["id"])
        target = _contact_of(session, demo.workspace_id, data["personas"][step["target"]]["id"])
        actor = session.get(User, demo.users[step["by"]])
        assert actor is not None
        if source.id != target.id:
            actions.merge_contacts(session, runtime.publisher, actor=actor, source=source, target=target)
            session.flush()
        _fold_cases(session, demo, actor, target)


def _fold_cases(session: Session, demo: _Demo, actor: User, contact: Contact) -> None:
    """Gather the merged contact's open cases into its oldest one, as the supervisor would."""
    cases = list(session.scalars(
        select(Case).where(Case.workspace_id == demo.workspace_id, Case.contact_id == contact.id,
                           Case.status.in_(ACTIVE_STATUSES)).order_by(Case.number)))
    for other in cases[1:]:
        actions.merge_cases(session, demo.runtime.publisher, actor=actor, source=other, target=cases[0])


def _resolve(demo: _Demo, step: dict[str, Any]) -> None:
    """An agent answered a case outside the live demo: a note, then resolved."""
    runtime = demo.runtime
    account = demo.accounts[step["account"]]
    with runtime.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.channel_account_id == account.id,
                                                       Message.platform_message_id == step["message"]))
        if message is None:
            raise LookupError(f"demo: message {step['message']!r} was not ingested")
        case = session.get(Case, message.case_id)
        agent = session.get(User, demo.users[step["by"]])
        assert case is not None and agent is not None
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            return
        actions.assign(session, runtime.publisher, actor=agent, case=case, assignee=agent)
        if step.get("note"):
            actions.add_note(session, runtime.publisher, actor=agent, case=case, text=step["note"])
        actions.set_status(session, runtime.publisher, actor=agent, case=case, status=CaseStatus.RESOLVED)


# --- reviews (issue 17) ----------------------------------------------------------------------------------------

#: the reviews agents answered in the demo: (message, account, agent, text); the Tripadvisor one waits to be posted
#: by hand (Tripadvisor has no API for management responses), the Google one is sent
REVIEW_ANSWERS = (
    ("demo-ta-01", "hotel-ta", "agent-fr",
     "Madame, nous sommes sincèrement désolés pour votre arrivée : une réservation introuvable à 23 h, c'est "
     "exactement ce qui ne doit pas arriver. Nous avons retrouvé l'erreur de synchronisation avec le site de "
     "réservation et l'avons corrigée. La direction de l'hôtel"),
    ("demo-g-02", "hotel-google", "agent-en",
     "Thank you so much, Tom! The whole team was delighted to be part of your anniversary. See you next time."),
)


def _reviews_demo(demo: _Demo) -> None:
    """An agent's response to the one-star Tripadvisor review, kept to post by hand, and a thank-you sent to the
    five-star Google review."""
    runtime = demo.runtime
    for platform_id, account_key, agent_key, text in REVIEW_ANSWERS:
        account = demo.accounts.get(account_key)
        if account is None:
            continue
        with runtime.db.transaction() as session:
            message = session.scalar(select(Message).where(Message.channel_account_id == account.id,
                                                           Message.platform_message_id == platform_id))
            if message is None:
                raise LookupError(f"demo: message {platform_id!r} was not ingested")
            case = session.get(Case, message.case_id)
            agent = session.get(User, demo.users[agent_key])
            assert case is not None and agent is not None
            actions.add_reply(session, runtime.publisher, actor=agent, case=case, text=text, visibility="public",
                              reply_to_message_id=message.id, idempotency_key=f"demo-review-{platform_id}")
        run_pending(runtime.services)


# --- outgoing mail (issue 13) ----------------------------------------------------------------------------------



def _same_customer_demo(demo: _Demo) -> None:
    """Probably the same customer (issue 18): Marcus, who complained in public on X, writes again in private on
    WhatsApp from his phone, quoting the same file reference; the platforms give unrelated ids, so Compris opens a
    second contact and suggests linking the two on both cases ("both quote LIS-AC-77120"). Nothing is merged."""
    persona = Persona(id="447700900481", handle="+44 7700 900481", name="Marcus W-O")
    _deliver_text(demo, "air-wa", persona, "Hello, Marcus here (I wrote to you on X). Still no news of my bag, file "
                  "reference LIS-AC-77120. Camera gear inside, I need it for Friday. Can someone call me?",
                  "demo-same-customer-marcus-wa")

def _mentions_demo(demo: _Demo) -> None:
    """Notifications (issue 18): colleagues mention each other in internal notes, so the bell of the French agent
    (Sophie) and of the supervisor (Inès) has something in it: a note naming ``@Sophie`` on Marcus's WhatsApp case
    and one naming ``@Inès`` on his public complaint on X."""
    runtime = demo.runtime
    notes = (("demo-same-customer-marcus-wa", "air-wa", "supervisor",
              "@Sophie peux-tu prendre celui-ci ? Même client que sur X (LIS-AC-77120), il veut être rappelé."),
             (None, "air-x", "admin", "@Inès high-reach complaint (48k followers): can your team watch this one?"))
    with runtime.db.transaction() as session:
        for platform_id, account_key, author, text in notes:
            account = demo.accounts[account_key]
            query = select(Message).where(Message.channel_account_id == account.id,
                                          Message.direction == Direction.INBOUND)
            if platform_id is not None:
                query = query.where(Message.platform_message_id == platform_id)
            else:
                query = query.join(Case, Case.id == Message.case_id).where(Case.priority >= 60)
            message = session.scalars(query.order_by(Message.id)).first()
            actor = session.get(User, demo.users[author])
            case = session.get(Case, message.case_id) if message is not None else None
            if case is None or actor is None:
                continue
            actions.add_note(session, runtime.publisher, actor=actor, case=case, text=text)


def _capture_mail(runtime: Runtime, workspace_id: int) -> None:
    """Partners' e-mails without the internet: a local capture SMTP server (one per process) and the demo
    workspace's outgoing mail pointed at it; the mails show in Administration → Outgoing mail."""
    from compris.mail.capture import use_for_demo

    with runtime.db.transaction() as session:
        use_for_demo(session, runtime.publisher, workspace_id=workspace_id, secret_key=runtime.settings.secret_key)


# --- escalation (issue 13) -------------------------------------------------------------------------------------


ESCALATED_MESSAGE = ("hotel-fb", "demo-hotel-02")  # Léonie's booking HC-PAR-48213 vanished after payment


def _escalation_demo(demo: _Demo) -> None:
    """A hotel partner on its own calendar, an internal refunds team, and Léonie's vanished booking escalated to the
    hotel with a brief (the partner's answer is added by the portal's part of the demo)."""
    from compris.escalation import actions as escalation
    from compris.escalation.queries import partners as partner_list
    from compris.sla.actions import save_business_hours

    runtime = demo.runtime
    with runtime.db.transaction() as session:
        admin = session.get(User, demo.users["admin"])
        agent = session.get(User, demo.users["agent-fr"])
        assert admin is not None and agent is not None
        existing = {p.name: p for p in partner_list(session, demo.workspace_id)}
        if "Hôtel des Arts" in existing:
            return
        reception = save_business_hours(session, runtime.publisher, actor=admin,
                                        name="Hôtel des Arts — réception", timezone="Europe/Paris",
                                        lines="mon-sat 08:00-20:00\nsun 09:00-13:00")
        hotel = escalation.create_partner(
            session, runtime.publisher, actor=admin, name="Hôtel des Arts", kind="partner",
            emails=["reservations@hotel-des-arts.example"], language="fr", business_hours_id=reception.id,
            due_minutes=4 * 60, reminders={"before_minutes": [60], "after_minutes": [0, 120], "repeat_minutes": 240},
            link_days=14, notes="Hôtel partenaire, Paris 6e. Demander le service réservations.")
        escalation.create_partner(
            session, runtime.publisher, actor=admin, name="Refunds", kind="team",
            emails=["refunds@demo.compris.example"], language="en", due_minutes=24 * 60,
            reminders={"before_minutes": [120], "after_minutes": [0], "repeat_minutes": 0},
            notes="Internal back office: refunds and double charges.")
        account = demo.accounts[ESCALATED_MESSAGE[0]]
        message = session.scalar(select(Message).where(Message.channel_account_id == account.id,
                                                       Message.platform_message_id == ESCALATED_MESSAGE[1]))
        if message is None:
            raise LookupError(f"demo: message {ESCALATED_MESSAGE[1]!r} was not ingested")
        case = session.get(Case, message.case_id)
        assert case is not None
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            return
        shared = list(session.scalars(select(Message.id).where(
            Message.case_id == case.id, Message.direction == Direction.INBOUND, Message.deleted_at.is_(None))))
        if case.assignee_id is None:
            actions.assign(session, runtime.publisher, actor=agent, case=case, assignee=agent)
        escalation.escalate(
            session, runtime.publisher, actor=agent, case=case, partner_id=hotel.id, message_ids=shared,
            brief=("Bonjour, notre cliente a réservé chez vous (réservation HC-PAR-48213) du 14 au 17 "
                   "(chambre double supérieure, 3 nuits) et a été débitée de 612 €, mais la réservation "
                   "n'apparaît plus. Pouvez-vous vérifier qu'elle est bien enregistrée de votre côté et nous "
                   "confirmer la chambre ? Merci !"))


# --- business actions (issue 13) -------------------------------------------------------------------------------


BUSINESS_ACTION_KEY = "rebook"
BUSINESS_STORY_MESSAGE = "demo-rebook-01"  # Thibault's cancelled flight (booking reference K7QZ4P)
REBOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "record_locator": {"type": "string", "title": "Booking reference", "pattern": "^[A-Z0-9]{6}$"},
        "passenger": {"type": "string", "title": "Passenger", "maxLength": 100},
        "flight_date": {"type": "string", "title": "New date (YYYY-MM-DD)", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
        "cabin": {"type": "string", "title": "Cabin", "enum": ["economy", "business"]},
    },
    "required": ["record_locator", "flight_date"],
}
REBOOKED_TEMPLATE_NAME = "Rebooked"
REBOOKED_TEMPLATE: dict[str, str] = {
    "en": "Hi {first_name}, you are rebooked: flight {action.flight}, departing {action.departure}, seat "
    "{action.seat}. Your booking reference does not change. {agent_first_name}",
    "fr": "Bonjour {first_name}, c'est fait : vous êtes sur le vol {action.flight}, départ le "
    "{action.departure}, siège {action.seat}. Votre référence de réservation ne change pas. {agent_first_name}",
}


def _allow_local_endpoints(settings: Settings) -> None:
    """The demo's stand-in listens on 127.0.0.1: allow local endpoints in this (demo) process."""
    if not (settings.demo or settings.allow_local_http_endpoints):
        settings.allow_local_http_endpoints = True


def start_business_standin(runtime: Runtime) -> None:
    """Start the demo airline's stand-in (``./run demo`` on an already loaded demo too), on the port the action
    names if it is free, else on another one (the action's endpoint is moved there)."""
    from urllib.parse import urlsplit

    from compris.business import actions as business
    from compris.business import queries as business_queries
    from compris.business.standin import start_demo

    _allow_local_endpoints(runtime.settings)
    with runtime.db.transaction() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
        if workspace is None:
            return
        try:
            action = business_queries.action_by_key(session, workspace.id, BUSINESS_ACTION_KEY)
        except NotFound:
            return
        server = start_demo(business.signing_secret(runtime.settings.secret_key, action),
                            port=urlsplit(action.endpoint_url).port or 0)
        if server.url("/rebook") != action.endpoint_url:
            admin = session.scalar(select(User).where(User.workspace_id == workspace.id, User.role == "admin")
                                   .order_by(User.id).limit(1))
            assert admin is not None
            business.update_action(session, runtime.publisher, actor=admin, action_id=action.id, allow_local=True,
                                   endpoint_url=server.url("/rebook"))


def _business_demo(demo: _Demo) -> None:
    """An airline "rebook" action wired to a local stand-in (``compris.business.standin``, started by this process),
    run once on Thibault's cancelled flight, and a "Rebooked" reply template that uses its result."""
    from compris.business import actions as business
    from compris.business.standin import start_demo
    from compris.replies.actions import create_template

    runtime = demo.runtime
    _allow_local_endpoints(runtime.settings)
    server = start_demo("pending")  # the action's secret is known once it is created
    with runtime.db.transaction() as session:
        admin = session.get(User, demo.users["admin"])
        assert admin is not None
        _, secret = business.create_action(
            session, runtime.publisher, actor=admin, secret_key=runtime.settings.secret_key, allow_local=True,
            key=BUSINESS_ACTION_KEY, names={"en": "Rebook", "fr": "Changer de vol"},
            descriptions={"en": "Move the passenger to another flight (the airline's booking system).",
                          "fr": "Replacer le passager sur un autre vol (système de réservation de la compagnie)."},
            endpoint_url=server.url("/rebook"), input_schema=REBOOK_SCHEMA,
            prefill_rules={"record_locator": "triage.record_locator", "passenger": "contact.name"},
            roles=("agent", "supervisor", "admin"), timeout_seconds=5.0, max_attempts=3)
        server.secret = secret
        if session.scalar(select(ReplyTemplate.id).where(ReplyTemplate.workspace_id == demo.workspace_id,
                                                         ReplyTemplate.name == REBOOKED_TEMPLATE_NAME)) is None:
            create_template(session, actor=admin, name=REBOOKED_TEMPLATE_NAME, shortcut="rebooked",
                            bodies=REBOOKED_TEMPLATE, publisher=runtime.publisher)
        message = session.scalar(select(Message).where(Message.workspace_id == demo.workspace_id,
                                                       Message.platform_message_id == BUSINESS_STORY_MESSAGE))
        case = session.get(Case, message.case_id) if message is not None else None
        agent = session.get(User, demo.users["agent-fr"])
        if case is None or agent is None:
            return
        tomorrow = (now() + timedelta(days=1)).date().isoformat()
        business.request_run(session, runtime.publisher, actor=agent, case=case, key=BUSINESS_ACTION_KEY,
                             input={"record_locator": "K7QZ4P", "passenger": "Thibault", "flight_date": tomorrow,
                                    "cabin": "economy"}, idempotency_key="demo-rebook")
        case_id, agent_id = case.id, agent.id
    run_pending(runtime.services)
    # the empowered agent answers from the same conversation, with the new flight from the action's result
    from compris.replies.actions import send_agent_reply
    from compris.replies.queries import render_for_case

    with runtime.db.transaction() as session:
        case = session.get(Case, case_id)
        agent = session.get(User, agent_id)
        template = session.scalar(select(ReplyTemplate).where(ReplyTemplate.workspace_id == demo.workspace_id,
                                                              ReplyTemplate.name == REBOOKED_TEMPLATE_NAME))
        if case is None or agent is None or template is None:
            return
        rendered = render_for_case(session, template, case, agent)
        if rendered.missing:  # the call did not succeed: no answer with holes in it
            return
        actions.assign(session, runtime.publisher, actor=agent, case=case, assignee=agent)
        try:
            send_agent_reply(session, runtime.publisher, actor=agent, case=case, text=rendered.text,
                             visibility="private", template_id=template.id, idempotency_key="demo-rebooked-reply")
        except ComprisError as exc:  # the guard or the network refused it: the demo goes on without the answer
            log.warning("demo: the rebooked reply was not sent: %s", exc)
    run_pending(runtime.services)


# --- satisfaction surveys (issue 14) ---------------------------------------------------------------------------


#: the demo's answers, case after case: the rating as the customer types it, and a comment or none
#: each surveyed customer's rating and comment; None: they have not answered (yet), as many customers
SURVEY_ANSWERS: tuple[tuple[str | None, str | None], ...] = (
    ("5", "Super rapide, merci beaucoup !"), ("4/5", None), ("⭐⭐⭐⭐⭐", None), ("3", None),
    ("2", "Still no refund after two weeks."), ("1", None), ("4", None), (None, None),
)
SURVEY_REPLIES = {"fr": "C'est réglé de notre côté : n'hésitez pas à revenir vers nous si besoin.",
                  "en": "All sorted on our side: do get back to us if anything else comes up."}


def _survey_demo(demo: _Demo) -> None:
    """Survey settings (on, with the shipped FR/EN questions) and answered surveys on several cases of different
    agents, teams and networks, through the real path: an agent answers, the case is resolved (the survey is
    scheduled), the send job's action sends it, and the customer answers on the sandbox network (a rating, then
    for some a comment), delivered to the webhook like any message."""
    from compris.surveys import actions as surveys

    runtime = demo.runtime
    settings = runtime.settings
    agent_keys = [k for k in ("agent-fr", "agent-en", "agent-fr-2", "agent-en-2") if k in demo.users]
    with runtime.db.transaction() as session:
        admin = session.get(User, demo.users["admin"])
        assert admin is not None
        surveys.save_settings(session, runtime.publisher, actor=admin, channel_account_id=None,
                              values={"enabled": True, "delay_minutes": 60, "ask_comment": True, "low_rating": 2})
        picked: list[tuple[int, str, str]] = []  # case id, account key, customer's platform id
        seen_contacts: set[int] = set()
        keys = {account.id: key for key, account in demo.accounts.items()}
        for case in session.scalars(select(Case).where(Case.workspace_id == demo.workspace_id,
                                                       Case.status.in_(ACTIVE_STATUSES)).order_by(Case.number)):
            first = session.scalar(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")
                                   .order_by(Message.id).limit(1))
            identity = session.get(Identity, first.author_identity_id) if first and first.author_identity_id else None
            if (first is None or identity is None or case.contact_id in seen_contacts
                    or first.channel_account_id not in keys or (case.triage or {}).get("intent") == "spam"):
                continue
            seen_contacts.add(case.contact_id)
            picked.append((case.id, keys[first.channel_account_id], identity.platform_user_id))
            if len(picked) == len(SURVEY_ANSWERS):
                break
    personas = {str(p["id"]): p for p in stories()["personas"].values()}
    for n, ((case_id, account_key, customer), (rating, comment)) in enumerate(zip(picked, SURVEY_ANSWERS,
                                                                                    strict=False)):
        with runtime.db.transaction() as session:
            resolved = session.get(Case, case_id)
            agent = session.get(User, demo.users[agent_keys[n % len(agent_keys)]]) if agent_keys else None
            assert resolved is not None and agent is not None
            actions.assign(session, runtime.publisher, actor=agent, case=resolved, assignee=agent)
            actions.add_reply(session, runtime.publisher, actor=agent, case=resolved, visibility="private",
                              text=SURVEY_REPLIES.get(resolved.language or "", SURVEY_REPLIES["en"]))
            actions.set_status(session, runtime.publisher, actor=agent, case=resolved, status=CaseStatus.RESOLVED)
            survey = session.scalar(select(Survey).where(Survey.case_id == resolved.id,
                                                         Survey.state == SurveyState.SCHEDULED))
            if survey is None:
                continue
            surveys.send(session, runtime.publisher, survey, base_url=settings.base_url,
                         secret_key=settings.secret_key)
        run_pending(runtime.services)  # the reply and the survey go out before the customer answers
        raw = personas.get(customer)
        persona = Persona(id=customer, handle=(raw or {}).get("handle"), name=(raw or {}).get("name"))
        for i, text in enumerate([t for t in (rating, comment) if t]):
            _deliver_text(demo, account_key, persona, text, f"demo-survey-{case_id}-{i}")


def _deliver_text(demo: _Demo, account_key: str, persona: Persona, text: str, message_id: str) -> None:
    """A customer's private message on the sandbox network, delivered to Compris's webhook as it would be."""
    account = demo.accounts[account_key]
    try:
        body = demo.network.customer_message(account.external_id, persona, "dm", text, message_id=message_id,
                                             deliver=False).body
    except NetworkError as exc:
        if exc.status != 409:
            raise
        stored = demo.network.store.delivery_for_message(message_id)
        assert stored is not None
        body = stored.body
    request = WebhookRequest(method="POST", query={}, body=body, headers={
        "content-type": "application/json", "x-sandbox-signature": sign(demo.secrets[account_key], body)})
    receive(demo.runtime.db, demo.runtime.publisher, demo.runtime.settings.secret_key, account.id, request)
    run_pending(demo.runtime.services)


# --- listening (issue 16): the parcel wall, detected as an incident ---------------------------------------------


def _listening_demo(demo: _Demo) -> None:
    """The parcel wall: within the last hour ~30 customers (French, a few English, one widely followed) comment
    under the shop's post on the Facebook-like page that their parcel never came, on top of the day's usual traffic
    (the stories above). Delivered through the webhook like every story; the listening listeners see the spike, group
    the messages in one cluster and alert on the high-reach complaint; the supervisor opens the spike as a (suspected)
    incident with its cases linked and a holding statement drafted in French and English, ready to send."""
    if demo.network.store.message(_WALL[0][0]) is not None:
        return  # loaded by an earlier, interrupted run
    _usual_week(demo)
    _deliver_comments(demo, "air-fb", _BOUTIQUE_POST, _WALL)
    _listening_pass(demo)
    _open_wall_incident(demo)


#: the shop's post the wall is under (a brand post of the stories, on the Facebook-like page)
_BOUTIQUE_POST = "demo-boutique-post"

#: (message id, minutes ago, persona (id, name, followers, verified), text): the wall, within the last hour
_WALL: tuple[tuple[str, int, tuple[str, str, int, bool], str], ...] = (
    ("demo-wall-01", 58, ("demo-fb-300101", "Camille Vautrin", 180, False),
     "Toujours pas reçu ma commande de la Boutique, 15 jours après. Commande BQ-21877."),
    ("demo-wall-02", 56, ("demo-fb-300102", "Julien Marchetti", 95, False),
     "Colis perdu ?? Le suivi est bloqué depuis une semaine."),
    ("demo-wall-03", 54, ("demo-fb-300103", "Sophie Lanvin", 410, False),
     "Pas reçu ma commande non plus, c'est inadmissible."),
    ("demo-wall-04", 52, ("demo-fb-300104", "Rachel Dunmore", 230, False),
     "Where is my parcel?? Ordered on the Lisbon flight 10 days ago, nothing."),
    ("demo-wall-05", 50, ("demo-fb-300105", "Antoine Ferrand", 60, False),
     "Toujours rien reçu. Livraison en 48 h, vraiment ?"),
    ("demo-wall-06", 48, ("demo-fb-300106", "Mélanie Roux", 320, False),
     "Ma commande n'est jamais arrivée et personne ne répond au téléphone."),
    ("demo-wall-07", 46, ("demo-fb-300107", "Karim Benali", 150, False),
     "Colis perdu, pareil. Commande BQ-22014 passée sur le vol pour Nice."),
    ("demo-wall-08", 44, ("demo-fb-300108", "Élise Perrin", 88, False),
     "Je n'ai toujours pas reçu ma commande, où est mon colis ?"),
    ("demo-wall-09", 42, ("demo-fb-300109", "Tom Ashby", 540, False),
     "Still no parcel. Tracking says delivered but nothing at my door."),
    ("demo-wall-10", 40, ("demo-fb-300110", "Nathalie Giraud", 205, False),
     "Toujours pas reçu ma commande ! Un cadeau pour ma fille, quelle déception."),
    ("demo-wall-11", 38, ("demo-fb-300111", "Hugo Lemaire", 76, False),
     "Pas de colis, pas de réponse, pas de remboursement."),
    ("demo-wall-12", 36, ("demo-fb-300112", "Inès Carvalho", 132, False),
     "Commande jamais reçue, le suivi ne bouge plus depuis le 2."),
    ("demo-wall-13", 34, ("demo-fb-300113", "Claire Delmas", 84500, True),
     "Trois semaines que j'attends ma commande de la Boutique Air Compris. Colis perdu, service client "
     "injoignable. Je ne suis visiblement pas la seule…"),
    ("demo-wall-14", 32, ("demo-fb-300114", "Bastien Morel", 47, False),
     "Toujours pas reçu mon colis non plus."),
    ("demo-wall-15", 30, ("demo-fb-300115", "Priya Nair", 610, False),
     "Where is my order? Paid 89 euros for a watch and never received it."),
    ("demo-wall-16", 28, ("demo-fb-300116", "Laure Fabre", 119, False),
     "Idem, commande pas reçue. Vous comptez répondre ?"),
    ("demo-wall-17", 26, ("demo-fb-300117", "Yanis Haddad", 260, False),
     "Colis perdu aussi. Je veux être remboursé."),
    ("demo-wall-18", 24, ("demo-fb-300118", "Chantal Weber", 33, False),
     "Toujours pas reçu ma commande passée il y a trois semaines."),
    ("demo-wall-19", 22, ("demo-fb-300119", "Maxime Collet", 402, False),
     "Ma commande Boutique n'est jamais arrivée. Livraison en 48 h, mon œil."),
    ("demo-wall-20", 20, ("demo-fb-300120", "Gwen Le Bihan", 158, False),
     "Pas reçu non plus, et le suivi indique « en cours d'acheminement » depuis 12 jours."),
    ("demo-wall-21", 18, ("demo-fb-300121", "Daniel Ortiz", 97, False),
     "Same, my parcel never arrived. Any news?"),
    ("demo-wall-22", 16, ("demo-fb-300122", "Aurélie Blanc", 275, False),
     "Toujours rien reçu, commande BQ-22310. Où est mon colis ?"),
    ("demo-wall-23", 14, ("demo-fb-300123", "Olivier Santini", 66, False),
     "Colis jamais livré. Je vais faire opposition sur ma carte."),
    ("demo-wall-24", 12, ("demo-fb-300124", "Fanny Guérin", 190, False),
     "Je n'ai pas reçu ma commande non plus, c'est la troisième fois que je relance."),
    ("demo-wall-25", 10, ("demo-fb-300125", "Lucie Barbier", 340, False),
     "Toujours pas reçu ma commande !!!"),
    ("demo-wall-26", 8, ("demo-fb-300126", "Sam Whitfield", 125, False),
     "Where is my parcel? Two weeks and still nothing."),
    ("demo-wall-27", 6, ("demo-fb-300127", "Romain Vidal", 58, False),
     "Commande pas reçue, colis perdu, personne ne répond. Bravo."),
    ("demo-wall-28", 4, ("demo-fb-300128", "Agathe Mercier", 221, False),
     "Toujours pas de nouvelles de mon colis, commande du 1er."),
)

#: the holding statement the supervisor drafted for the wall (the reply templates' variables)
_HOLDING = {
    "fr": "Bonjour {first_name}, nous sommes désolés : une partie des commandes de la Boutique à bord est "
          "retenue chez notre transporteur. Nous suivons chaque colis et revenons vers vous en message privé d'ici "
          "demain avec une date de livraison ou un remboursement.",
    "en": "Hello {first_name}, we are sorry: some in-flight shop orders are held at our carrier. We are "
          "tracking every parcel and will come back to you in a private message by tomorrow with a delivery date or "
          "a refund.",
}


#: the usual traffic of the past week around this hour (what the spike detection compares the wall with): ordinary
#: questions on the Facebook page and on X, each answered by phone and resolved by an agent
_USUAL = (
    ("air-fb", "Bonjour, peut-on choisir son siège gratuitement sur un vol court-courrier ?"),
    ("air-x", "Hi, what's the hand luggage allowance on the basic fare?"),
    ("air-fb", "Est-ce que la Boutique à bord accepte les paiements sans contact ?"),
    ("air-fb", "Merci pour le vol d'hier, équipage au top !"),
    ("air-x", "Can I add a checked bag after booking?"),
    ("air-fb", "Bonjour, mon fils voyage seul à 12 ans, faut-il réserver l'accompagnement ?"),
    ("air-x", "Is there wifi on the Paris to Rome flights?"),
    ("air-fb", "Quels sont les horaires d'ouverture du comptoir à Orly ?"),
    ("air-x", "Do you serve vegetarian meals on the London flights?"),
    ("air-fb", "Peut-on voyager avec un chat en cabine vers Nice ?"),
    ("air-fb", "Bravo pour la ponctualité ce matin sur le Lyon-Nantes."),
    ("air-x", "How early does online check-in open?"),
    ("air-fb", "Bonjour, comment utiliser mes miles pour un surclassement ?"),
    ("air-x", "Lovely crew on AC 214 today, thank you!"),
    ("air-fb", "Les poussettes sont-elles acceptées jusqu'à la porte de l'avion ?"),
    ("air-x", "Is the lounge in Terminal 2 open on Sundays?"),
    ("air-fb", "Faut-il imprimer sa carte d'embarquement ou le téléphone suffit ?"),
    ("air-fb", "Une question : les enfants ont-ils droit à un bagage en soute ?"),
    ("air-x", "Can I change my flight date online without a fee?"),
    ("air-fb", "Superbe accueil à Marseille, merci à l'équipe au sol."),
    ("air-x", "Where do I find my booking reference in the app?"),
)


def _usual_week(demo: _Demo) -> None:
    """Seven days of ordinary messages around this hour (three a day), delivered through the webhook like the
    stories, then answered and resolved: the spike detection's usual level for the wall's hour."""
    runtime = demo.runtime
    ids: list[tuple[str, str]] = []
    for day in range(1, 8):
        for slot, offset in enumerate((-100, -30, 40)):
            k = (day - 1) * 3 + slot
            account_key, text = _USUAL[k]
            message_id = f"demo-usual-{day}-{slot}"
            persona = Persona(id=f"demo-usual-{day}{slot}", name=_USUAL_NAMES[(day * 3 + slot) % len(_USUAL_NAMES)],
                              followers=40 + 37 * slot + day)
            _deliver_post(demo, account_key, persona, text, message_id,
                          now() - timedelta(days=day, minutes=-offset))
            ids.append((account_key, message_id))
    run_pending(runtime.services)
    for account_key, message_id in ids:
        _resolve(demo, {"account": account_key, "message": message_id, "by": "agent-fr",
                        "note": "Répondu par téléphone."})


_USUAL_NAMES = ("Hélène Moreau", "Paul Girard", "Alice Fournier", "David Lambert", "Nora Chevalier", "Jack Doyle",
                "Léo Rousseau", "Emma Clarke", "Samia Kaci", "Victor Brun")


def _deliver_post(demo: _Demo, account_key: str, persona: Persona, text: str, message_id: str,
                  at: datetime) -> None:
    """A customer's public post on the sandbox network at ``at``, delivered to Compris's webhook (jobs not run)."""
    account = demo.accounts[account_key]
    try:
        body = demo.network.customer_message(account.external_id, persona, "post", text, created_at=at,
                                             message_id=message_id, deliver=False).body
    except NetworkError as exc:
        if exc.status != 409:
            raise
        stored = demo.network.store.delivery_for_message(message_id)
        assert stored is not None
        body = stored.body
    request = WebhookRequest(method="POST", query={}, body=body, headers={
        "content-type": "application/json", "x-sandbox-signature": sign(demo.secrets[account_key], body)})
    runtime = demo.runtime
    receive(runtime.db, runtime.publisher, runtime.settings.secret_key, account.id, request)


def _deliver_comments(demo: _Demo, account_key: str, post_id: str,
                      comments: tuple[tuple[str, int, tuple[str, str, int, bool], str], ...]) -> None:
    """Customers' comments under a post of the sandbox network, each delivered to Compris's webhook as it would be
    (signed, one delivery per comment); the pipeline's jobs run once they are all in."""
    account = demo.accounts[account_key]
    runtime = demo.runtime
    for message_id, minutes_ago, (persona_id, name, followers, verified), text in comments:
        persona = Persona(id=persona_id, name=name, followers=followers, verified=verified)
        try:
            body = demo.network.customer_message(account.external_id, persona, "comment", text, thread_id=post_id,
                                                 created_at=now() - timedelta(minutes=minutes_ago),
                                                 message_id=message_id, deliver=False).body
        except NetworkError as exc:
            if exc.status != 409:
                raise
            stored = demo.network.store.delivery_for_message(message_id)
            assert stored is not None
            body = stored.body
        request = WebhookRequest(method="POST", query={}, body=body, headers={
            "content-type": "application/json", "x-sandbox-signature": sign(demo.secrets[account_key], body)})
        receive(runtime.db, runtime.publisher, runtime.settings.secret_key, account.id, request)
    run_pending(runtime.services)


def _listening_pass(demo: _Demo) -> None:
    """What the periodic listening jobs would do within the next minute, done now: the clustering pass over the
    messages received (the stories' and the wall's), then the spike check."""
    from compris.listening import alerts, clusters

    runtime = demo.runtime
    run_pending(runtime.services)
    clusters.run_clustering(runtime.db, runtime.publisher)
    with runtime.db.transaction() as session:
        alerts.check_spikes(session, runtime.publisher, demo.workspace_id, now())
    run_pending(runtime.services)


def _open_wall_incident(demo: _Demo) -> None:
    """The supervisor opens what listening detected of the wall (its volume spike, else the cluster that holds it) as
    a suspected incident, with its cases linked and the holding statement drafted in French and English (not sent:
    the demo's visitor confirms the incident and sends it)."""
    from compris.listening import incidents

    runtime = demo.runtime
    with runtime.db.transaction() as session:
        wall_cases = set(session.scalars(
            select(Message.case_id).where(Message.workspace_id == demo.workspace_id,
                                          Message.platform_message_id.in_([w[0] for w in _WALL]))))
        alert = _wall_alert(session, demo.workspace_id, wall_cases, demo.accounts["air-fb"].id)
        if alert is None:
            log.warning("demo: listening raised no alert for the parcel wall; no incident opened")
            return
        post_id = session.scalar(select(Post.id).where(Post.channel_account_id == demo.accounts["air-fb"].id,
                                                      Post.platform_post_id == _BOUTIQUE_POST))
        # the morning's comments under the shop's post belong to it too (the inbox's "comments on this post")
        under_post = {row.case.id for row in list_cases(
            session, demo.workspace_id, demo.users["supervisor"],
            InboxFilter(status="all", post_id=post_id, limit=200))} if post_id is not None else set()
        supervisor = session.get(User, demo.users["supervisor"])
        assert supervisor is not None
        draft = incidents.draft_from_alert(session, demo.workspace_id, alert.id)
        match = {key: list(values) for key, values in draft.match.items()}
        cluster_id = _wall_cluster(session, wall_cases)
        if cluster_id is not None and cluster_id not in match["cluster_ids"]:  # the wall's subject, as a rule
            clustered = incidents.draft_from_cluster(session, demo.workspace_id, cluster_id)
            match["cluster_ids"].append(cluster_id)
            match["keywords"] = list(dict.fromkeys([*match["keywords"], *clustered.match["keywords"]]))
        incidents.open_incident(
            session, runtime.publisher, actor=supervisor,
            name="Colis de la Boutique non livrés / Undelivered shop parcels",
            description="Depuis ce matin, des dizaines de clients commentent la publication de la Boutique : commandes "
                        "jamais reçues, suivi bloqué. À vérifier avec le transporteur.",
            match=match, statements=_HOLDING, case_ids=sorted({*draft.case_ids, *wall_cases, *under_post}),
            alert_id=alert.id if alert.incident_id is None else None,
        )
        # and tags them, as a team does to find them again and to count them in the reports ("By tag")
        from compris.inbox.actions.tags import tag_case

        for case in session.scalars(select(Case).where(Case.id.in_(wall_cases)).order_by(Case.number)):
            tag_case(session, runtime.publisher, actor=supervisor, case=case, add=["Colis perdu"])


def _wall_cluster(session: Session, wall_cases: set[int]) -> int | None:
    """The cluster holding most of the wall's cases."""
    row = session.execute(select(ClusterMember.cluster_id, func.count()).where(ClusterMember.case_id.in_(wall_cases))
                          .group_by(ClusterMember.cluster_id).order_by(func.count().desc()).limit(1)).first()
    return int(row[0]) if row is not None else None


def _wall_alert(session: Session, workspace_id: int, wall_cases: set[int], account_id: int) -> Alert | None:
    """The alert listening raised about the wall: the volume spike on the page's account (or on all channels) in
    the last hour, else the alert of the cluster holding most of the wall's cases."""
    since = now() - timedelta(hours=1)
    spikes = [a for a in session.scalars(select(Alert).where(Alert.workspace_id == workspace_id,
                                                             Alert.kind == AlertKind.SPIKE,
                                                             Alert.created_at >= since).order_by(Alert.id))
              if (a.data or {}).get("scope") in (f"account:{account_id}", "all")
              or any(str(s.get("scope")) in (f"account:{account_id}", "all")
                     for s in (a.data or {}).get("scopes", []) if isinstance(s, dict))]
    if spikes:
        return spikes[-1]
    cluster_id = _wall_cluster(session, wall_cases)
    if cluster_id is None:
        return None
    return session.scalar(select(Alert).where(Alert.workspace_id == workspace_id, Alert.kind == AlertKind.CLUSTER,
                                              Alert.cluster_id == cluster_id).order_by(Alert.id.desc()).limit(1))


# --- analytics (issue 15): weeks of history behind the dashboard -------------------------------------------------


def _history_demo(demo: _Demo) -> None:
    """Eight weeks of past activity behind the analytics dashboard, generated from a fixed seed.

    Two teams (French, English) and a one-hour first-response SLA are set up through their actions; the past
    cases are then written row by row exactly as the actions write them (the actions stamp the present, and
    replaying some 500 cases through the pipeline would take minutes): the customers' messages with their triage,
    the routing and assignments (transfers and reassignments too), the agents' replies through the outbox with
    their ``reply_queued`` / ``reply_sent`` rows (one failed attempt then retried now and then), resolutions,
    reopenings, escalations to the refunds team, satisfaction surveys (sent, answered, skipped) and expected-wait
    predictions. The SLA is then computed by the SLA's own code from those timelines (breaches recorded once, as
    the SLA pass does), and the analytics rollups are rebuilt from the raw rows. Cases are numbered after the
    stories' (#1..#36 stay as the docs cite them); the history ends where today's stories begin."""
    runtime = demo.runtime
    with runtime.db.transaction() as session:
        if session.scalar(select(Message.id).where(Message.workspace_id == demo.workspace_id,
                                                   Message.platform_message_id == f"{HISTORY_PREFIX}1-0")):
            return
        setup = _history_setup(session, demo)
        first_story = session.scalar(select(func.min(Message.sent_at)).where(
            Message.workspace_id == demo.workspace_id, Message.direction == "inbound"))
        end = now() - timedelta(minutes=2)
        start_stories = min(first_story or end, end)
        plans = _HistoryPlanner(random.Random(HISTORY_SEED), end, start_stories).plan()
        _write_history(session, demo, setup, plans, end)
        _history_presence(session, demo, end)
    _rebuild_analytics(demo)


def _history_presence(session: Session, demo: _Demo, end: datetime) -> None:
    """The history's time online, as the minute sampling leaves it: each agent online on its working days (not its
    day off), a shift of about eight hours (the French team early, the English desk later) with a half-hour
    break; the rebuild then sums the minutes per day."""
    from compris.models import AgentOnline

    rng = random.Random(HISTORY_SEED + 1)
    first = end.astimezone(HISTORY_TZ).date() - timedelta(days=HISTORY_DAYS)
    rows = []
    for _team, language, members in HISTORY_TEAMS:
        for key in members:
            day_off = HISTORY_AGENTS[key][0]
            for d in range(HISTORY_DAYS):
                day = first + timedelta(days=d)
                if day.weekday() == day_off:
                    continue
                begin = datetime.combine(day, time(8 if language == "fr" else 11), HISTORY_TZ).astimezone(UTC) \
                    + timedelta(minutes=rng.randint(-20, 20))
                pause = rng.randint(200, 280)
                rows += [{"workspace_id": demo.workspace_id, "user_id": demo.users[key],
                          "minute": begin + timedelta(minutes=m)}
                         for m in range(480 + rng.randint(-15, 15)) if not pause <= m < pause + 30
                         and begin + timedelta(minutes=m) < end]
    session.execute(insert(AgentOnline), rows)


HISTORY_SEED = 1515
HISTORY_DAYS = 56  # eight weeks
HISTORY_PREFIX = "demo-hist-"
HISTORY_TZ = ZoneInfo("Europe/Paris")
#: cases a day on an ordinary weekday (before the weekday and strike factors)
HISTORY_DAILY = 9.0
#: Monday..Sunday: more on Mondays, half on weekends
HISTORY_WEEKDAYS = (1.3, 1.1, 1.0, 1.0, 1.05, 0.55, 0.5)
#: by local hour: quiet at night, peaks late morning and early evening
HISTORY_HOURS = (1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.6, 4.0, 5.0, 5.6, 5.6, 5.0, 4.5, 4.4, 4.4, 4.6, 5.0,
                 5.6, 5.2, 4.2, 3.2, 2.3, 1.6)
#: the days (counted back from today) of a cabin-crew strike: twice the volume, cancellations and delays
HISTORY_STRIKE = (23, 22, 21)
#: account key, weight, share of private messages, share of French
HISTORY_ACCOUNTS: tuple[tuple[str, int, float, float], ...] = (
    ("air-x", 22, 0.2, 0.45), ("air-fb", 15, 0.4, 0.6), ("air-wa", 13, 1.0, 0.55), ("hotel-fb", 10, 0.3, 0.7),
    ("hotel-ig", 9, 0.3, 0.6), ("air-vk", 3, 0.5, 0.1), ("air-tg", 5, 1.0, 0.5), ("air-bsky", 4, 0.0, 0.4),
    ("hotel-masto", 3, 0.0, 0.9), ("hotel-google", 6, 0.0, 0.5), ("hotel-ta", 5, 0.0, 0.5),
)
HISTORY_REVIEWS = ("hotel-google", "hotel-ta")
HISTORY_INTENTS = (("complaint", 34), ("question", 32), ("request", 12), ("praise", 10), ("spam", 5), ("other", 7))
HISTORY_SENTIMENTS: dict[str, tuple[tuple[str, int], ...]] = {
    "complaint": (("negative", 85), ("neutral", 15)),
    "question": (("neutral", 70), ("negative", 20), ("positive", 10)),
    "request": (("neutral", 75), ("negative", 15), ("positive", 10)),
    "praise": (("positive", 95), ("neutral", 5)),
    "spam": (("positive", 50), ("neutral", 50)),
    "other": (("neutral", 60), ("positive", 20), ("negative", 20)),
}
HISTORY_TOPICS = {"air": ("delay", "cancellation", "baggage", "booking/payment", "refund", "customer service",
                          "staff", "other"),
                  "hotel": ("booking/payment", "refund", "staff", "customer service", "product quality", "other")}
#: what customers write, by language and topic (praise and spam apart)
HISTORY_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "delay": ("Vol retardé de trois heures et aucune information à la porte, c'est normal ?",
                  "Encore un retard ce matin, j'ai raté ma correspondance. Que proposez-vous ?"),
        "cancellation": ("Mon vol a été annulé hier soir, comment être replacé au plus vite ?",
                         "Vol annulé pour cause de grève : ai-je droit à un remboursement ?"),
        "baggage": ("Ma valise n'est pas arrivée à Nice, le numéro de dossier ne donne rien.",
                    "Bagage abîmé à l'arrivée, poignée arrachée. Comment faire une réclamation ?"),
        "booking/payment": ("J'ai été débité deux fois pour la même réservation.",
                            "Impossible de modifier ma réservation sur le site, le paiement échoue."),
        "refund": ("J'attends toujours le remboursement promis il y a trois semaines.",
                   "Pouvez-vous me confirmer la date du remboursement de mon billet ?"),
        "customer service": ("Une heure d'attente au téléphone sans réponse, vraiment décevant.",
                             "Personne ne répond à mes mails depuis une semaine."),
        "staff": ("Accueil très désagréable à l'enregistrement ce matin.",
                  "Je voudrais signaler le comportement d'un membre du personnel."),
        "product quality": ("Chambre bruyante et climatisation en panne toute la nuit.",
                            "Le petit-déjeuner n'était plus servi à 9 h 30, dommage."),
        "other": ("Bonjour, une petite question sur vos horaires d'été.",
                  "Est-ce que les animaux sont acceptés ?"),
        "praise": ("Merci à l'équipe, service impeccable du début à la fin !",
                   "Séjour parfait, personnel adorable. Bravo !"),
        "spam": ("Gagnez 500 € par jour depuis chez vous, cliquez ici !!!",),
    },
    "en": {
        "delay": ("Three hours late and no information at the gate, is this normal?",
                  "Delayed again this morning and I missed my connection. What now?"),
        "cancellation": ("My flight was cancelled last night, how do I get rebooked quickly?",
                         "Flight cancelled because of the strike: am I entitled to a refund?"),
        "baggage": ("My suitcase never arrived in Nice and the file reference shows nothing.",
                    "My bag arrived damaged, the handle torn off. How do I claim?"),
        "booking/payment": ("I was charged twice for the same booking.",
                            "I can't change my booking on the website, the payment keeps failing."),
        "refund": ("Still waiting for the refund you promised three weeks ago.",
                   "Can you confirm when my ticket refund will arrive?"),
        "customer service": ("An hour on hold and nobody answered. Really disappointing.",
                             "Nobody has answered my emails for a week."),
        "staff": ("Very rude welcome at check-in this morning.",
                  "I'd like to report the behaviour of one of your staff."),
        "product quality": ("Noisy room and the air conditioning broken all night.",
                            "Breakfast was already over at 9:30, a pity."),
        "other": ("Hi, a quick question about your summer timetable.",
                  "Are pets allowed?"),
        "praise": ("Thanks to the crew, flawless service from start to finish!",
                   "Perfect stay, lovely staff. Well done!"),
        "spam": ("Earn $500 a day from home, click here!!!",),
    },
}
HISTORY_FOLLOW_UPS = {"fr": ("Merci, mais je n'ai toujours rien reçu.", "D'accord, voici mon numéro de dossier.",
                             "Toujours pas de nouvelles…"),
                      "en": ("Thanks, but I still haven't received anything.", "OK, here is my booking reference.",
                             "Still no news…")}
HISTORY_REPLIES = {"fr": ("Bonjour, nous sommes désolés pour ce désagrément. Pouvez-vous nous écrire en privé votre "
                          "numéro de réservation ? Nous regardons tout de suite.",
                          "Merci pour votre message ! C'est noté, nous revenons vers vous rapidement.",
                          "C'est fait de notre côté : vous recevrez une confirmation par e-mail."),
                   "en": ("Hi, we're sorry about this. Could you send us your booking reference privately? We're "
                          "looking into it right away.",
                          "Thanks for your message! Noted, we'll get back to you shortly.",
                          "All done on our side: you'll get a confirmation by e-mail.")}
HISTORY_NAMES = {
    "fr": (("Camille", "Louis", "Manon", "Hugo", "Chloé", "Arthur", "Inès", "Jules", "Léa", "Nathan", "Zoé",
            "Théo", "Lucie", "Gabriel", "Élise", "Mathis"),
           ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux", "Fournier", "Morel",
            "Mercier", "Blanc", "Guérin", "Faure")),
    "en": (("Olivia", "Jack", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Grace", "Oscar",
            "Ruby", "Arthur", "Ella", "Finn"),
           ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Walker", "Wright", "Hughes",
            "Clarke", "Hall", "Green", "Wood")),
}
HISTORY_TEAMS = (("Équipe FR", "fr", ("agent-fr", "agent-fr-2")), ("English desk", "en", ("agent-en", "agent-en-2")))
#: the agents' day off (Monday = 0) and share of their team's cases
HISTORY_AGENTS = {"agent-fr": (6, 55), "agent-fr-2": (2, 45), "agent-en": (5, 50), "agent-en-2": (3, 50)}
HISTORY_SLA = "Standard (1 h first response)"
HISTORY_REFUNDS = "Refunds"


@dataclass
class _HMsg:
    """One message of a planned case (``agent``: who wrote an outbound one; ``origin``: agent / survey)."""

    at: datetime  # inbound: received; outbound: queued
    inbound: bool
    text: str
    private: bool
    agent: str | None = None
    sent_at: datetime | None = None
    origin: str = "agent"
    reply_to: int | None = None  # index of the message answered
    triage: dict[str, Any] | None = None
    rating: int | None = None
    claimed: str | None = None  # a survey's rating or comment
    failed_at: datetime | None = None  # a first send attempt that failed (retried at ``sent_at``)
    by_hand: bool = False  # a Tripadvisor answer, posted by hand


@dataclass
class _HRow:
    """One timeline row; ``message`` / ``survey``: indexes resolved to ids when written."""

    at: datetime
    kind: str
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    message: int | None = None
    survey: int | None = None
    escalation: bool = False


@dataclass
class _HSurvey:
    cycle: int
    resolved_at: datetime
    agent: str | None
    team: str
    state: str = "scheduled"
    skip_reason: str | None = None
    message: int | None = None
    rating: int | None = None
    answered_at: datetime | None = None
    via: str | None = None
    rating_message: int | None = None
    comment: str | None = None
    comment_message: int | None = None


@dataclass
class _HEscalation:
    at: datetime
    agent: str
    due_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    overdue: bool


@dataclass
class _HCase:
    """A planned case: its customer, where they wrote, what triage said, and its life in order."""

    n: int
    account: str
    language: str
    private: bool
    intent: str
    sentiment: str
    topic: str
    name: str
    opened_at: datetime
    team: str
    messages: list[_HMsg] = field(default_factory=list)
    rows: list[_HRow] = field(default_factory=list)
    surveys: list[_HSurvey] = field(default_factory=list)
    escalation: _HEscalation | None = None
    predicted_s: int | None = None
    status: str = "new"
    assignee: str | None = None
    resolved_at: datetime | None = None


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int | float]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


class _HistoryPlanner:
    """Plans the history's cases (pure: a seeded random generator, the end, no database)."""

    def __init__(self, rng: random.Random, end: datetime, stories_start: datetime) -> None:
        self.rng = rng
        self.end = end
        self.stories_start = stories_start

    # -- the agents' working hours (Europe/Paris): weekdays 07:00-22:00, weekends 09:00-19:00 --

    @staticmethod
    def _shift(day: date) -> tuple[datetime, datetime]:
        opens, closes = (7, 22) if day.weekday() < 5 else (9, 19)
        return (datetime.combine(day, time(opens), HISTORY_TZ).astimezone(UTC),
                datetime.combine(day, time(closes), HISTORY_TZ).astimezone(UTC))

    def _work_time(self, t: datetime, median_minutes: float, sigma: float = 0.8) -> datetime:
        """When an agent acts on something that arrived at ``t``: soon during the shift, else the next one."""
        delay = timedelta(minutes=self.rng.lognormvariate(math.log(median_minutes), sigma))
        day = t.astimezone(HISTORY_TZ).date()
        for _ in range(4):
            opens, closes = self._shift(day)
            if t < closes:
                at = max(t, opens) + (delay if t >= opens else delay / 2)
                if at < closes + timedelta(minutes=30):
                    return at
            day += timedelta(days=1)
        return t + delay

    def _agent(self, team: str, at: datetime, besides: str | None = None) -> str:
        members = next(m for name, _, m in HISTORY_TEAMS if name == team)
        weekday = at.astimezone(HISTORY_TZ).weekday()
        present = [a for a in members if HISTORY_AGENTS[a][0] != weekday and a != besides] or \
            [a for a in members if a != besides] or list(members)
        return self.rng.choices(present, weights=[HISTORY_AGENTS[a][1] for a in present])[0]

    # -- arrivals --

    def plan(self) -> list[_HCase]:
        cases: list[_HCase] = []
        today = self.end.astimezone(HISTORY_TZ).date()
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - timedelta(days=back)
            factor = HISTORY_WEEKDAYS[day.weekday()] * (1.0 + 0.15 * (HISTORY_DAYS - back) / HISTORY_DAYS)
            strike = back in HISTORY_STRIKE
            count = round(HISTORY_DAILY * factor * (1.9 if strike else 1.0) * self.rng.uniform(0.8, 1.2))
            for _ in range(count):
                hour = self.rng.choices(range(24), weights=HISTORY_HOURS)[0]
                local = datetime.combine(day, time(hour), HISTORY_TZ) + timedelta(seconds=self.rng.randrange(3600))
                at = local.astimezone(UTC)
                if at >= self.stories_start - timedelta(minutes=30):
                    continue  # today's stories take over from here
                cases.append(self._case(len(cases) + 1, at, strike))
        cases.sort(key=lambda c: c.opened_at)
        for n, case in enumerate(cases, start=1):
            case.n = n
        return cases

    def _case(self, n: int, at: datetime, strike: bool) -> _HCase:
        rng = self.rng
        account, _, private_share, french = rng.choices(HISTORY_ACCOUNTS, weights=[a[1] for a in HISTORY_ACCOUNTS])[0]
        review = account in HISTORY_REVIEWS
        language = "fr" if rng.random() < french else "en"
        brand = "hotel" if account.startswith("hotel") else "air"
        intent = _pick(rng, HISTORY_INTENTS)
        if review and intent in ("spam", "request"):
            intent = "complaint"
        topic = rng.choice(HISTORY_TOPICS[brand])
        if strike and brand == "air" and rng.random() < 0.7:
            intent, topic = "complaint", rng.choice(("cancellation", "delay"))
        sentiment = _pick(rng, HISTORY_SENTIMENTS[intent])
        first, last = HISTORY_NAMES[language]
        team = next(name for name, lang, _ in HISTORY_TEAMS if lang == language)
        case = _HCase(n=n, account=account, language=language, private=rng.random() < private_share,
                      intent=intent, sentiment=sentiment, topic=topic, name=f"{rng.choice(first)} {rng.choice(last)}",
                      opened_at=at, team=team)
        self._life(case, review)
        return case

    # -- a case's life --

    def _triage(self, case: _HCase, text: str) -> dict[str, Any]:
        rng = self.rng
        priority = {"complaint": 35, "question": 15, "request": 12, "praise": 3, "spam": 0, "other": 8}[case.intent]
        priority += {"negative": 12, "neutral": 0, "positive": -2}[case.sentiment] + rng.randrange(0, 12)
        followers = int(rng.lognormvariate(5, 1.6))
        return {"language": case.language, "language_confidence": round(rng.uniform(0.85, 0.99), 4),
                "sentiment": case.sentiment, "sentiment_confidence": round(rng.uniform(0.6, 0.95), 4),
                "intent": case.intent, "intent_confidence": round(rng.uniform(0.6, 0.95), 4),
                "topic": case.topic, "topic_confidence": round(rng.uniform(0.4, 0.9), 4),
                "urgency": "high" if priority > 50 else "low" if priority < 10 else "normal",
                "urgency_reasons": [], "personal_data": [],
                "reach": {"followers": followers, "verified": False, "promoted": False, "reshares": 0},
                "priority": max(0, priority), "reasons": [case.intent, case.sentiment], "path": "fast", "notes": []}

    def _inbound(self, case: _HCase, at: datetime, text: str, private: bool | None = None) -> int:
        review = case.account in HISTORY_REVIEWS
        rating = None
        if review and not case.messages:
            rating = {"negative": self.rng.choice((1, 2, 2, 3)), "neutral": self.rng.choice((3, 4)),
                      "positive": self.rng.choice((4, 5, 5))}[case.sentiment]
        case.messages.append(_HMsg(at=at, inbound=True, text=text, private=case.private if private is None else private,
                                   triage=self._triage(case, text), rating=rating))
        index = len(case.messages) - 1
        case.rows.append(_HRow(at, "message_received", message=index,
                               data={"visibility": "private" if case.messages[index].private else "public",
                                     "network": "sandbox"}))
        return index

    def _status(self, case: _HCase, at: datetime, to: str, actor: str | None, reason: str | None = None) -> None:
        previous = case.status
        if previous == to:
            return
        data: dict[str, Any] = {"from_status": previous, "to_status": to}
        if reason:
            data["reason"] = reason
        kind = ("resolved" if to == "resolved" else "closed" if to == "closed"
                else "reopened" if previous in ("resolved", "closed") else "status_changed")
        case.rows.append(_HRow(at, kind, actor, data))
        case.status = to
        case.resolved_at = at if to == "resolved" else case.resolved_at if to == "closed" else None

    def _assign(self, case: _HCase, at: datetime, agent: str, actor: str | None, reason: str | None = None) -> None:
        if case.assignee == agent:
            return
        data: dict[str, Any] = {"assignee_id": agent, "previous_assignee_id": case.assignee}
        if reason:
            data["reason"] = reason
        case.rows.append(_HRow(at, "assigned", actor, data))
        case.assignee = agent

    def _reply(self, case: _HCase, at: datetime, agent: str, answering: int, text: str) -> datetime:
        """An agent's reply, queued at ``at``; returns when it went out."""
        self._assign(case, at, agent, agent)
        if case.status == "new":
            self._status(case, at, "open", agent, "replied")
        sent = at + timedelta(seconds=self.rng.uniform(0.8, 4.0))
        failed = None
        if self.rng.random() < 0.03:  # the network refused the first attempt; the outbox tried again
            failed, sent = sent, sent + timedelta(seconds=30 + self.rng.uniform(0, 5))
        review = case.account in HISTORY_REVIEWS
        by_hand = case.account == "hotel-ta"
        if by_hand:  # no API for Tripadvisor's answers: posted by hand a little later
            sent = at + timedelta(minutes=self.rng.uniform(2, 10))
        target = case.messages[answering]
        case.messages.append(_HMsg(at=at, inbound=False, text=text, private=target.private and not review,
                                   agent=agent, sent_at=sent, reply_to=answering, failed_at=failed, by_hand=by_hand))
        index = len(case.messages) - 1
        case.rows.append(_HRow(at, "reply_queued", agent, {"visibility": "private" if target.private else "public"},
                               message=index))
        if failed is not None:
            case.rows.append(_HRow(failed, "reply_retrying", None,
                                   {"attempt": 1, "reason": "503: the network is temporarily unavailable",
                                    "retry_in_seconds": 30.0}, message=index))
        if by_hand:
            case.rows.append(_HRow(sent, "reply_sent", agent, {"attempt": 0, "platform_message_id": None,
                                                               "posted_by_hand": True}, message=index))
        else:
            case.rows.append(_HRow(sent, "reply_sent", None, {"attempt": 2 if failed else 1}, message=index))
        return sent

    def _life(self, case: _HCase, review: bool) -> None:
        rng = self.rng
        lang = case.language
        t0 = case.opened_at
        texts = HISTORY_TEXTS[lang]
        text = rng.choice(texts.get(case.intent if case.intent in ("praise", "spam") else case.topic, texts["other"]))
        case.rows.append(_HRow(t0, "opened", data={}))
        first = self._inbound(case, t0, text)
        case.predicted_s = int(rng.choice((15, 20, 30, 45, 60, 90)) * 60)
        # routing: the team of the message's language (one in fifteen lands on the wrong desk, and is transferred)
        wrong = rng.random() < 1 / 15 and case.intent != "spam"
        team = case.team if not wrong else next(n for n, lang_, _ in HISTORY_TEAMS if lang_ != lang)
        case.rows.append(_HRow(t0, "routed", data={"team_id": team}))
        auto = rng.random() < 0.6
        if auto:
            self._assign(case, t0 + timedelta(seconds=1), self._agent(team, t0), None, "routing")
        if case.intent == "spam":
            at = self._work_time(t0, 40)
            who = case.assignee or self._agent(team, at)
            self._assign(case, at, who, who)
            self._status(case, at + timedelta(seconds=20), "closed", who, "spam")
            return
        roll = rng.random()
        if roll < 0.025 or (case.intent == "praise" and roll < 0.5):
            # never answered: a praise liked and resolved, or a message lost in the backlog (closed by the
            # supervisor's clean-up a week or so later)
            if case.intent == "praise":
                at = self._work_time(t0, 60)
                who = case.assignee or self._agent(team, at)
                self._assign(case, at, who, who)
                self._status(case, at + timedelta(seconds=5), "resolved", who)
                self._survey(case, 1, at + timedelta(seconds=5), who, answered=False)
            else:
                at = self._work_time(t0 + timedelta(days=rng.uniform(5, 10)), 30)
                self._status(case, at, "closed", "supervisor", "no answer needed any more")
            return
        pick = self._work_time(t0, 28 if not review else 240, 0.9 if not review else 0.7)
        if wrong:  # the wrong desk's agent hands it over to the right team; routing gives it to one of them
            wrong_agent = case.assignee or self._agent(team, pick)
            self._assign(case, pick, wrong_agent, wrong_agent)
            handed = pick + timedelta(minutes=rng.uniform(1, 6))
            case.rows.append(_HRow(handed, "transferred", wrong_agent,
                                   {"team_id": case.team, "previous_team_id": team}))
            self._assign(case, handed + timedelta(seconds=1), self._agent(case.team, handed), None, "routing")
            pick = self._work_time(handed, 20)
        elif case.assignee is not None and rng.random() < 0.07:  # the supervisor rebalances the queue
            moved = self._agent(case.team, pick, besides=case.assignee)
            self._assign(case, pick - timedelta(minutes=rng.uniform(2, 10)), moved, "supervisor", "rebalanced")
        agent = case.assignee or self._agent(case.team, pick)
        reply_texts = HISTORY_REPLIES[lang]
        sent = self._reply(case, pick, agent, first, rng.choice(reply_texts))
        last_in = first
        if case.topic == "refund" and case.intent == "complaint" and rng.random() < 0.35:
            sent = self._escalate(case, sent, agent)
        for _ in range(2):  # the customer writes again, the agent answers again
            if rng.random() > (0.4 if last_in == first else 0.3):
                break
            back = sent + timedelta(minutes=rng.lognormvariate(math.log(90), 1.0))
            last_in = self._inbound(case, back, rng.choice(HISTORY_FOLLOW_UPS[lang]), private=True)
            if case.status == "waiting_customer":
                self._status(case, back, "open", None, "the customer wrote")
            agent = case.assignee or agent
            sent = self._reply(case, self._work_time(back, 30), agent, last_in, rng.choice(reply_texts))
        if rng.random() < 0.2:  # waits on the customer a day, then resolved
            self._status(case, sent + timedelta(minutes=1), "waiting_customer", agent)
            done = self._work_time(sent + timedelta(hours=rng.uniform(20, 30)), 20)
        else:
            done = sent + timedelta(minutes=rng.lognormvariate(math.log(12), 0.8))
        self._status(case, done, "resolved", agent)
        self._survey(case, 1, done, agent, answered=True)
        if rng.random() < 0.07:  # the customer comes back days later: reopened, answered, resolved again
            back = done + timedelta(hours=rng.uniform(20, 96))
            again = self._inbound(case, back, rng.choice(HISTORY_FOLLOW_UPS[lang]), private=True)
            self._status(case, back, "open", None, "new message from the customer")
            for survey in case.surveys:
                if survey.state == "scheduled" and survey.resolved_at + timedelta(hours=1) > back:
                    survey.state = "cancelled"
            sent = self._reply(case, self._work_time(back, 45), case.assignee or agent, again,
                               rng.choice(reply_texts))
            done = sent + timedelta(minutes=rng.lognormvariate(math.log(15), 0.8))
            self._status(case, done, "resolved", case.assignee or agent)
            self._survey(case, 2, done, case.assignee or agent, answered=True)

    def _escalate(self, case: _HCase, sent: datetime, agent: str) -> datetime:
        """The refunds team is asked; it answers (one late), the agent closes the escalation and tells the
        customer. Returns when that reply went out."""
        rng = self.rng
        at = sent + timedelta(minutes=rng.uniform(2, 8))
        due = at + timedelta(hours=24)
        overdue = rng.random() < 0.3
        answered = due + timedelta(hours=rng.uniform(2, 10)) if overdue else at + timedelta(hours=rng.uniform(3, 20))
        closed = self._work_time(answered, 25)
        case.escalation = _HEscalation(at=at, agent=agent, due_at=due, answered_at=answered, closed_at=closed,
                                       overdue=overdue)
        case.rows.append(_HRow(at, "escalated", agent, {"partner": HISTORY_REFUNDS, "partner_kind": "team",
                                                        "due_at": due.isoformat(), "personal_data": False,
                                                        "messages": 1, "attachments": 0}, escalation=True))
        self._status(case, at, "waiting_partner", agent, f"escalated to {HISTORY_REFUNDS}")
        if overdue:
            case.rows.append(_HRow(due, "escalation_overdue", None, {"partner": HISTORY_REFUNDS,
                                                                     "due_at": due.isoformat()}, escalation=True))
        case.rows.append(_HRow(answered, "escalation_answered", None, {"partner": HISTORY_REFUNDS,
                                                                       "outcome": "done", "via": "portal"},
                               escalation=True))
        case.rows.append(_HRow(closed, "escalation_closed", agent, {"partner": HISTORY_REFUNDS,
                                                                    "outcome": "resolved"}, escalation=True))
        self._status(case, closed, "open", agent, f"escalation to {HISTORY_REFUNDS} closed")
        texts = {"fr": "Bonne nouvelle : le service remboursements a validé votre remboursement.",
                 "en": "Good news: our refunds team has approved your refund."}
        return self._reply(case, closed + timedelta(minutes=2), agent, 0,
                           texts[case.language])

    def _survey(self, case: _HCase, cycle: int, resolved: datetime, agent: str | None, *, answered: bool) -> None:
        """The survey of one resolution: skipped by a rule, or sent an hour later, and answered by about half."""
        rng = self.rng
        survey = _HSurvey(cycle=cycle, resolved_at=resolved, agent=agent, team=case.team)
        case.surveys.append(survey)
        index = len(case.surveys) - 1
        replied = any(not m.inbound and m.origin == "agent" for m in case.messages)
        if not replied:
            survey.state, survey.skip_reason = "skipped", "no_reply"
        elif cycle > 1:
            survey.state, survey.skip_reason = "skipped", "recently_surveyed"
        elif case.account in HISTORY_REVIEWS or (not case.private and case.account in ("air-bsky", "hotel-masto")):
            survey.state, survey.skip_reason = "skipped", "public_only"
        if survey.state == "skipped":
            case.rows.append(_HRow(resolved, "survey_skipped", None, {"reason": survey.skip_reason}, survey=index))
            return
        send = resolved + timedelta(hours=1)
        questions = {"fr": "Comment évalueriez-vous notre réponse ? Répondez de 1 à 5.",
                     "en": "How would you rate our answer? Reply from 1 to 5."}
        case.messages.append(_HMsg(at=send, inbound=False, text=questions[case.language], private=True,
                                   sent_at=send + timedelta(seconds=1), origin="survey"))
        survey.message = len(case.messages) - 1
        survey.state = "sent"
        case.rows.append(_HRow(send, "reply_queued", None, {"visibility": "private", "origin": "survey"},
                               message=survey.message))
        case.rows.append(_HRow(send, "survey_sent", None, {"language": case.language, "network": "sandbox"},
                               message=survey.message, survey=index))
        case.rows.append(_HRow(send + timedelta(seconds=1), "reply_sent", None, {"attempt": 1},
                               message=survey.message))
        if not answered or rng.random() > 0.5:
            return
        first_in = case.messages[0].at
        first_out = next((m.sent_at for m in case.messages if not m.inbound and m.origin == "agent"), None)
        waited = (first_out - first_in) if first_out else timedelta(days=1)
        if waited <= timedelta(hours=1):
            weights = (3, 4, 8, 30, 55)
        elif waited <= timedelta(hours=4):
            weights = (5, 10, 20, 35, 30)
        else:
            weights = (15, 20, 28, 25, 12)
        rating = rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
        at = send + timedelta(minutes=rng.lognormvariate(math.log(25), 1.0))
        via = "text" if rng.random() < 0.6 else "button"
        case.messages.append(_HMsg(at=at, inbound=True, text=str(rating), private=True, claimed="rating"))
        survey.rating_message = len(case.messages) - 1
        survey.state, survey.rating, survey.answered_at, survey.via = "answered", rating, at, via
        case.rows.append(_HRow(at, "message_received", message=survey.rating_message,
                               data={"visibility": "private", "network": "sandbox"}))
        case.rows.append(_HRow(at, "survey_answered", None, {"rating": rating, "via": via,
                                                             "score": (rating - 1) * 25, "scale": "stars5"},
                               message=survey.rating_message, survey=index))
        if rating <= 2 or rng.random() < 0.2:
            thanks = {"fr": "Merci ! Voulez-vous nous en dire plus ?", "en": "Thank you! Anything to add?"}
            ask = at + timedelta(seconds=2)
            case.messages.append(_HMsg(at=ask, inbound=False, text=thanks[case.language], private=True,
                                       sent_at=ask + timedelta(seconds=1), origin="survey"))
            asked = len(case.messages) - 1
            case.rows.append(_HRow(ask, "reply_queued", None, {"visibility": "private", "origin": "survey"},
                                   message=asked))
            case.rows.append(_HRow(ask + timedelta(seconds=1), "reply_sent", None, {"attempt": 1}, message=asked))
            if rng.random() < 0.6:
                comments = {"fr": ("Réponse rapide, merci.", "Trop long à obtenir une vraie réponse.",
                                   "Toujours pas remboursé."),
                            "en": ("Quick answer, thanks.", "Took too long to get a real answer.",
                                   "Still not refunded.")}[case.language]
                comment = comments[0] if rating >= 4 else rng.choice(comments[1:])
                said = ask + timedelta(minutes=rng.uniform(1, 30))
                case.messages.append(_HMsg(at=said, inbound=True, text=comment, private=True, claimed="comment"))
                survey.comment, survey.comment_message = comment, len(case.messages) - 1
                case.rows.append(_HRow(said, "message_received", message=survey.comment_message,
                                       data={"visibility": "private", "network": "sandbox"}))
                case.rows.append(_HRow(said, "survey_commented", None, {}, message=survey.comment_message,
                                       survey=index))


@dataclass
class _HistorySetup:
    teams: dict[str, int]  # team name -> id
    partner_id: int
    partner_language: str


def _history_setup(session: Session, demo: _Demo) -> _HistorySetup:
    """The teams, the SLA policy and the refunds partner the history refers to, through their actions (no routing
    rule: today's stories stay unrouted as they were)."""
    from compris.escalation import actions as escalation
    from compris.escalation.queries import partners as partner_list
    from compris.models import Partner, SlaPolicy, Team
    from compris.routing import actions as routing
    from compris.sla import actions as sla

    publisher = demo.runtime.publisher
    admin = session.get(User, demo.users["admin"])
    assert admin is not None
    teams: dict[str, int] = {}
    for name, _, members in HISTORY_TEAMS:
        team = session.scalar(select(Team).where(Team.workspace_id == demo.workspace_id, Team.name == name))
        if team is None:
            team = routing.create_team(session, publisher, actor=admin, name=name, timezone="Europe/Paris",
                                       shift_lines="mon-fri 07:00-22:00\nsat-sun 09:00-19:00")
            for key in (*members, "supervisor"):
                routing.add_member(session, publisher, actor=admin, team_id=team.id, user_id=demo.users[key])
        teams[name] = team.id
    if session.scalar(select(SlaPolicy.id).where(SlaPolicy.workspace_id == demo.workspace_id,
                                                 SlaPolicy.name == HISTORY_SLA)) is None:
        sla.create_policy(session, publisher, actor=admin, name=HISTORY_SLA, first_response_s=3600,
                          next_response_s=4 * 3600, resolution_s=48 * 3600)
    _history_objectives(session, demo)
    found = {p.name: p for p in partner_list(session, demo.workspace_id)}
    partner: Partner | None = found.get(HISTORY_REFUNDS)
    if partner is None:
        partner = escalation.create_partner(
            session, publisher, actor=admin, name=HISTORY_REFUNDS, kind="team",
            emails=["refunds@demo.compris.example"], language="en", due_minutes=24 * 60,
            reminders={"before_minutes": [120], "after_minutes": [0], "repeat_minutes": 0})
    return _HistorySetup(teams=teams, partner_id=partner.id, partner_language=partner.language)


#: the desk's set-up beside the history's two teams (issue 18, defect 14): a baggage team, routing rules, office
#: hours and SLA policies by urgency and intent, so that routing, "SLA due first", supervision, coverage and
#: staffing show the features working
DESK_BAGGAGE = "Baggage"
DESK_BAGGAGE_MEMBERS = ("agent-en", "agent-fr-2")
DESK_OFFICE = "Office (Paris)"
DESK_POLICIES: tuple[dict[str, Any], ...] = (
    {"name": "Urgent (15 min)", "position": 1, "min_priority": 60, "first_response_s": 15 * 60,
     "next_response_s": 30 * 60, "resolution_s": 8 * 3600},
    {"name": "Complaints (30 min)", "position": 2, "intents": ["complaint"], "first_response_s": 30 * 60,
     "next_response_s": 2 * 3600, "resolution_s": 24 * 3600},
    {"name": "Reviews (office hours)", "position": 3, "accounts": ("hotel-google", "hotel-ta"),
     "first_response_s": 8 * 3600, "resolution_s": 5 * 24 * 3600, "office": True},
)
#: the hotel's accounts answered in office hours (the airline's and the hotel's Facebook page stay 24/7)
DESK_OFFICE_ACCOUNTS = ("hotel-ig", "hotel-masto", "hotel-google", "hotel-ta")
#: the account whose expected wait is published (a badge and a page for customers)
DESK_PUBLISHED = "air-x"


def _desk_demo(demo: _Demo) -> None:
    """A 24/7 Baggage team, routing rules (the airline's baggage cases → Baggage, French → Équipe FR, the rest →
    English desk, the default team), the hotel's smaller accounts in office hours, office hours, SLA policies by
    urgency, intent and account before the history's one-hour standard, the expected wait published for one
    account; then every active case's SLA and priority computed by their own code."""
    from compris.inbox.actions.priority import refresh_waiting
    from compris.models import BusinessHours, RoutingRule, SlaPolicy, Team
    from compris.routing import actions as routing
    from compris.sla import actions as sla
    from compris.sla import clocks

    publisher = demo.runtime.publisher
    ws = demo.workspace_id
    with demo.runtime.db.transaction() as session:
        admin = session.get(User, demo.users["admin"])
        assert admin is not None
        if session.scalar(select(RoutingRule.id).where(RoutingRule.workspace_id == ws).limit(1)) is not None:
            return
        teams = {t.name: t for t in session.scalars(select(Team).where(Team.workspace_id == ws))}
        baggage = teams.get(DESK_BAGGAGE) or routing.create_team(
            session, publisher, actor=admin, name=DESK_BAGGAGE, timezone="Europe/Paris",
            shift_lines="daily 00:00-00:00")
        for key in (*DESK_BAGGAGE_MEMBERS, "supervisor"):
            routing.add_member(session, publisher, actor=admin, team_id=baggage.id, user_id=demo.users[key])
        french, english = teams[HISTORY_TEAMS[0][0]], teams[HISTORY_TEAMS[1][0]]
        routing.update_team(session, publisher, actor=admin, team_id=english.id, is_default=True)
        airline = [demo.accounts[k].id for k in demo.accounts if k.startswith("air-")]
        routing.create_rule(session, publisher, actor=admin, team_id=baggage.id, name="Lost and delayed baggage",
                            position=1, conditions={"topics": ["baggage"], "channel_account_ids": airline})
        for key in DESK_OFFICE_ACCOUNTS:  # answered in office hours: no 24/7 promise (the coverage page agrees)
            office_account = session.get(ChannelAccount, demo.accounts[key].id)
            assert office_account is not None
            office_account.always_on = False
        routing.create_rule(session, publisher, actor=admin, team_id=french.id, name="French speakers",
                            position=2, conditions={"languages": ["fr"]})
        office = session.scalar(select(BusinessHours).where(BusinessHours.workspace_id == ws,
                                                            BusinessHours.name == DESK_OFFICE))
        if office is None:
            office = sla.create_business_hours(session, publisher, actor=admin, name=DESK_OFFICE,
                                               timezone="Europe/Paris",
                                               lines="mon-fri 09:00-18:00\nholiday 2026-12-25")
        standard = session.scalar(select(SlaPolicy).where(SlaPolicy.workspace_id == ws,
                                                          SlaPolicy.name == HISTORY_SLA))
        if standard is not None:
            sla.update_policy(session, publisher, actor=admin, policy_id=standard.id, position=10)
        for values in DESK_POLICIES:
            kwargs = {k: v for k, v in values.items() if k not in ("office", "accounts")}
            if values.get("office"):
                kwargs["business_hours_id"] = office.id
            if values.get("accounts"):
                kwargs["channel_account_ids"] = [demo.accounts[k].id for k in values["accounts"]]
            sla.create_policy(session, publisher, actor=admin, **kwargs)
        sla.set_publication(session, publisher, actor=admin, account_id=demo.accounts[DESK_PUBLISHED].id)
        session.flush()
        refresh_waiting(session, publisher, workspace_id=ws, everything=True)
        for case in session.scalars(select(Case).where(Case.workspace_id == ws, Case.status.in_(ACTIVE_STATUSES))):
            clocks.apply(session, publisher, case)


#: the supervisor's objectives, shown on the dashboard against the actual
HISTORY_OBJECTIVES: tuple[dict[str, Any], ...] = (
    {"name": "Complaints answered within the hour", "metric": "first_response_within", "target": 90,
     "threshold_seconds": 3600, "intent": "complaint", "clock": "calendar", "position": 1},
    {"name": "Every customer message answered", "metric": "response_rate", "target": 95, "clock": "calendar",
     "position": 2},
    {"name": "Satisfied customers", "metric": "csat", "target": 80, "clock": "calendar", "position": 3},
    {"name": "Median first response", "metric": "first_response_median", "target": 30 * 60, "clock": "business",
     "position": 4},
)


def _history_objectives(session: Session, demo: _Demo) -> None:
    from compris.analytics import objectives

    supervisor = session.get(User, demo.users["supervisor"])
    assert supervisor is not None
    if objectives.list_objectives(session, demo.workspace_id):
        return
    for values in HISTORY_OBJECTIVES:
        objectives.create_objective(session, demo.runtime.publisher, actor=supervisor, values=values)


def _history_live(plan: _HCase, end: datetime) -> None:
    """Cut a planned case at ``end``: what had not happened yet is dropped, and its state is what it was then."""
    kept = [m.at <= end and (m.sent_at is None or m.sent_at <= end) for m in plan.messages]
    plan.rows = sorted((r for r in plan.rows if r.at <= end and (r.message is None or kept[r.message])),
                       key=lambda r: r.at)
    # messages dropped from the end only keep their indexes valid: a dropped one is blanked, not removed
    plan.messages = [m if keep else _HMsg(at=end, inbound=True, text="", private=True, claimed="dropped")
                     for m, keep in zip(plan.messages, kept, strict=True)]
    plan.status, plan.assignee, plan.resolved_at = "new", None, None
    for row in plan.rows:
        if row.kind in ("resolved", "closed", "reopened", "status_changed"):
            plan.status = str(row.data["to_status"])
            plan.resolved_at = row.at if plan.status == "resolved" else plan.resolved_at if plan.status == "closed" \
                else None
        elif row.kind == "assigned":
            plan.assignee = str(row.data["assignee_id"])
        elif row.kind in ("routed", "transferred"):
            plan.team = str(row.data["team_id"])
    surveys = []
    for survey in plan.surveys:
        if survey.resolved_at > end:
            continue
        if survey.message is not None and plan.messages[survey.message].claimed == "dropped":
            survey.state, survey.message = "scheduled", None
        if survey.rating_message is not None and plan.messages[survey.rating_message].claimed == "dropped":
            survey.state, survey.rating, survey.answered_at, survey.via, survey.rating_message = \
                "sent", None, None, None, None
        if survey.comment_message is not None and plan.messages[survey.comment_message].claimed == "dropped":
            survey.comment, survey.comment_message = None, None
        surveys.append(survey)
    plan.surveys = surveys
    if plan.escalation is not None and plan.escalation.at > end:
        plan.escalation = None


def _write_history(session: Session, demo: _Demo, setup: _HistorySetup, plans: list[_HCase], end: datetime) -> None:
    """Write the planned cases as the actions write them (bulk inserts: the history loads in about a second)."""
    from compris.models import Escalation, Exchange, Outbox, Thread, WaitPrediction, Workspace
    from compris.sla import clocks

    ws = demo.workspace_id
    users = demo.users
    for plan in plans:
        _history_live(plan, end)
    accounts = {key: demo.accounts[key].id for key, *_ in HISTORY_ACCOUNTS}
    first_number = session.scalar(
        update(Workspace).where(Workspace.id == ws).values(case_seq=Workspace.case_seq + len(plans))
        .returning(Workspace.case_seq))
    assert first_number is not None
    first_number -= len(plans) - 1

    def ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` with the next ids of their table (one statement, no RETURNING), and return the ids."""
        if not rows:
            return []
        first = (session.scalar(select(func.max(model.id))) or 0) + 1
        numbered = [{"id": first + k, **row} for k, row in enumerate(rows)]
        session.execute(insert(model), numbered)
        if session.get_bind().dialect.name == "postgresql":  # the table's sequence continues after them
            last = first + len(rows) - 1
            session.execute(sql_text(f"SELECT setval(pg_get_serial_sequence('{model.__tablename__}', 'id'), {last})"))
        return [row["id"] for row in numbered]

    contact_ids = ids(Contact, [{"workspace_id": ws, "display_name": p.name, "search_name": folded_or_none(p.name, 200),
                                 "language": p.language,
                                 "created_at": p.opened_at} for p in plans])
    identity_ids = ids(Identity, [
        {"workspace_id": ws, "contact_id": contact_ids[i], "network": "sandbox",
         "platform_user_id": f"{HISTORY_PREFIX}u{p.n}", "name": p.name,
         "handle": "@" + "".join(c for c in p.name.lower() if c.isascii() and c.isalpha()) + str(p.n),
         "followers": (p.messages[0].triage or {}).get("reach", {}).get("followers", 0),
         "created_at": p.opened_at, "updated_at": p.opened_at}
        for i, p in enumerate(plans)])
    # a public thread for a public first message, a private one for private messages and surveys
    thread_rows: list[dict[str, Any]] = []
    thread_keys: list[tuple[int, bool]] = []
    for i, p in enumerate(plans):
        live = [m for m in p.messages if m.claimed != "dropped"]
        for private in (False, True):
            if any(m.private == private for m in live):
                inbound = [m.at for m in live if m.inbound and m.private == private]
                thread_rows.append({
                    "workspace_id": ws, "channel_account_id": accounts[p.account],
                    "platform_thread_key": f"{HISTORY_PREFIX}{'dm-' if private else ''}{p.n}",
                    "visibility": "private" if private else "public", "contact_id": contact_ids[i] if private else None,
                    "last_inbound_at": max(inbound) if inbound else None, "created_at": p.opened_at})
                thread_keys.append((i, private))
    thread_ids = dict(zip(thread_keys, ids(Thread, thread_rows), strict=True))
    case_rows = []
    for i, p in enumerate(plans):
        live = [m for m in p.messages if m.claimed != "dropped"]
        requests = [m for m in live if m.inbound and m.claimed is None]
        answers = [m.sent_at for m in live if not m.inbound and m.origin == "agent" and m.sent_at]
        last = requests[-1]
        case_rows.append({
            "workspace_id": ws, "number": first_number + i, "contact_id": contact_ids[i], "status": p.status,
            "subject": requests[0].text[:300], "assignee_id": users[p.assignee] if p.assignee else None,
            "search_subject": folded_or_none(requests[0].text[:300], 300),
            "language": p.language, "priority": int((last.triage or {}).get("priority", 0)),
            "triage": last.triage or {}, "last_channel_account_id": accounts[p.account],
            "preview": last.text[:300], "first_inbound_at": requests[0].at, "last_inbound_at": last.at,
            "first_response_at": min(answers) if answers else None,
            "last_activity_at": max([r.at for r in p.rows if r.kind not in ("reply_sent", "survey_sent")]
                                    + [last.at]),
            "resolved_at": p.resolved_at, "unread": not answers and p.status in ("new", "open"),
            "team_id": setup.teams[p.team], "created_at": p.opened_at})
    case_ids = ids(Case, case_rows)
    message_rows: list[dict[str, Any]] = []
    message_keys: list[tuple[int, int]] = []
    for i, p in enumerate(plans):
        for j, m in enumerate(p.messages):
            if m.claimed == "dropped":
                continue
            pid = f"{HISTORY_PREFIX}{p.n}-{j}"
            target = p.messages[m.reply_to] if m.reply_to is not None else None
            extra: dict[str, Any] = {}
            if m.claimed:
                extra = {"claimed_by": "surveys", "claimed_as": m.claimed}
            elif not m.inbound:
                extra = {"origin": m.origin}
                if m.by_hand and m.agent and m.sent_at:
                    extra["posted_by_hand"] = {"user_id": users[m.agent], "at": m.sent_at.isoformat()}
            message_rows.append({
                "workspace_id": ws, "case_id": case_ids[i], "thread_id": thread_ids[(i, m.private)],
                "channel_account_id": accounts[p.account], "direction": "inbound" if m.inbound else "outbound",
                "visibility": "private" if m.private else "public", "platform_message_id": pid,
                "reply_to_platform_id": f"{HISTORY_PREFIX}{p.n}-{m.reply_to}" if target is not None else None,
                "author_identity_id": identity_ids[i] if m.inbound else None,
                "author_user_id": users[m.agent] if m.agent else None, "text": m.text,
                "search_text": folded_or_none(m.text),
                "sent_at": m.sent_at or m.at, "created_at": m.at, "language": p.language if not m.claimed else None,
                "triage": m.triage or {}, "rating": m.rating, "platform_extra": extra,
                "delivery_state": None if m.inbound else "sent"})
            message_keys.append((i, j))
    message_ids = dict(zip(message_keys, ids(Message, message_rows), strict=True))
    # replies point at the message they answer
    session.execute(update(Message), [
        {"id": message_ids[(i, j)], "reply_to_message_id": message_ids[(i, m.reply_to)]}
        for i, p in enumerate(plans) for j, m in enumerate(p.messages)
        if m.reply_to is not None and m.claimed != "dropped" and (i, j) in message_ids])
    survey_rows: list[dict[str, Any]] = []
    survey_keys: list[tuple[int, int]] = []
    for i, p in enumerate(plans):
        for k, s in enumerate(p.surveys):
            survey_rows.append({
                "workspace_id": ws, "case_id": case_ids[i], "cycle": s.cycle, "contact_id": contact_ids[i],
                "channel_account_id": accounts[p.account], "thread_id": thread_ids.get((i, True)),
                "network": "sandbox", "agent_id": users[s.agent] if s.agent else None,
                "team_id": setup.teams[s.team], "state": s.state, "skip_reason": s.skip_reason,
                "send_at": s.resolved_at + timedelta(hours=1) if s.state != "skipped" else None,
                "sent_at": p.messages[s.message].sent_at if s.message is not None else None,
                "message_id": message_ids[(i, s.message)] if s.message is not None else None,
                "language": p.language, "scale": "stars5", "rating": s.rating,
                "score": (s.rating - 1) * 25 if s.rating else None, "answered_at": s.answered_at,
                "answered_via": s.via, "comment": s.comment,
                "comment_message_id": message_ids[(i, s.comment_message)] if s.comment_message is not None else None,
                "commented_at": p.messages[s.comment_message].at if s.comment_message is not None else None,
                "comment_asked_at": s.answered_at + timedelta(seconds=2)
                if s.comment_message is not None and s.answered_at is not None else None,
                "created_at": s.resolved_at})
            survey_keys.append((i, k))
    survey_ids = dict(zip(survey_keys, ids(Survey, survey_rows), strict=True))
    session.execute(update(Message), [
        {"id": message_ids[(i, j)], "platform_extra": {"survey_id": survey_ids[(i, k)], "origin": "survey"}}
        for i, p in enumerate(plans) for k, s in enumerate(p.surveys) for j, m in enumerate(p.messages)
        if (i, j) in message_ids and m.origin == "survey" and not m.inbound
        and (j == s.message or (s.rating_message is not None and j == s.rating_message + 1))])
    escalation_ids: dict[int, int] = {}
    exchange_ids: dict[int, int] = {}
    for i, p in enumerate(plans):
        e = p.escalation
        if e is None:
            continue
        answered = e.answered_at if e.answered_at and e.answered_at <= end else None
        closed = e.closed_at if e.closed_at and e.closed_at <= end else None
        status = "closed" if closed else "answered" if answered else "open"
        brief = {"fr": "Remboursement à valider pour ce client (billet annulé).",
                 "en": "Refund to approve for this customer (cancelled ticket)."}[p.language]
        [escalation_ids[i]] = ids(Escalation, [{
            "workspace_id": ws, "case_id": case_ids[i], "partner_id": setup.partner_id,
            "created_by_id": users[e.agent], "status": status, "partner_outcome": "done" if answered else None,
            "brief": brief, "shared": {"message_ids": [message_ids[(i, 0)]], "upload_ids": [],
                                       "personal_data": False},
            "language": setup.partner_language, "due_at": e.due_at,
            "next_check_at": None if closed or answered else e.due_at if e.due_at > end else end,
            "overdue_at": e.due_at if e.due_at <= end and (answered is None or answered > e.due_at) else None,
            "answered_at": answered, "closed_at": closed, "outcome": "resolved" if closed else None,
            "reply_token": f"hist{p.n:06d}{random.Random(p.n).getrandbits(96):024x}",
            "previous_case_status": "open", "created_at": e.at, "updated_at": closed or answered or e.at}])
        exchanges = [{"workspace_id": ws, "escalation_id": escalation_ids[i], "direction": "to_partner",
                      "kind": "brief", "text": brief, "author_user_id": users[e.agent], "via": "ui",
                      "created_at": e.at}]
        if answered:
            exchanges.append({"workspace_id": ws, "escalation_id": escalation_ids[i], "direction": "from_partner",
                              "kind": "done", "text": "Refund approved and paid.", "via": "portal",
                              "author_email": "refunds@demo.compris.example", "created_at": answered})
        exchange_ids[i] = ids(Exchange, exchanges)[-1]
    event_rows: list[dict[str, Any]] = []
    outbox_rows: list[dict[str, Any]] = []
    predictions: list[dict[str, Any]] = []
    for i, p in enumerate(plans):
        for row in p.rows:
            data = dict(row.data)
            if row.message is not None:
                data = {"message_id": message_ids[(i, row.message)], **data}
                if row.kind == "reply_sent":
                    data.setdefault("platform_message_id", f"{HISTORY_PREFIX}{p.n}-{row.message}")
            if row.survey is not None:
                data = {"survey_id": survey_ids[(i, row.survey)], **data}
            if row.escalation:
                data = {"escalation_id": escalation_ids[i], **data}
                if row.kind == "escalation_answered":
                    data["exchange_id"] = exchange_ids[i]
            for key in ("assignee_id", "previous_assignee_id"):
                if data.get(key) is not None:
                    data[key] = users[data[key]]
            for key in ("team_id", "previous_team_id"):
                if key in data:
                    data[key] = setup.teams[data[key]]
            if row.kind == "opened":
                data["channel_account_id"] = accounts[p.account]
            event_rows.append({"workspace_id": ws, "case_id": case_ids[i], "kind": row.kind, "data": data,
                               "actor_user_id": users[row.actor] if row.actor else None, "created_at": row.at})
        for j, m in enumerate(p.messages):
            if m.inbound or (i, j) not in message_ids:
                continue
            outbox_rows.append({"workspace_id": ws, "message_id": message_ids[(i, j)],
                                "channel_account_id": accounts[p.account],
                                "idempotency_key": f"{ws}:{HISTORY_PREFIX}{p.n}-{j}", "state": "sent",
                                "attempts": 0 if m.by_hand else 2 if m.failed_at else 1,
                                "last_error": None, "sent_at": m.sent_at, "created_at": m.at})
        replies_at = [m.sent_at for m in p.messages if not m.inbound and m.origin == "agent" and m.sent_at
                      and m.claimed != "dropped"]
        if p.predicted_s is not None:
            actual = int((min(replies_at) - p.opened_at).total_seconds()) if replies_at else None
            predictions.append({"workspace_id": ws, "case_id": case_ids[i], "channel_account_id": accounts[p.account],
                                "predicted_s": p.predicted_s, "created_at": p.opened_at, "actual_s": actual})
    session.execute(insert(CaseEvent), event_rows)
    session.execute(insert(Outbox), outbox_rows)
    session.execute(insert(WaitPrediction), predictions)
    # the SLA, computed by the SLA's own code from these timelines; a breach is recorded when it happened (the
    # SLA pass records it within its period), not now
    cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids))))
    clocks.refresh(session, demo.runtime.publisher, cases, at=end)
    session.flush()
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids),
                                                         CaseEvent.kind == "sla_breached")):
        event.created_at = datetime.fromisoformat(str(event.data["breached_at"]))
    for breach in session.scalars(select(SlaBreach).where(SlaBreach.case_id.in_(case_ids))):
        breach.created_at = breach.breached_at


def _rebuild_analytics(demo: _Demo) -> None:
    """The rollups, rebuilt from the raw rows once the history is in (``compris analytics rebuild``'s work)."""
    from compris.analytics.rollups import rebuild

    with demo.runtime.db.transaction() as session:
        rebuild(session, demo.workspace_id)
