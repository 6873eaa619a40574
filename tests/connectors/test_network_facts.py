"""Per-network facts are the connector's: the mention rule, the private reply to a comment, the length unit and
the folder each connector keeps (code, fixtures, README pointing to its tests and its user documentation)."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path
from typing import ClassVar

import pytest

from compris.connectors import fixture, fixture_bytes, registry
from compris.connectors.base import Connector, Visibility

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "compris" / "connectors"
BUILT_IN = ["x", "facebook", "instagram", "whatsapp", "email", "sandbox",
            "vk", "telegram", "mastodon", "bluesky", "google", "yelp", "tripadvisor", "youtube"]


class Federated(Connector):
    """A network whose public replies must name the customer (as Mastodon's)."""

    network: ClassVar[str] = "federated"
    display_name: ClassVar[str] = "Federated"
    public_reply_mentions: ClassVar[bool] = True


@pytest.mark.parametrize("visibility,handle,expected", [
    (Visibility.PUBLIC, "jo@example.social", "@jo@example.social "),  # a federated handle stays whole
    (Visibility.PUBLIC, "@jo", "@jo "),
    (Visibility.PUBLIC, " jo ", "@jo "),
    (Visibility.PUBLIC, "Jo Smith", ""),  # a display name is no handle
    (Visibility.PUBLIC, "@", ""),
    (Visibility.PUBLIC, None, ""),
    (Visibility.PRIVATE, "jo", ""),
    (Visibility.NOTE, "jo", ""),
])
def test_reply_mention_follows_the_connectors_rule(visibility: Visibility, handle: str | None, expected: str) -> None:
    assert Federated().reply_mention(visibility, handle) == expected
    assert Connector().reply_mention(visibility, handle) == ""  # the default: no mention


def test_which_built_in_networks_mention_the_customer() -> None:
    mentioning = {n for n, c in registry.connectors().items() if c.public_reply_mentions}
    assert mentioning == {"x", "mastodon"}


@pytest.mark.parametrize("network,expected", [
    ("facebook", "post-1_c-9"), ("instagram", "post-1_c-9"),
    ("whatsapp", None), ("x", None), ("email", None), ("sandbox", None),
])
def test_private_reply_to_a_comment_where_the_platform_has_one(network: str, expected: str | None) -> None:
    connector = registry.get(network)
    assert connector.private_reply_target({"comment_id": "post-1_c-9", "item": "comment"}) == expected
    assert connector.private_reply_target({}) is None  # not a comment: the DM conversation instead


def test_length_units() -> None:
    units = {n: c.limits.length_unit for n, c in registry.connectors().items()}
    assert units == {"x": "x", "facebook": "characters", "instagram": "characters", "whatsapp": "characters",
                     "email": "characters", "sandbox": "characters", "vk": "characters", "telegram": "characters",
                     "mastodon": "mastodon", "bluesky": "graphemes", "google": "characters", "yelp": "characters",
                     "tripadvisor": "characters", "youtube": "characters"}


def test_a_network_is_found_by_its_key_or_an_alias() -> None:
    assert registry.find("twitter") is registry.get("x")
    assert registry.find(" X ") is registry.get("x")
    assert registry.find("WhatsApp") is registry.get("whatsapp")
    with pytest.raises(registry.UnknownNetwork):
        registry.find("myspace")


def test_fixtures_are_read_from_the_connectors_folder() -> None:
    assert fixture("x", "mention_fr.json")["data"]
    assert b"Subject:" in fixture_bytes("email", "plain_fr.eml")
    with pytest.raises(FileNotFoundError):
        fixture_bytes("x", "nope.json")


def test_every_fixture_is_shipped_with_the_package() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    files = [p for p in PACKAGE.glob("*/fixtures/*") if p.is_file()]
    assert files
    unshipped = [p.name for p in files if not any(fnmatch.fnmatch(p.name, g.removeprefix("**/"))
                                                   for g in patterns["compris"])]
    assert unshipped == []


@pytest.mark.parametrize("network", BUILT_IN)
def test_each_connector_folder_points_to_its_tests_and_documentation(network: str) -> None:
    readme = PACKAGE / network / "README.md"
    text = readme.read_text("utf-8")
    links = [target for target in re.findall(r"\]\(([^)#]+)\)", text) if not target.startswith("http")]
    assert any(f"docs/channels/{network}.md" in link for link in links)
    assert any("/tests/" in link for link in links)
    missing = [link for link in links if not (readme.parent / link).resolve().exists()]
    assert missing == []
    assert (ROOT / "docs" / "channels" / f"{network}.md").name in (ROOT / "docs/channels/README.md").read_text()
