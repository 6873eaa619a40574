"""Probably the same customer (issue 18): what is a key, which contacts a key links, the false friends kept out,
dismissal, never a merge by itself; taking a suggestion (contacts and open cases) and undoing it; the keys and the
notes about a customer erased with their personal data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from compris import bus
from compris.events import (
    ContactsMerged,
    CustomerNoteAdded,
    CustomerNoteDeleted,
    CustomerNoteEdited,
    SameCustomerDismissed,
    SameCustomerMerged,
)
from compris.inbox import actions, queries, same_customer
from compris.inbox.actions import customers
from compris.inbox.ingest import receive
from compris.inbox.same_customer import identity_keys, is_reference, name_key, phone_key, references, similar_names
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import Case, CaseStatus, Contact, CustomerKey, CustomerNote, Identity, User
from compris.privacy.actions.erasure import erase_contact
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request

# --- what a key is (pure) --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("File reference LIS-AC-77120 please", ("reference", "LISAC77120")),
    ("file lis-ac-77120", ("reference", "LISAC77120")),
    ("Bag tag AC 2231-48812, still nothing", ("reference", "AC223148812")),
    ("Commande 884213 pas reçue", ("reference", "884213")),
    ("order #ORD-118843", ("reference", "ORD118843")),
    ("my PNR is K7XQ2M", ("reference", "K7XQ2M")),
    ("write to Jean.Dupont@Example.fr", ("email", "jean.dupont@example.fr")),
    ("call me on +44 7700 900481", ("phone", "700900481")),
    ("call me on 07700 900481", ("phone", "700900481")),
    ("appelez le 06 12 34 56 78", ("phone", "612345678")),
])
def test_keys_found_in_a_customers_text(text: str, expected: tuple[str, str]) -> None:
    assert expected in [(k.kind, k.value) for k in references(text)]


@pytest.mark.parametrize("text", [
    "Day 3 without my luggage after AC 2231 from Lisbon",  # a flight number alone
    "vol AF1234 annulé, U21234 et 9W123 aussi",
    "le 2026-12-06 à 10:30, ou le 06/12/2026",  # dates and times
    "prix 1500 euros, code 12345",  # short numbers
    "I love my iPhone15 and COVID19 ruined 2020",  # words with a digit or two
    "see https://x.com/foo/status/1234567890123",  # links
    "ping @pierre_b@mamot.fr",  # a Mastodon handle is not an e-mail address
    "Marcus, Whitby, the usual words",
])
def test_no_key_in_ordinary_text(text: str) -> None:
    assert references(text) == []


def test_a_reference_is_compared_with_case_blanks_and_dashes_folded() -> None:
    assert is_reference("LIS-AC-77120") and is_reference("AC 2231-48812")
    assert [k.value for k in references("lis-ac-77120")] == [k.value for k in references("LIS/AC/77120")]
    assert phone_key("+44 7700 900481") == phone_key("0044 7700 900481") == phone_key("07700 900481")
    assert phone_key("12345") is None


def test_names_first_names_alone_never_match() -> None:
    assert name_key("Marcus") is None
    assert name_key("Léonie  Vasseur-Quint") is not None
    assert name_key("Léonie  Vasseur-Quint").value == "leonie vasseur quint"  # type: ignore[union-attr]
    assert similar_names("marcus whitby orr", "whitby orr marcus")
    assert similar_names("leonie vasseur quint", "leonie vaseur quint")
    assert not similar_names("leonie vasseur quint", "leonie martin")


def test_an_identity_tells_its_address_or_number_where_the_network_says_so() -> None:
    keys = {(k.kind, k.value) for k in identity_keys(name="Marcus W-O", handle="+44 7700 900481",
                                                      platform_user_id="447700900481", reach="phone")}
    assert ("phone", "700900481") in keys
    keys = {(k.kind, k.value) for k in identity_keys(name=None, handle=None, platform_user_id="Zoe@Example.org",
                                                      reach="email")}
    assert keys == {("email", "zoe@example.org")}
    assert identity_keys(name=None, handle="@zoe", platform_user_id="1234567890", reach=None) == []


# --- the suggestions ----------------------------------------------------------------------------------------------


def _write(world: World, text: str, author: str, *, name: str | None = None, at: datetime | None = None,
           kind: str = "post") -> None:
    payload = world.payload(text, author=author, kind=kind)
    if name is not None:
        payload["data"]["author"]["name"] = name
    if at is not None:
        payload["data"]["created_at"] = at.isoformat()
    receive(world.runtime.db, world.runtime.publisher, SECRET, world.account.id, _request(world, payload))
    world.run_jobs()


def _contact(world: World, author: str) -> int:
    with world.runtime.db.transaction() as s:
        found = s.scalar(select(Identity.contact_id).where(Identity.workspace_id == world.workspace_id,
                                                           Identity.platform_user_id == author))
    assert found is not None
    return found


def _suggested(world: World, author: str) -> dict[int, list[tuple[str, str]]]:
    contact_id = _contact(world, author)
    with world.runtime.db.transaction() as s:
        return {x.contact.id: [(r.kind, r.shown) for r in x.reasons]
                for x in same_customer.suggestions(s, world.workspace_id, contact_id)}


def test_the_same_reference_on_two_networks_is_suggested_both_ways_and_never_merged(world: World) -> None:
    _write(world, "Update: still nothing. File reference LIS-AC-77120 if anyone reads this.", "marcus-x")
    _write(world, "Hello, Marcus here. File lis-ac-77120, can someone call me?", "marcus-wa", kind="dm")
    public, private = _contact(world, "marcus-x"), _contact(world, "marcus-wa")
    assert public != private  # never merged by itself
    assert _suggested(world, "marcus-wa") == {public: [("reference", "lis-ac-77120")]}
    assert _suggested(world, "marcus-x") == {private: [("reference", "LIS-AC-77120")]}
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Contact).where(
            Contact.workspace_id == world.workspace_id, Contact.merged_into_id.is_not(None))) == 0


def test_same_email_and_phone_are_reasons(world: World) -> None:
    _write(world, "My e-mail is zoe.k@example.org, phone +33 6 12 34 56 78", "zoe-fb")
    _write(world, "Reach me at ZOE.K@example.org or 06 12 34 56 78", "zoe-ig")
    assert sorted(_suggested(world, "zoe-ig")[_contact(world, "zoe-fb")]) == [
        ("email", "ZOE.K@example.org"), ("phone", "06 12 34 56 78")]


def test_a_close_name_within_hours_is_a_reason_but_not_days_apart_nor_a_first_name(world: World) -> None:
    now = datetime.now(UTC)
    _write(world, "Where is my bag", "leonie-ig", name="Léonie Vasseur-Quint", at=now - timedelta(hours=2))
    _write(world, "Toujours rien pour ma valise", "leonie-fb", name="Leonie Vasseur Quint", at=now)
    _write(world, "Bonjour", "leonie-old", name="Léonie Vasseur-Quint", at=now - timedelta(days=3))
    _write(world, "Hi", "marcus-1", name="Marcus", at=now)
    _write(world, "Hi again", "marcus-2", name="Marcus", at=now)
    found = _suggested(world, "leonie-fb")
    ig, fb = _contact(world, "leonie-ig"), _contact(world, "leonie-fb")
    assert list(found) == [ig]
    assert found[ig] == [("name", "Leonie Vasseur Quint")]
    with world.runtime.db.transaction() as s:
        reason = same_customer.suggestions(s, world.workspace_id, fb)[0].reasons[0]
    assert reason.other_shown == "Léonie Vasseur-Quint" and reason.hours_apart == 2.0
    assert _suggested(world, "marcus-2") == {}


def test_a_key_many_customers_quote_suggests_nothing(world: World) -> None:
    for i in range(same_customer.MAX_SHARING + 1):
        _write(world, f"Flight cancelled, incident ref INC-2026-4471 says your site ({i})", f"crowd-{i}")
    assert _suggested(world, "crowd-0") == {}


def test_the_brands_own_replies_are_not_read(world: World) -> None:
    _write(world, "Where is my refund?", "ana")
    _write(world, "Where is my refund too?", "bob")
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        for number in (1, 2):
            case = queries.get_case(s, world.workspace_id, number)
            actions.add_reply(s, world.runtime.publisher, case=case, actor=agent,  # type: ignore[arg-type]
                              text="Your file is REF-CARE-99812, call +33 1 23 45 67 89", visibility="public")
    world.run_jobs()
    assert _suggested(world, "ana") == {}


def test_a_dismissed_pair_is_not_suggested_again(world: World) -> None:
    _write(world, "booking LIS-AC-77120", "p1")
    _write(world, "booking LIS-AC-77120", "p2")
    seen: list[object] = []
    p1, p2 = _contact(world, "p1"), _contact(world, "p2")
    with bus.subscribed(SameCustomerDismissed, lambda s, p, e: seen.append(e)):
        for _ in range(2):  # safe to repeat
            with world.runtime.db.transaction() as s:
                actor = s.get(User, world.agent.id)
                assert actor is not None
                customers.dismiss_same_customer(s, world.runtime.publisher, actor=actor,
                                                contact=s.get(Contact, p2),  # type: ignore[arg-type]
                                                other=s.get(Contact, p1))  # type: ignore[arg-type]
    assert len(seen) == 1
    assert _suggested(world, "p1") == {} and _suggested(world, "p2") == {}


def test_workspaces_never_see_each_others_keys(world: World, world_factory: Callable[[str], World]) -> None:
    other = world_factory("other")
    _write(world, "booking LIS-AC-77120", "p1")
    _write(other, "booking LIS-AC-77120", "p1b")
    assert _suggested(world, "p1") == {}


# --- taking a suggestion, undoing it ---------------------------------------------------------------------------------


def test_merging_a_suggestion_moves_the_contact_and_its_open_cases_and_unmerge_undoes_the_contact(
        world: World) -> None:
    _write(world, "File reference LIS-AC-77120, day 3", "marcus-x")
    _write(world, "Marcus again, file LIS-AC-77120", "marcus-wa", kind="dm")
    public, private = _contact(world, "marcus-x"), _contact(world, "marcus-wa")
    events: list[Any] = []
    rt = world.runtime
    with bus.subscribed(SameCustomerMerged, lambda s, p, e: events.append(e)), \
            bus.subscribed(ContactsMerged, lambda s, p, e: events.append(e)), \
            rt.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        case = queries.get_case(s, world.workspace_id, 1)
        other = s.get(Contact, private)
        assert actor is not None and other is not None
        folded = customers.merge_same_customer(s, rt.publisher, actor=actor, case=case, other=other,
                                               with_open_cases=True)
        assert [c.number for c in folded] == [2]
    assert [type(e).__name__ for e in events] == ["ContactsMerged", "SameCustomerMerged"]
    assert events[1].reasons == ("reference",) and events[1].contact_id == public
    with rt.db.transaction() as s:
        assert s.get(Contact, private).merged_into_id == public  # type: ignore[union-attr]
        assert s.scalar(select(Case.status).where(Case.workspace_id == world.workspace_id, Case.number == 2)) == \
            CaseStatus.CLOSED
        wa = s.scalar(select(Identity).where(Identity.platform_user_id == "marcus-wa"))
        assert wa is not None and wa.contact_id == public
    assert _suggested(world, "marcus-x") == {}  # one contact now
    with rt.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        wa = s.scalar(select(Identity).where(Identity.platform_user_id == "marcus-wa"))
        assert actor is not None and wa is not None
        actions.unmerge_identity(s, rt.publisher, actor=actor, identity=wa)
    assert _contact(world, "marcus-wa") != public
    assert list(_suggested(world, "marcus-x")) == [_contact(world, "marcus-wa")]  # the keys followed the identity


def test_merging_without_the_cases_keeps_them_open(world: World) -> None:
    _write(world, "order ORD-118843 never came", "a1")
    _write(world, "ORD-118843 ???", "a2", kind="dm")
    a1, a2 = _contact(world, "a1"), _contact(world, "a2")
    with world.runtime.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        assert actor is not None
        case = queries.get_case(s, world.workspace_id, 1)
        customers.merge_same_customer(s, world.runtime.publisher, actor=actor, case=case,
                                      other=s.get(Contact, a2),  # type: ignore[arg-type]
                                      with_open_cases=False)
    with world.runtime.db.transaction() as s:
        second = queries.get_case(s, world.workspace_id, 2)
        assert second.status != CaseStatus.CLOSED and second.contact_id == a1


def test_a_contact_cannot_be_merged_into_itself_nor_across_workspaces(
        world: World, world_factory: Callable[[str], World]) -> None:
    other = world_factory("other")
    _write(world, "hello", "a1")
    _write(other, "hello", "b1")
    with world.runtime.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        assert actor is not None
        case = queries.get_case(s, world.workspace_id, 1)
        with pytest.raises(Invalid):
            customers.merge_same_customer(s, world.runtime.publisher, actor=actor, case=case,
                                          other=s.get(Contact, case.contact_id),  # type: ignore[arg-type]
                                          with_open_cases=True)
        stranger = s.scalar(select(Contact).where(Contact.workspace_id == other.workspace_id))
        assert stranger is not None
        with pytest.raises(NotFound):
            customers.merge_same_customer(s, world.runtime.publisher, actor=actor, case=case, other=stranger,
                                          with_open_cases=True)


# --- notes about the customer -----------------------------------------------------------------------------------------


def test_notes_are_added_edited_and_deleted_with_their_events_and_follow_a_merge(world: World) -> None:
    _write(world, "hello", "a1")
    _write(world, "hello", "a2")
    first, second = _contact(world, "a1"), _contact(world, "a2")
    rt = world.runtime
    seen: list[Any] = []
    with bus.subscribed(CustomerNoteAdded, lambda s, p, e: seen.append(e)), \
            bus.subscribed(CustomerNoteEdited, lambda s, p, e: seen.append(e)), \
            bus.subscribed(CustomerNoteDeleted, lambda s, p, e: seen.append(e)), rt.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        contact = s.get(Contact, second)
        assert actor is not None and contact is not None
        with pytest.raises(Invalid):
            customers.add_customer_note(s, rt.publisher, actor=actor, contact=contact, text="   ")
        with pytest.raises(Invalid):
            customers.add_customer_note(s, rt.publisher, actor=actor, contact=contact, text="x" * 4001)
        note = customers.add_customer_note(s, rt.publisher, actor=actor, contact=contact,
                                           text=" Gold member, prefers WhatsApp ")
        customers.edit_customer_note(s, rt.publisher, actor=actor, note=note, text="Gold member")
        customers.edit_customer_note(s, rt.publisher, actor=actor, note=note, text="Gold member")  # unchanged
        spare = customers.add_customer_note(s, rt.publisher, actor=actor, contact=contact, text="to delete")
        customers.delete_customer_note(s, rt.publisher, actor=actor, note=spare)
    assert [type(e).__name__ for e in seen] == ["CustomerNoteAdded", "CustomerNoteEdited", "CustomerNoteAdded",
                                                "CustomerNoteDeleted"]
    with rt.db.transaction() as s:
        rows = queries.customer_notes(s, world.workspace_id, second)
        assert [(r.note.text, r.author.id if r.author else None, r.editor is not None) for r in rows] == [
            ("Gold member", world.agent.id, True)]
        actor = s.get(User, world.agent.id)
        actions.merge_contacts(s, rt.publisher, actor=actor,  # type: ignore[arg-type]
                               source=s.get(Contact, second), target=s.get(Contact, first))  # type: ignore[arg-type]
    with rt.db.transaction() as s:
        assert [r.note.text for r in queries.customer_notes(s, world.workspace_id, first)] == ["Gold member"]
        merged = s.get(Contact, second)
        actor = s.get(User, world.agent.id)
        with pytest.raises(Conflict):
            customers.add_customer_note(s, rt.publisher, actor=actor, contact=merged, text="late")  # type: ignore[arg-type]


def test_erasure_removes_the_notes_and_the_keys(world: World) -> None:
    _write(world, "File LIS-AC-77120, mail me at zoe@example.org", "zoe-1", name="Zoé Kestrel")
    _write(world, "LIS-AC-77120 again", "zoe-2", kind="dm")
    rt = world.runtime
    zoe = _contact(world, "zoe-1")
    with rt.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        contact = s.get(Contact, zoe)
        assert actor is not None and contact is not None
        customers.add_customer_note(s, rt.publisher, actor=actor, contact=contact, text="VIP, lives in Lyon")
        contact_id = contact.id
    with rt.db.transaction() as s:
        erase_contact(s, rt.publisher, workspace_id=world.workspace_id, contact_id=contact_id, source="admin",
                      requested_by=s.get(User, world.admin.id), reason="request")
    with rt.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CustomerNote).where(
            CustomerNote.contact_id == contact_id)) == 0
        identity_ids = list(s.scalars(select(Identity.id).where(Identity.contact_id == contact_id)))
        assert s.scalar(select(func.count()).select_from(CustomerKey).where(
            CustomerKey.identity_id.in_(identity_ids))) == 0
        assert s.scalar(select(func.count()).select_from(CustomerKey).where(
            CustomerKey.value == "zoe@example.org")) == 0
    assert _suggested(world, "zoe-2") == {}


def test_the_personal_data_export_holds_the_notes_about_the_customer(world: World, tmp_path: Any) -> None:
    import io
    import json
    import zipfile

    from compris.privacy import export

    _write(world, "hello", "zoe-1")
    rt = world.runtime
    zoe = _contact(world, "zoe-1")
    with rt.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        contact = s.get(Contact, zoe)
        assert actor is not None and contact is not None
        customers.add_customer_note(s, rt.publisher, actor=actor, contact=contact, text="Prefers e-mail")
    with rt.db.transaction() as s:
        archive = export.build_archive(s, workspace_id=world.workspace_id, contact_id=zoe, data_dir=tmp_path)
        data = archive.read()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        notes = json.loads(zf.read("customer_notes.json"))
    assert [n["text"] for n in notes] == ["Prefers e-mail"]
