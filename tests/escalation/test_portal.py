"""The partner portal (``/p/{token}``): no login, no cookie; only this escalation; the answer with files lands on
the escalation; tampered, expired, revoked, another workspace's and closed links are refused with a clear page;
requests are rate-limited (429 with Retry-After)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris import bus
from compris.accounts.actions import RateLimited
from compris.config import Settings
from compris.escalation import links
from compris.escalation.actions import answers
from compris.events import EscalationAnswered, EscalationOpened
from compris.kit.clock import now
from compris.kit.signing import form_token, link_token
from compris.models import CaseEvent, Escalation, Exchange, LoginAttempt, Upload
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import SECRET, World
from tests.escalation.partner_side import PDF, customer_message, escalate, make_partner, png

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _client(settings: Settings, runtime: Runtime) -> TestClient:
    return TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)


def _setup(runtime: Runtime, world: World, *, language: str = "fr") -> tuple[int, int, str]:
    case_id, message_id = customer_message(runtime, world, "Chambre sale, réservation ABC123, tel +33 6 12 34 56 78")
    partner_id = make_partner(runtime, world, language=language)
    escalation_id = escalate(runtime, world, case_id, partner_id, brief="Pouvez-vous vérifier <la chambre> ?",
                             message_ids=[message_id])
    return case_id, escalation_id, _token(runtime, escalation_id)


def _token(runtime: Runtime, escalation_id: int, *, days_ago: int = 0, days: int = 14) -> str:
    with runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        return links.token_for(SECRET, escalation, now() - timedelta(days=days_ago), days)


def _kinds(runtime: Runtime, case_id: int) -> list[str]:
    with runtime.db.transaction() as session:
        return [str(e.kind) for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                                     .order_by(CaseEvent.id))]


def _escalation(runtime: Runtime, escalation_id: int, change: Callable[[Escalation], Any] | None = None) -> Escalation:
    with runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        if change is not None:
            change(escalation)
            session.flush()
        session.expunge(escalation)
        return escalation


def test_the_portal_shows_the_escalation_without_a_login_or_a_cookie(settings: Settings, runtime: Runtime,
                                                                      world: World) -> None:
    case_id, escalation_id, token = _setup(runtime, world)
    client = _client(settings, runtime)
    opened: list[EscalationOpened] = []
    with bus.subscribed(EscalationOpened, lambda s, p, e: opened.append(e)):
        page = client.get(f"/p/{token}")
        again = client.get(f"/p/{token}")
    assert page.status_code == 200 and again.status_code == 200
    assert "set-cookie" not in page.headers and not client.cookies
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"].startswith("noindex")
    assert page.headers["cache-control"] == "no-store"
    body = page.text
    assert '<html lang="fr">' in body and "Acme" in body
    assert "Pouvez-vous vérifier &lt;la chambre&gt; ?" in body
    assert "+33 6 12 34 56 78" not in body and "[phone]" in body  # masked: not ticked in
    assert "Fait de notre côté" in body and "Besoin de plus d'informations" in body
    assert "/inbox" not in body and "/cases/" not in body  # nothing else of the workspace
    # a GET records nothing (a mail scanner fetching the link): the page's script POSTs /opened with the form token
    assert _kinds(runtime, case_id).count("escalation_opened") == 0 and not opened
    assert '<script src="/static/portal.js" defer></script>' in body
    assert "script-src 'self'" in page.headers["content-security-policy"]
    csrf = html.unescape(CSRF.search(body).group(1))  # type: ignore[union-attr]
    with bus.subscribed(EscalationOpened, lambda s, p, e: opened.append(e)):
        assert client.post(f"/p/{token}/opened", data={"csrf_token": "forged"}).status_code == 403
        for _ in range(2):
            assert client.post(f"/p/{token}/opened", data={"csrf_token": csrf}).status_code == 204
    # opened once for this link version: the timeline row and the event
    assert _kinds(runtime, case_id).count("escalation_opened") == 1 and len(opened) == 1
    assert _escalation(runtime, escalation_id).opened_at is not None
    english = client.get(f"/p/{token}?lang=en")
    assert '<html lang="en">' in english.text and "Done on our side" in english.text


def test_the_partner_answers_with_a_file(settings: Settings, runtime: Runtime, world: World) -> None:
    case_id, escalation_id, token = _setup(runtime, world)
    client = _client(settings, runtime)
    csrf = html.unescape(CSRF.search(client.get(f"/p/{token}").text).group(1))  # type: ignore[union-attr]
    answered: list[EscalationAnswered] = []
    with bus.subscribed(EscalationAnswered, lambda s, p, e: answered.append(e)):
        response = client.post(f"/p/{token}", data={"csrf_token": csrf, "text": "Chambre refaite <b>ok</b>",
                                                    "outcome": "answer", "lang": "fr"},
                               files=[("files", ("photo chambre.png", png(), "image/png"))])
    assert response.status_code == 303 and response.headers["location"] == f"/p/{token}?sent=1&lang=fr"
    assert "set-cookie" not in response.headers
    (event,) = answered
    assert (event.outcome, event.via, event.escalation_id) == ("answer", "portal", escalation_id)
    with runtime.db.transaction() as session:
        exchange = session.scalars(select(Exchange).where(Exchange.direction == "from_partner")).one()
        assert exchange.kind == "answer" and exchange.text == "Chambre refaite <b>ok</b>" and exchange.via == "portal"
        (upload_id,) = exchange.upload_ids
        upload = session.get(Upload, upload_id)
        assert upload is not None and upload.held_by == "escalation" and upload.uploaded_by_id is None
        assert upload.mime_type == "image/png"
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        assert escalation.status == "answered" and escalation.partner_outcome == "answer"
        assert escalation.answered_at is not None
    assert "escalation_answered" in _kinds(runtime, case_id)
    shown = client.get(f"/p/{token}?sent=1")
    assert "Merci : votre réponse a été envoyée" in shown.text and "Chambre refaite &lt;b&gt;ok&lt;/b&gt;" in shown.text
    file_page = client.get(f"/p/{token}/files/{upload_id}")
    assert file_page.status_code == 200 and file_page.content == png()
    assert file_page.headers["referrer-policy"] == "no-referrer"

    # "done on our side" with no text is an answer too
    done = client.post(f"/p/{token}", data={"csrf_token": csrf, "outcome": "done"})
    assert done.status_code == 303
    assert _escalation(runtime, escalation_id).partner_outcome == "done"


def test_refused_answers_change_nothing(settings: Settings, runtime: Runtime, world: World) -> None:
    case_id, escalation_id, token = _setup(runtime, world, language="en")
    client = _client(settings, runtime)
    csrf = html.unescape(CSRF.search(client.get(f"/p/{token}").text).group(1))  # type: ignore[union-attr]
    forged = client.post(f"/p/{token}", data={"csrf_token": "forged", "text": "hi", "outcome": "answer"})
    assert forged.status_code == 403 and "The form expired" in forged.text
    wrong_file = client.post(f"/p/{token}", data={"csrf_token": csrf, "text": "see file", "outcome": "answer"},
                             files=[("files", ("evil.html", b"<script>alert(1)</script>", "text/html"))])
    assert wrong_file.status_code == 422 and "not accepted" in wrong_file.text
    assert "see file" in wrong_file.text  # the draft is kept
    empty = client.post(f"/p/{token}", data={"csrf_token": csrf, "text": "  ", "outcome": "answer"})
    assert empty.status_code == 422 and "write an answer" in empty.text
    unknown = client.post(f"/p/{token}", data={"csrf_token": csrf, "text": "x", "outcome": "escalate"})
    assert unknown.status_code == 422
    with runtime.db.transaction() as session:
        assert not list(session.scalars(select(Exchange).where(Exchange.direction == "from_partner")))
        assert not list(session.scalars(select(Upload)))
    assert _escalation(runtime, escalation_id).status == "open"
    assert "escalation_answered" not in _kinds(runtime, case_id)


def test_tampered_expired_revoked_foreign_and_closed_links(settings: Settings, runtime: Runtime,
                                                           world_factory: Callable[[str], World]) -> None:
    acme, globex = world_factory("acme"), world_factory("globex")
    _, escalation_id, token = _setup(runtime, acme)
    _, other_id, other_token = _setup(runtime, globex)
    client = _client(settings, runtime)
    assert client.get(f"/p/{token}").status_code == 200 and client.get(f"/p/{other_token}").status_code == 200

    body, _, signature = token.partition(".")
    tampered = client.get(f"/p/{body}.{signature[:-2]}xx")
    assert tampered.status_code == 404 and "This link is not valid" in tampered.text
    assert client.get("/p/not-a-token").status_code == 404
    # a link naming another workspace's escalation under this workspace: signed, but it names nothing here
    crossed = link_token(SECRET, links.PURPOSE, {"w": acme.workspace_id, "e": other_id, "v": 1},
                         now() + timedelta(days=1))
    assert client.get(f"/p/{crossed}").status_code == 404
    # a survey link (another purpose) is no portal link
    survey = link_token(SECRET, "survey", {"w": acme.workspace_id, "e": escalation_id, "v": 1},
                        now() + timedelta(days=1))
    assert client.get(f"/p/{survey}").status_code == 404

    expired = client.get(f"/p/{_token(runtime, escalation_id, days_ago=3, days=2)}",
                         headers={"accept-language": "en"})
    assert expired.status_code == 410
    assert "This link has expired" in expired.text and "Ask Acme for a new one." in expired.text

    _escalation(runtime, escalation_id, lambda e: setattr(e, "link_version", e.link_version + 1))
    revoked = client.get(f"/p/{token}", headers={"accept-language": "fr"})
    assert revoked.status_code == 410 and "Ce lien n'est plus valable" in revoked.text
    fresh = _token(runtime, escalation_id)
    assert client.get(f"/p/{fresh}").status_code == 200

    _escalation(runtime, escalation_id, lambda e: setattr(e, "status", "closed"))
    closed = client.get(f"/p/{fresh}", headers={"accept-language": "en"})
    assert closed.status_code == 410 and "This request is closed" in closed.text
    assert client.post(f"/p/{fresh}", data={"csrf_token": form_token(SECRET, "portal", fresh), "text": "late",
                                            "outcome": "answer"}).status_code == 410
    _escalation(runtime, other_id, lambda e: setattr(e, "status", "cancelled"))
    assert client.get(f"/p/{other_token}").status_code == 410


def test_files_of_the_workspace_are_out_of_reach(settings: Settings, runtime: Runtime, world: World) -> None:
    _, escalation_id, token = _setup(runtime, world)
    with runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        other_id = answers.store_partner_file(session, runtime.settings.data_dir, escalation, data=PDF,
                                              name="unrelated.pdf", max_bytes=10_000).id
    client = _client(settings, runtime)
    assert client.get(f"/p/{token}/files/{other_id}").status_code == 404
    assert client.get(f"/p/{token}/files/999999").status_code == 404


def test_rate_limits_per_link_and_per_address(settings: Settings, runtime: Runtime, world: World,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, escalation_id, token = _setup(runtime, world)
    client = _client(settings, runtime)
    monkeypatch.setattr(answers, "LINK_LIMIT", 3)
    for _ in range(3):
        assert client.get(f"/p/{token}").status_code == 200
    limited = client.get(f"/p/{token}", headers={"accept-language": "en"})
    assert limited.status_code == 429 and "Too many requests" in limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 601
    # the limit is per link: another link version of the same escalation starts afresh
    _escalation(runtime, escalation_id, lambda e: setattr(e, "link_version", e.link_version + 1))
    assert client.get(f"/p/{_token(runtime, escalation_id)}").status_code == 200

    # per address: guessing links from one address is stopped too, valid or not
    monkeypatch.setattr(answers, "IP_LIMIT", 2)
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.key == "portal:ip:testclient")) == 5
    refused = client.get("/p/guess.guess")
    assert refused.status_code == 429 and refused.headers["retry-after"]


def test_the_limiter_counts_in_the_database(runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        for _ in range(2):
            answers.count_request(session, "portal:ip:203.0.113.9", limit=2)
    with runtime.db.transaction() as session, pytest.raises(RateLimited) as raised:
        answers.count_request(session, "portal:ip:203.0.113.9", limit=2)
    assert 1 <= raised.value.retry_after <= 601

