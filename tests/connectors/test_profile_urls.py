"""Each connector builds the link to a person's profile on its network (the customer panel, issue 18), or none;
a handle with odd characters never becomes a link."""

from __future__ import annotations

import pytest

from compris.connectors import registry


@pytest.mark.parametrize(("network", "settings", "user_id", "handle", "url"), [
    ("x", {}, "123", "@wanderwith_marcusw", "https://x.com/wanderwith_marcusw"),
    ("instagram", {}, "178", "leonie.vsr", "https://www.instagram.com/leonie.vsr/"),
    ("facebook", {}, "100042", None, None),  # page-scoped ids open no profile
    ("facebook", {}, "100042", "leonie.quint", "https://www.facebook.com/leonie.quint"),
    ("mastodon", {}, "1", "@pierre_b@mamot.fr", "https://mamot.fr/@pierre_b"),
    ("mastodon", {"api_base": "https://piaille.fr"}, "1", "pierre_b", "https://piaille.fr/@pierre_b"),
    ("bluesky", {}, "did:plc:abc", "maya-reads.bsky.social", "https://bsky.app/profile/maya-reads.bsky.social"),
    ("youtube", {}, "UCabc_123", "@chan", "https://www.youtube.com/channel/UCabc_123"),
    ("youtube", {}, "name:Someone", None, None),
    ("vk", {}, "48213377", "d.sokolov", "https://vk.com/d.sokolov"),
    ("vk", {}, "48213377", None, "https://vk.com/id48213377"),
    ("telegram", {}, "5521098731", "@hugo_lmt", "https://t.me/hugo_lmt"),
    ("telegram", {}, "5521098731", None, None),
    ("whatsapp", {}, "447700900481", None, None),
    ("email", {}, "zoe@example.org", None, None),
    ("sandbox", {"flavour": "x"}, "demo-x", "@marcus", "https://x.com/marcus"),
    ("sandbox", {}, "demo-x", "@marcus", None),
    ("x", {}, "123", 'evil"><script>', None),
    ("mastodon", {}, "1", "@user@evil.example/<x>", None),
])
def test_profile_urls(network: str, settings: dict[str, str], user_id: str, handle: str | None,
                      url: str | None) -> None:
    assert registry.get(network).profile_url(settings, platform_user_id=user_id, handle=handle) == url


def test_what_an_identity_id_is() -> None:
    assert registry.get("whatsapp").reach_kind({}) == "phone"
    assert registry.get("email").reach_kind({}) == "email"
    assert registry.get("x").reach_kind({}) is None
    assert registry.get("sandbox").reach_kind({"flavour": "whatsapp"}) == "phone"
