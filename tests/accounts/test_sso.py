"""Single sign-on below the web: the OpenID Connect client against the stand-in provider (a real server on a local
port), and matching the provider's person to a user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import select

from compris import bus
from compris.accounts import oidc
from compris.accounts.actions import update_user
from compris.accounts.sso import SsoRefused, sign_in_with
from compris.db import Database
from compris.events import SettingsChanged, SsoLinked
from compris.kit.clock import now
from compris.models import Invitation, Team, TeamMember, User
from compris.sso_standin import Person, StandInProvider
from tests.accounts.sso_fixtures import CALLBACK, fresh_fixture, provider_fixture  # noqa: F401 (fixtures)
from tests.conftest import World

REDIRECT = CALLBACK


def client_for(provider: StandInProvider, **kw: object) -> oidc.Client:
    options: dict[str, object] = {"issuer": provider.issuer, "client_id": provider.client_id,
                                  "client_secret": provider.client_secret, "redirect_uri": REDIRECT,
                                  "allow_local_http": True, **kw}
    return oidc.Client(**options)  # type: ignore[arg-type]


def authorize(url: str) -> dict[str, str]:
    """The browser at the provider: the query the provider sends it back to Compris with."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return dict(parse_qsl(urlsplit(location).query))


def sign_in_at(provider: StandInProvider) -> oidc.Identity:
    client = client_for(provider)
    url, pending = client.start("/inbox")
    return client.finish(pending, authorize(url))


# --- the protocol ---------------------------------------------------------------------------------------------


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(provider: StandInProvider) -> None:
    url, pending = client_for(provider).start("/inbox")
    query = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith(f"{provider.issuer}/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == "compris"
    assert query["redirect_uri"] == REDIRECT and query["scope"] == "openid email profile"
    assert query["state"] == pending.state and query["nonce"] == pending.nonce
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != pending.verifier and len(pending.verifier) >= 43
    assert oidc.Pending.from_session(pending.to_session()) == pending


def test_a_sign_in_at_the_stand_in_gives_the_verified_identity(provider: StandInProvider) -> None:
    identity = sign_in_at(provider)
    assert identity.issuer == provider.issuer
    assert identity.subject == Person(email="agent@acme.test").sub()
    assert identity.email == "agent@acme.test" and identity.email_verified and identity.name == "Agent Acme"
    assert provider.token_requests[-1].client_ok and provider.token_requests[-1].pkce_ok
    assert provider.token_requests[-1].auth_method == "client_secret_basic"


@pytest.mark.parametrize("fault", ["wrong_nonce", "wrong_audience", "wrong_issuer", "expired", "bad_signature",
                                   "no_nonce"])
def test_an_id_token_that_is_not_valid_for_us_is_refused(provider: StandInProvider, fault: str) -> None:
    provider.faults.add(fault)
    with pytest.raises(oidc.OidcError) as refused:
        sign_in_at(provider)
    assert refused.value.reason == "token"


def test_the_provider_refusing_is_an_error(provider: StandInProvider) -> None:
    provider.faults.add("deny")
    with pytest.raises(oidc.OidcError) as refused:
        sign_in_at(provider)
    assert (refused.value.reason, refused.value.detail) == ("provider", "access_denied")


def test_a_tampered_or_missing_state_is_refused_before_any_code_exchange(provider: StandInProvider) -> None:
    client = client_for(provider)
    url, pending = client.start("/inbox")
    params = authorize(url)
    for bad_pending, bad_params in [(pending, {**params, "state": params["state"][:-1] + "x"}),
                                    (pending, {k: v for k, v in params.items() if k != "state"}),
                                    (None, params)]:
        with pytest.raises(oidc.OidcError) as refused:
            client.finish(bad_pending, bad_params)
        assert refused.value.reason == "state"
    assert provider.token_requests == []  # the code was never sent anywhere
    stale = oidc.Pending(**{**pending.to_session(), "started": pending.started - oidc.FLOW_LIFETIME - 1})
    with pytest.raises(oidc.OidcError, match="too long"):
        client.finish(stale, params)


def test_the_stand_in_checks_the_pkce_verifier_and_the_client(provider: StandInProvider) -> None:
    client = client_for(provider)
    url, pending = client.start("/inbox")
    params = authorize(url)
    wrong = oidc.Pending(**{**pending.to_session(), "verifier": "x" * 64})
    with pytest.raises(oidc.OidcError) as refused:
        client.finish(wrong, params)
    assert (refused.value.reason, refused.value.detail) == ("provider", "invalid_grant")
    assert provider.token_requests[-1].client_ok and not provider.token_requests[-1].pkce_ok
    with pytest.raises(oidc.OidcError, match="invalid_grant"):  # the code was used up by the failed attempt
        client.finish(pending, params)
    # the wrong client secret
    bad_client = client_for(provider, client_secret="not-the-secret")
    url, pending = bad_client.start("/inbox")
    with pytest.raises(oidc.OidcError, match="invalid_client"):
        bad_client.finish(pending, authorize(url))
    # a token request without a verifier at all
    url, pending = client.start("/inbox")
    code = authorize(url)["code"]
    answer = httpx.post(f"{provider.issuer}/token", auth=(provider.client_id, provider.client_secret),
                        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant"}


def test_discovery_and_keys_are_cached_and_a_rotated_key_is_fetched_again(provider: StandInProvider) -> None:
    provider.hits.clear()
    sign_in_at(provider)
    sign_in_at(provider)
    assert provider.hits["/.well-known/openid-configuration"] == 1
    assert provider.hits["/jwks"] == 1
    provider.rotate_key()
    assert sign_in_at(provider).email == "agent@acme.test"
    assert provider.hits["/jwks"] == 2


def test_an_unreachable_provider_fails_fast_and_is_remembered() -> None:
    with StandInProvider() as gone:
        issuer = gone.issuer  # a port nobody listens on once it stops
    client = oidc.Client(issuer=issuer, client_id="compris", client_secret="s", redirect_uri=REDIRECT,
                         allow_local_http=True, timeout=2)
    assert not oidc.recently_unreachable(issuer)
    with pytest.raises(oidc.OidcError) as refused:
        client.start("/inbox")
    assert refused.value.reason == "unavailable"
    assert oidc.recently_unreachable(issuer)
    with pytest.raises(oidc.OidcError, match="a moment ago"):  # not tried again at once
        client.start("/inbox")


def test_plain_http_is_refused_unless_local_endpoints_are_allowed(provider: StandInProvider) -> None:
    with pytest.raises(oidc.OidcError, match="https"):
        client_for(provider, allow_local_http=False).start("/inbox")
    assert oidc.acceptable_url("https://login.example.com/x", allow_local_http=False)
    assert not oidc.acceptable_url("http://10.0.0.1/x", allow_local_http=True)
    assert oidc.acceptable_url("http://localhost:9400", allow_local_http=True)


def test_a_discovery_document_naming_another_issuer_is_refused(provider: StandInProvider) -> None:
    client = client_for(provider, issuer=provider.issuer.replace("127.0.0.1", "localhost"))
    with pytest.raises(oidc.OidcError, match="names issuer"):
        client.start("/inbox")


# --- matching the person to a user ----------------------------------------------------------------------------


def identity(email: str = "agent@acme.test", *, verified: bool = True, subject: str = "sub-1",
             issuer: str = "https://idp.example.com") -> oidc.Identity:
    return oidc.Identity(issuer=issuer, subject=subject, email=email, email_verified=verified, name="Someone")


@pytest.fixture
def linked_events() -> Iterator[list[SsoLinked]]:
    seen: list[SsoLinked] = []
    with bus.subscribed(SsoLinked, lambda session, publisher, event: seen.append(event)):
        yield seen


def test_a_verified_email_of_an_active_user_links_them_once(db: Database, world: World,
                                                            linked_events: list[SsoLinked]) -> None:
    with db.transaction() as session:
        user = sign_in_with(session, None, identity("Agent@Acme.test".lower()))
        assert user.id == world.agent.id
        assert (user.oidc_issuer, user.oidc_subject) == ("https://idp.example.com", "sub-1")
        assert user.last_login_at is not None
    assert [(e.user_id, e.actor_user_id, e.how, e.subject) for e in linked_events] == [
        (world.agent.id, world.agent.id, "email", "sub-1")]
    # next time: found by the identity, even when the provider now says another e-mail; no second link
    with db.transaction() as session:
        again = sign_in_with(session, None, identity("renamed@elsewhere.test", verified=False))
        assert again.id == world.agent.id
    assert len(linked_events) == 1


def test_an_unverified_email_is_not_matched(db: Database, world: World, linked_events: list[SsoLinked]) -> None:
    with db.transaction() as session, pytest.raises(SsoRefused) as refused:
        sign_in_with(session, None, identity(verified=False))
    assert refused.value.reason == "unverified" and linked_events == []
    with db.transaction() as session:
        assert session.get(User, world.agent.id).oidc_subject is None  # type: ignore[union-attr]


def test_an_unstated_verification_counts_only_when_the_provider_is_trusted(provider: StandInProvider, db: Database,
                                                                          world: World) -> None:
    provider.person = Person(email="agent@acme.test", email_verified=None)  # as Microsoft Entra ID
    provider.hits.clear()
    unstated = sign_in_at(provider)
    assert unstated.email == "agent@acme.test" and unstated.email_verified is None
    assert provider.hits["/userinfo"] == 1  # asked, since the ID token did not say
    with db.transaction() as session, pytest.raises(SsoRefused, match="unverified"):
        sign_in_with(session, None, unstated)
    with db.transaction() as session, pytest.raises(SsoRefused, match="unverified"):
        sign_in_with(session, None, identity(verified=False), trust_unstated_email=True)  # said false: never
    with db.transaction() as session:
        assert sign_in_with(session, None, unstated, trust_unstated_email=True).id == world.agent.id


def test_nobody_unknown_is_created(db: Database, world: World) -> None:
    with db.transaction() as session, pytest.raises(SsoRefused) as refused:
        sign_in_with(session, None, identity("stranger@acme.test"))
    assert refused.value.reason == "unknown"
    with db.transaction() as session, pytest.raises(SsoRefused, match="no e-mail"):
        sign_in_with(session, None, identity(""))
    with db.transaction() as session:
        assert session.scalar(select(User).where(User.email == "stranger@acme.test")) is None


def test_a_deactivated_user_is_refused_linked_or_not(db: Database, world: World) -> None:
    with db.transaction() as session:
        sign_in_with(session, None, identity())  # linked while active
        update_user(session, actor=session.get(User, world.admin.id), user_id=world.agent.id,  # type: ignore[arg-type]
                    active=False)
    for who in (identity(), identity(subject="sub-2")):  # by the link, and by the e-mail
        with db.transaction() as session, pytest.raises(SsoRefused) as refused:
            sign_in_with(session, None, who)
        assert refused.value.reason == "inactive"


def test_a_user_linked_to_another_identity_is_not_taken_over(db: Database, world: World) -> None:
    with db.transaction() as session:
        sign_in_with(session, None, identity(subject="sub-1"))
    with db.transaction() as session, pytest.raises(SsoRefused) as refused:
        sign_in_with(session, None, identity(subject="sub-2"))
    assert refused.value.reason == "linked_elsewhere"


def test_allowed_domains(db: Database, world: World) -> None:
    with db.transaction() as session, pytest.raises(SsoRefused) as refused:
        sign_in_with(session, None, identity(), allowed_domains=frozenset({"example.com"}))
    assert refused.value.reason == "domain"
    with db.transaction() as session:
        assert sign_in_with(session, None, identity(), allowed_domains=frozenset({"acme.test"})).id == world.agent.id


def invite(db: Database, world: World, email: str, **kw: object) -> int:
    with db.transaction() as session:
        team = Team(workspace_id=world.workspace_id, name="Night shift")
        session.add(team)
        session.flush()
        values: dict[str, object] = {"workspace_id": world.workspace_id, "email": email, "name": "New Person",
                                     "role": "supervisor", "team_ids": [team.id], "language": "fr",
                                     "invited_by_id": world.admin.id, "expires_at": now() + timedelta(days=7),
                                     "nonce": "n" * 16, **kw}
        invitation = Invitation(**values)
        session.add(invitation)
        session.flush()
        return invitation.id


def test_a_pending_invitation_is_accepted_through_single_sign_on(db: Database, world: World,
                                                                 linked_events: list[SsoLinked]) -> None:
    invitation_id = invite(db, world, "new@acme.test")
    changes: list[SettingsChanged] = []
    with bus.subscribed(SettingsChanged, lambda session, publisher, event: changes.append(event)), \
            db.transaction() as session:
        user = sign_in_with(session, None, identity("new@acme.test", subject="sub-new"))
        user_id = user.id
        assert (user.role, user.language, user.name, user.workspace_id) == (
            "supervisor", "fr", "New Person", world.workspace_id)
        assert user.oidc_subject == "sub-new"
        assert [m.team_id for m in session.scalars(select(TeamMember).where(TeamMember.user_id == user.id))]
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.accepted_user_id == user.id and invitation.accepted_at
    assert [(e.how, e.user_id) for e in linked_events] == [("invitation", user_id)]
    assert {(c.entity, c.action) for c in changes} >= {("user", "created"), ("invitation", "accepted")}


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
def test_an_invitation_no_longer_pending_lets_nobody_in(db: Database, world: World, state: str) -> None:
    past = now() - timedelta(minutes=1)
    invite(db, world, "late@acme.test", **{"expired": {"expires_at": past}, "revoked": {"revoked_at": past},
                                           "accepted": {"accepted_at": past}}[state])
    with db.transaction() as session, pytest.raises(SsoRefused) as refused:
        sign_in_with(session, None, identity("late@acme.test"))
    assert refused.value.reason == "unknown"


def test_the_settings() -> None:
    from compris.config import Settings

    off = Settings(oidc_password_login=False)
    assert not off.oidc_enabled and off.password_login  # without single sign-on, passwords stay on
    on = Settings(oidc_issuer="https://idp.example.com/", oidc_client_id="compris", oidc_password_login=False,
                  oidc_allowed_domains=" Example.com, @acme.test ,")
    assert on.oidc_enabled and not on.password_login
    assert on.oidc_domains == frozenset({"example.com", "acme.test"})
