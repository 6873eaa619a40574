"""The demo workspace: users, sandbox channel accounts and stories, delivered through the real pipeline.

:func:`ensure_demo` is idempotent. Every story message is built as a sandbox-network delivery (recorded in the
network's own store so that its page shows it), signed with the account's webhook secret and handed to
:func:`compris.inbox.ingest.receive` exactly as a webhook would be; the jobs then normalise it into cases.
The people, handles, bookings and orders of ``demo_data/stories.json`` are invented.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import httpx
from sqlalchemy import func, select
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
    Identity,
    Message,
    Post,
    ReplyTemplate,
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
        run_pending(runtime.services)
        _listening_demo(demo)
        run_pending(runtime.services)
        _history_demo(demo)
        run_pending(runtime.services)
        with runtime.db.transaction() as session:
            timeline.demo_loaded(session, workspace_id=workspace_id, steps=len(data["steps"]))
    finally:
        runtime.http.close()
        runtime.http = served_http
        network.close()


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

    origin = base_url.rstrip("/").split("/", 3)[:3]
    return httpx.Client(timeout=http.timeout, follow_redirects=False,
                        mounts={"/".join(origin): _InProcess(create_network_app(network))})


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
    from compris.models import Direction
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
    "fr": "Bonjour {{customer_first_name}}, nous sommes désolés : une partie des commandes de la Boutique à bord est "
          "retenue chez notre transporteur. Nous suivons chaque colis et revenons vers vous en message privé d'ici "
          "demain avec une date de livraison ou un remboursement.",
    "en": "Hello {{customer_first_name}}, we are sorry: some in-flight shop orders are held at our carrier. We are "
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
    """Filled in by the analytics issue."""
