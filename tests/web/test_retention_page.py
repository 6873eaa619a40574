"""``/admin/retention``: the periods with their minimums (422 next to the field, nothing lost), the preview of the
next run equal to what "Run now" removes, the last run, the case page after removal; admins only; French."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from compris.accounts import actions as accounts
from compris.config import Settings
from compris.kit.clock import now
from compris.models import Case, Message, RetentionPolicy, User, Workspace
from compris.runtime import Runtime
from tests.conftest import World
from tests.privacy.retention_helpers import closed_case, fake_audit_purge, file_exists, raw_event, stored_file
from tests.web.test_pages import Agent, make_client


@pytest.fixture(autouse=True)
def _audit_purge(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_audit_purge(monkeypatch)


def _count_of(page: str, kind: str) -> str:
    found = re.search(rf'<tr data-kind="{kind}">.*?<td class="retention-count">([^<]*)</td>', page, re.S)
    assert found is not None, kind
    return found.group(1)


def test_periods_preview_run_now_and_last_run(settings: Settings, runtime: Runtime, world: World) -> None:
    old = now() - timedelta(days=800)
    with runtime.db.transaction() as s:
        case = closed_case(s, world, old, text="Lost <luggage>")
        inbound = s.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")).one()
        upload = stored_file(s, world, inbound, old, "tag")
        closed_case(s, world, old, status="open")
        raw_event(s, world, old, "processed", "old-delivery")
        number = case.number
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/retention")
    assert page.status_code == 200 and "Retention" in page.text and "Never run yet." in page.text
    assert page.text.count("for ever") >= 4 and _count_of(page.text, "messages") == "0"
    assert "At least 30 days." in page.text and "At least 1 day." in page.text  # the minimums are shown

    bad = admin.post("/admin/retention", {"messages_days": "10", "attachments_days": "365", "raw_events_days": "x",
                                          "audit_days": ""})
    assert bad.status_code == 422
    assert "at least 30 days (or leave it empty to keep for ever)" in bad.text
    assert "enter a whole number of days (at least 1)" in bad.text
    assert 'value="365"' in bad.text and 'value="10"' in bad.text  # nothing lost
    assert 'id="retention-messages_days-error"' in bad.text and 'aria-invalid="true"' in bad.text
    with runtime.db.transaction() as s:
        assert s.scalar(select(RetentionPolicy)) is None

    saved = admin.post("/admin/retention", {"messages_days": "730", "attachments_days": "365",
                                            "raw_events_days": "90", "audit_days": ""})
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"])
    assert "Retention periods saved." in page.text
    assert [_count_of(page.text, k) for k in ("messages", "attachments", "raw_events", "audit_entries")] == \
        ["2", "1", "1", "0"]

    queued = admin.post("/admin/retention/run")
    assert queued.status_code == 303
    assert "A run was started" in admin.get(queued.headers["location"]).text
    world.run_jobs()
    page = admin.get("/admin/retention")
    assert "Never run yet." not in page.text
    last = re.findall(r'<li data-kind="(\w+)">[^<]*<strong>(\d+)</strong>', page.text)
    assert dict(last) == {"messages": "2", "attachments": "1", "raw_events": "1", "audit_entries": "0"}
    assert [_count_of(page.text, k) for k in ("messages", "attachments", "raw_events")] == ["0", "0", "0"]
    assert not file_exists(world, upload)

    case_page = admin.get(f"/cases/{number}")
    assert case_page.status_code == 200
    assert "Content removed under the retention policy" in case_page.text
    assert "Attachment removed under the retention policy" in case_page.text
    assert "Lost &lt;luggage&gt;" not in case_page.text and "jo@example.com" not in case_page.text


def test_supervisors_and_agents_are_refused(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        ws = s.get(Workspace, world.workspace_id)
        assert ws is not None
        accounts.create_user(s, workspace=ws, email="sup@acme.test", name="Sup", password="correct horse battery",
                             role="supervisor")
    for email in ("sup@acme.test", world.agent.email):
        user = Agent(make_client(settings, runtime), email)
        assert user.get("/admin/retention").status_code == 403
        assert user.post("/admin/retention", {"messages_days": "40"}).status_code == 403
        assert user.post("/admin/retention/run").status_code == 403
    with runtime.db.transaction() as s:
        assert s.scalar(select(RetentionPolicy)) is None


def test_french(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        s.execute(update(User).where(User.id == world.admin.id).values(language="fr"))
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/retention")
    assert "Conservation" in page.text and "Ce que le prochain passage supprimera" in page.text
    assert "Lancer maintenant" in page.text and "Au moins 30 jours." in page.text
    bad = admin.post("/admin/retention", {"audit_days": "3"})
    assert bad.status_code == 422 and "au moins 30 jours (ou laissez vide pour garder pour toujours)" in bad.text
    with runtime.db.transaction() as s:
        assert s.scalar(select(Case.id).limit(1)) is None

