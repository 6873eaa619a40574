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
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
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
from compris.kit.clock import now
from compris.models import (
    ACTIVE_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    ChannelAccount,
    Contact,
    Identity,
    Message,
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
            if workspace is not None and _loaded(session, workspace.id):
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
    network = SandboxNetwork(network_path(settings.data_dir), public_url=api_base)
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
        run_pending(runtime.services)
        with runtime.db.transaction() as session:
            timeline.demo_loaded(session, workspace_id=workspace_id, steps=len(data["steps"]))
    finally:
        network.close()


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
            reshares=int(step.get("reshares", 0)), attachments=attachments,
            created_at=now() - timedelta(minutes=step["minutes_ago"]), message_id=step["id"], deliver=False,
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


def _business_demo(demo: _Demo) -> None:
    """An airline "rebook" action wired to a local stand-in, run on a case."""


# --- satisfaction surveys (issue 14) ---------------------------------------------------------------------------


def _survey_demo(demo: _Demo) -> None:
    """Survey settings and answered surveys, so the figures are not empty."""
