"""A rich world for the personal-data tests: one customer ("Sam") with every kind of data Compris keeps about a
person, and another customer ("Zoé") whose data must never leak into Sam's export."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.inbox import actions as inbox_actions
from compris.kit.clock import now
from compris.models import (
    AuditEntry,
    BusinessAction,
    BusinessActionRun,
    Case,
    Cluster,
    ClusterMember,
    Contact,
    Escalation,
    Exchange,
    Identity,
    Incident,
    IncidentCase,
    Message,
    OutgoingMail,
    Partner,
    RawEvent,
    Survey,
    TriageCorrection,
    Upload,
    User,
)
from compris.uploads import store
from tests.conftest import World
from tests.connectors.standin import Reply, StandIn

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"sam-photo" * 20
PDF = b"%PDF-1.7\n" + b"boarding pass " * 10
HOSTILE = "../../etc/passwd"


@dataclass
class Rich:
    """Ids and values of the world, for the assertions."""

    contact_id: int
    other_contact_id: int
    merged_contact_id: int
    case_numbers: list[int]
    other_case_number: int
    inbound_upload_id: int
    reply_upload_id: int
    partner_upload_id: int
    shared_raw_event_id: int
    own_raw_event_ids: list[int] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)


def _deliver(client: TestClient, world: World, payload: dict[str, Any]) -> None:
    raw, headers = world.body(payload)
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    world.run_jobs()


def _case(session: Any, world: World, text: str) -> Case:
    case = session.scalar(select(Case).join(Message, Message.case_id == Case.id)
                          .where(Case.workspace_id == world.workspace_id, Message.text == text))
    assert case is not None
    return case


def build(client: TestClient, world: World) -> Rich:
    """Sam: a DM with a photo (fetched and stored), a public post, an agent's reply with a file named like a path,
    an internal note, a survey with a comment, an escalation the partner answered (with a file) and its e-mail, a
    business action run, a triage correction, an incident and a cluster, audit entries, a second identity on
    WhatsApp merged in. Zoé: a message of her own, and a delivery shared with Sam's."""
    data_dir = world.runtime.settings.data_dir
    # the stand-in's file is on 127.0.0.1: fetched as local endpoints allow (tests, the demo; kit/netguard.py)
    world.runtime.settings.allow_local_http_endpoints = True
    with StandIn() as api:
        api.on("GET", "/media/photo.png", Reply(200, body=PNG))
        _deliver(client, world, world.payload("Voici la photo de mon sac", kind="dm", author="sam",
                                              attachments=[{"kind": "image", "url": f"{api.base_url}/media/photo.png",
                                                            "name": "photo.png"}]))
    _deliver(client, world, world.payload("My bag is lost @brand", author="sam"))
    _deliver(client, world, world.payload("Zoé's own secret complaint", author="zoe"))

    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        dm = _case(s, world, "Voici la photo de mon sac")
        post = _case(s, world, "My bag is lost @brand")
        zoe = _case(s, world, "Zoé's own secret complaint")
        sam_id, zoe_id = dm.contact_id, zoe.contact_id
        inbound = s.scalar(select(Upload).where(Upload.workspace_id == world.workspace_id))
        assert inbound is not None and inbound.mime_type == "image/png"

        # an agent's reply carrying a file whose stored name looks like a path
        reply = Message(workspace_id=world.workspace_id, case_id=dm.id, thread_id=None,
                        channel_account_id=world.account.id, direction="outbound", visibility="private",
                        author_user_id=agent.id, text="We found your bag, here is the receipt", sent_at=now(),
                        delivery_state="sent")
        s.add(reply)
        s.flush()
        sha = store.write(data_dir, world.workspace_id, PDF)
        hostile = Upload(workspace_id=world.workspace_id, name=HOSTILE, mime_type="application/pdf", kind="file",
                         size=len(PDF), sha256=sha, uploaded_by_id=agent.id, message_id=reply.id)
        s.add(hostile)
        s.flush()
        reply.attachments = [{"kind": "file", "name": HOSTILE, "mime_type": "application/pdf", "size": len(PDF),
                              "upload_id": hostile.id}]
        inbox_actions.add_note(s, world.runtime.publisher, actor=agent, case=dm,
                               text="Sam sounded upset; bag tag 0057-LYS")

        survey = Survey(workspace_id=world.workspace_id, case_id=dm.id, contact_id=sam_id, state="answered",
                        network="sandbox", rating=2, score=25, answered_at=now(), answered_via="button",
                        comment="Too slow to answer", sent_at=now())
        s.add(survey)

        partner = Partner(workspace_id=world.workspace_id, name="Lyon baggage desk", emails=["bags@lyon.test"])
        s.add(partner)
        s.flush()
        escalation = Escalation(workspace_id=world.workspace_id, case_id=dm.id, partner_id=partner.id,
                                created_by_id=agent.id, status="answered", brief="Please find bag 0057-LYS",
                                reply_token=uuid.uuid4().hex, answered_at=now())
        s.add(escalation)
        s.flush()
        partner_sha = store.write(data_dir, world.workspace_id, PNG + b"partner")
        partner_file = Upload(workspace_id=world.workspace_id, name="bag-found.png", mime_type="image/png",
                              kind="image", size=len(PNG) + 7, sha256=partner_sha, held_by="escalation")
        s.add(partner_file)
        s.flush()
        s.add_all([
            Exchange(workspace_id=world.workspace_id, escalation_id=escalation.id, direction="to_partner",
                     kind="brief", text="Please find bag 0057-LYS", author_user_id=agent.id),
            Exchange(workspace_id=world.workspace_id, escalation_id=escalation.id, direction="from_partner",
                     kind="answer", text="Bag found in Lyon, sending it tomorrow", author_email="bags@lyon.test",
                     via="portal", upload_ids=[partner_file.id]),
            OutgoingMail(workspace_id=world.workspace_id, to=["bags@lyon.test"], subject="Case: bag 0057-LYS",
                         text="Please find bag 0057-LYS", message_id=f"<{uuid.uuid4().hex}@test>",
                         purpose="escalation", ref={"escalation_id": escalation.id, "case_id": dm.id}),
            OutgoingMail(workspace_id=world.workspace_id, to=["other@lyon.test"], subject="About Zoé",
                         text="Zoé's mail", message_id=f"<{uuid.uuid4().hex}@test>", purpose="escalation",
                         ref={"case_id": zoe.id}),
        ])

        action = BusinessAction(workspace_id=world.workspace_id, key="refund", names={"en": "Refund"},
                                endpoint_url="http://brand.invalid/refund")
        s.add(action)
        s.flush()
        s.add(BusinessActionRun(workspace_id=world.workspace_id, case_id=dm.id, action_id=action.id,
                                requested_by_id=agent.id, input={"record_locator": "ABC123"},
                                idempotency_key=uuid.uuid4().hex, state="succeeded",
                                result={"refund_id": "R-991"}))

        first_inbound = s.scalar(select(Message).where(Message.case_id == dm.id, Message.direction == "inbound"))
        assert first_inbound is not None and first_inbound.raw_event_id is not None
        s.add(TriageCorrection(workspace_id=world.workspace_id, message_id=first_inbound.id, user_id=agent.id,
                               field="intent", label="complaint", previous="other", text=first_inbound.text))
        incident = Incident(workspace_id=world.workspace_id, number=1, name="Lyon baggage belt down")
        cluster = Cluster(workspace_id=world.workspace_id, label="lost bags Lyon", keywords=["bag", "lyon"])
        s.add_all([incident, cluster])
        s.flush()
        s.add_all([
            IncidentCase(workspace_id=world.workspace_id, incident_id=incident.id, case_id=dm.id),
            ClusterMember(workspace_id=world.workspace_id, cluster_id=cluster.id, message_id=first_inbound.id,
                          case_id=dm.id, similarity=0.9),
            AuditEntry(workspace_id=world.workspace_id, event="CaseAssigned", action="assigned", case_id=dm.id,
                       actor_user_id=agent.id, actor_label="Agent <agent@acme.test>", ip="203.0.113.7",
                       summary="Case assigned to Agent"),
            AuditEntry(workspace_id=world.workspace_id, event="ContactsMerged", action="merged", contact_id=sam_id,
                       summary="Contacts merged"),
            AuditEntry(workspace_id=world.workspace_id, event="CaseAssigned", action="assigned", case_id=zoe.id,
                       summary="Zoé's case assigned"),
        ])

        # a delivery that carried both Sam's and Zoé's messages (a network batching them): withheld
        shared = RawEvent(workspace_id=world.workspace_id, channel_account_id=world.account.id,
                          event_key=f"batch-{uuid.uuid4().hex}", body=b'{"batch": ["sam", "zoe"]}',
                          content_type="application/json", status="processed")
        s.add(shared)
        s.flush()
        zoe_message = s.scalar(select(Message).where(Message.case_id == zoe.id))
        assert zoe_message is not None
        zoe_message.raw_event_id = shared.id
        s.add(Message(workspace_id=world.workspace_id, case_id=post.id, channel_account_id=world.account.id,
                      direction="inbound", visibility="public", text="Sam again, in a batch", raw_event_id=shared.id,
                      author_identity_id=first_inbound.author_identity_id))
        # Sam commenting in a public thread that is another customer's case: still Sam's message
        s.add(Message(workspace_id=world.workspace_id, case_id=zoe.id, channel_account_id=world.account.id,
                      direction="inbound", visibility="public", text="Sam chiming in under a post",
                      author_identity_id=first_inbound.author_identity_id))

        # the same person on WhatsApp, merged into Sam
        whatsapp = Contact(workspace_id=world.workspace_id, display_name="Sam on WhatsApp")
        s.add(whatsapp)
        s.flush()
        s.add(Identity(workspace_id=world.workspace_id, contact_id=whatsapp.id, network="whatsapp",
                       platform_user_id="33612345678", handle="+33 6 12 34 56 78", name="Sam W."))
        s.flush()
        sam = s.get(Contact, sam_id)
        assert sam is not None
        inbox_actions.merge_contacts(s, world.runtime.publisher, actor=agent, source=whatsapp, target=sam)
        own_raw = sorted({m for m in s.scalars(select(Message.raw_event_id).where(
            Message.case_id.in_([dm.id, post.id]), Message.raw_event_id.is_not(None),
            Message.raw_event_id != shared.id)) if m is not None})
        return Rich(contact_id=sam_id, other_contact_id=zoe_id, merged_contact_id=whatsapp.id,
                    case_numbers=sorted({dm.number, post.number}), other_case_number=zoe.number,
                    inbound_upload_id=inbound.id, reply_upload_id=hostile.id, partner_upload_id=partner_file.id,
                    shared_raw_event_id=shared.id, own_raw_event_ids=own_raw)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


def loads(files: dict[str, bytes], name: str) -> Any:
    return json.loads(files[name].decode("utf-8"))
