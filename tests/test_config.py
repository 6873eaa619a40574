from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from compris.config import ConfigError, Settings


@pytest.mark.parametrize("secret", ["change-me", "", "secret", "short"])
def test_a_placeholder_secret_is_refused_outside_the_demo(secret: str) -> None:
    with pytest.raises(ConfigError, match="COMPRIS_SECRET_KEY"):
        Settings(secret_key=secret, demo=False).check_secret()


def test_the_demo_accepts_the_placeholder_and_mounts_the_sandbox() -> None:
    settings = Settings(secret_key="change-me", demo=True)
    settings.check_secret()
    assert settings.sandbox


def test_the_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path)  # type: ignore[arg-type]
    assert settings.database_url == f"sqlite:///{tmp_path}/compris.db"
    assert settings.is_sqlite


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPRIS_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("COMPRIS_SECRET_KEY", "x" * 40)
    settings = Settings()
    assert settings.database_url == "postgresql://u@h/db"
    settings.check_secret()


def serve_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> Result:
    """``compris serve`` with these environment variables, outside the demo (it refuses before serving)."""
    from compris.cli import app
    from compris.config import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COMPRIS_DEMO", raising=False)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["serve"])
    finally:
        get_settings.cache_clear()


def test_the_cli_refuses_to_serve_with_a_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    result = serve_with(monkeypatch, COMPRIS_SECRET_KEY="change-me")
    assert result.exit_code == 2
    assert "COMPRIS_SECRET_KEY" in result.output
