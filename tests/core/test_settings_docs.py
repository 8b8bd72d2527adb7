from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from vantage.config import Settings
from vantage.core.packs import discover_packs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "CONFIGURATION.md"


def _variables(settings_class: type[BaseSettings]) -> set[str]:
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    return {(prefix + name).upper() for name in settings_class.model_fields}


def test_every_setting_is_documented() -> None:
    documented = {
        f"VANTAGE_{name}" for name in re.findall(r"`VANTAGE_([A-Z0-9_]+)`", DOCS.read_text())
    }
    declared = _variables(Settings)
    for pack in discover_packs().values():
        if pack.settings is not None:
            declared |= _variables(pack.settings)
    assert declared - documented == set(), "settings missing from docs/CONFIGURATION.md"
    assert documented - declared == set(), "docs/CONFIGURATION.md documents unknown settings"
