from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from vantage.config import Settings


def test_environment_and_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_PACKS", "commerce, trading")
    monkeypatch.setenv("VANTAGE_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("VANTAGE_LOG_LEVEL", "debug")
    settings = Settings(_env_file=None)
    assert settings.packs == ["commerce", "trading"]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG"


def test_default_database_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/vantage.db"


def test_production_needs_a_strong_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(_env_file=None, env="production")
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(_env_file=None, env="production", jwt_secret="short")
    assert Settings(_env_file=None, env="production", jwt_secret="s" * 32).is_production


def test_development_secret_is_made_once_per_data_dir(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path).secret_key
    again = Settings(_env_file=None, data_dir=tmp_path).secret_key
    other = Settings(_env_file=None, data_dir=tmp_path / "other").secret_key
    assert first == again != other and len(first) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
