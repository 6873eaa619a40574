"""Our connectors are found the way a third-party one would be: through entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from compris.connectors.base import Connector

OURS = ["x", "facebook", "instagram", "whatsapp", "email"]


@pytest.mark.parametrize("name", OURS)
def test_entry_point_names_the_connector(name: str) -> None:
    (ep,) = [ep for ep in entry_points(group="compris.connectors") if ep.name == name]
    cls = ep.load()
    assert isinstance(cls, type) and issubclass(cls, Connector)
    assert cls.network == name and cls.display_name
    assert cls.secret_fields and cls.setting_fields
    assert not set(cls.secret_fields) & set(cls.setting_fields)
